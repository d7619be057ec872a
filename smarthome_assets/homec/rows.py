"""Row-level rules of the reader: give each parsed row its instant, or quarantine it with a reason.

Kept apart from the parsing (reader.py) because these rules decide what "usable" means for a row:
`time` must be a whole number on the file's clock (an integral float such as `1451624400.0` is
accepted, a fraction is not), its day must be one of the partitions, its minute must not repeat, and
its text must fit every store (contract `max_bytes`). Each rejected row is counted with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from smarthome_assets.homec import contract
from smarthome_assets.homec.source_file import MAX_CLOCK_SECONDS  # also keeps timeframe (us) far from int64 overflow

#: Columns of a staged day: where the row came from, its instant, then the source columns as text.
STAGED_PREFIX = ("source_line", "time_raw", "timeframe")
TEXT_COLUMNS = tuple(c.name for c in contract.COLUMNS[1:])
_INTEGER = r"^-?[0-9]{1,15}$"  # at most 15 digits: always castable to int64
_INTEGRAL_FLOAT = r"^(-?[0-9]{1,15})\.0*$"
_DAY_US = 86_400_000_000


class NeedsExactPass(Exception):
    """The fast parse met something only the line-by-line pass classifies exactly (an empty line...)."""


@dataclass(frozen=True)
class TimeAxis:
    """How `time` maps to instants, and which days are accepted (the partitions)."""

    time_origin: int = contract.TIME_ORIGIN
    timeframe_origin: datetime = contract.TIMEFRAME_ORIGIN
    seconds_per_unit: int = contract.SECONDS_PER_TIME_UNIT
    first_day: date | None = None
    last_day: date | None = None  # inclusive

    def timeframe_us(self, time_raw: np.ndarray) -> np.ndarray:
        origin_us = int(self.timeframe_origin.timestamp() * 1_000_000)
        return origin_us + (time_raw - self.time_origin) * (self.seconds_per_unit * 1_000_000)

    @property
    def max_offset(self) -> int:
        """The furthest `time` may be from `time_origin`, in this axis's units: 200 years of minutes on the
        row-position rule, 200 years of seconds for a feed in unix seconds."""
        return MAX_CLOCK_SECONDS // self.seconds_per_unit

    def describe_days(self) -> str:
        return f"{self.first_day or '…'}..{self.last_day or '…'}"


@dataclass
class Quarantined:
    line: int
    reason: str
    column: str | None
    text: str


@dataclass
class ReadReport:
    """What happened to every data line of one file.

    `data_lines` is counted on the raw bytes (physical lines after the header), never by the CSV parser,
    so `staged_rows + len(quarantined) + joined_lines == data_lines` is a real check: it fails if the
    parser ever loses or joins lines. `joined_lines`: the second and later physical lines of quoted records
    that span several lines (exact_pass.py), each record staged or quarantined once.
    """

    file: str
    data_lines: int = 0
    staged_rows: int = 0
    rows_per_day: dict[str, int] = field(default_factory=dict)
    quarantined: list[Quarantined] = field(default_factory=list)
    outside_days: tuple[date, date] | None = None  # the first and last day of rows outside the partitions
    joined_lines: int = 0

    @property
    def balanced(self) -> bool:
        return self.staged_rows + len(self.quarantined) + self.joined_lines == self.data_lines

    def quarantine_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for q in self.quarantined:
            key = q.reason.split(":")[0]
            counts[key] = counts.get(key, 0) + 1
        return counts

    def reset(self) -> None:
        self.staged_rows, self.rows_per_day, self.quarantined, self.outside_days = 0, {}, [], None
        self.joined_lines = 0

    def quarantine(self, table: pa.Table, rows: np.ndarray, lines: np.ndarray, reason, column: str | None) -> None:
        """Quarantine `rows` of `table`; `reason` is a text or a function of the row index."""
        if rows.size == 0:
            return
        texts = row_texts(table.take(pa.array(rows)))
        for i, text in zip(rows, texts, strict=True):
            why = reason(int(i)) if callable(reason) else reason
            self.quarantined.append(Quarantined(int(lines[i]), why, column, text))


def row_texts(table: pa.Table) -> list[str]:
    """Rows as the comma-joined text they had in the file (vectorised; at most 500 characters each)."""
    columns = [c for c in table.column_names if c not in ("source_line", "timeframe")]
    as_text = [pc.cast(table.column(c), pa.string()) for c in columns]
    joined = pc.binary_join_element_wise(*as_text, ",", null_handling="replace", null_replacement="")
    return [t[:500] for t in joined.to_pylist()]


def place_rows(table: pa.Table, lines: np.ndarray, axis: TimeAxis, report: ReadReport, *, exact: bool) -> pa.Table:
    """Give each row its line, raw time and timeframe; quarantine rows whose time or text is unusable."""
    time_text = table.column("time")
    try:  # the fast path: every `time` an integer
        time_raw = pc.cast(time_text, pa.int64()).to_numpy()
        is_int = np.ones(table.num_rows, dtype=bool)
    except pa.ArrowInvalid:
        if not exact and pc.any(pc.equal(time_text, "")).as_py():
            raise NeedsExactPass from None  # maybe an empty line: the exact pass names it so
        whole = pc.replace_substring_regex(time_text, _INTEGRAL_FLOAT, r"\1")
        is_int = pc.fill_null(pc.match_substring_regex(whole, _INTEGER), False).to_numpy(zero_copy_only=False)
        time_raw = np.zeros(table.num_rows, dtype=np.int64)
        if is_int.any():
            time_raw[is_int] = pc.cast(whole.filter(pa.array(is_int)), pa.int64()).to_numpy()
        texts = time_text.to_pylist()
        report.quarantine(table, np.flatnonzero(~is_int), lines, lambda i: _time_reason(texts[i]), "time")
    keep = is_int & (np.abs(time_raw - axis.time_origin) <= axis.max_offset)
    report.quarantine(
        table,
        np.flatnonzero(is_int & ~keep),
        lines,
        f"time is not on the file's clock: more than 200 years from {axis.time_origin} (is it in another unit?)",
        "time",
    )
    time_raw = np.where(keep, time_raw, axis.time_origin)
    timeframe = axis.timeframe_us(time_raw)
    if axis.first_day or axis.last_day:
        _quarantine_outside_days(table, lines, axis, report, timeframe, keep)
    for column in contract.COLUMNS:
        if column.max_bytes is not None:
            length = pc.binary_length(table.column(column.name))
            if (pc.max(length).as_py() or 0) <= column.max_bytes:
                continue  # every value fits (the usual case): nothing to look at row by row
            length = length.to_numpy(zero_copy_only=False)
            too_long = keep & (length > column.max_bytes)
            report.quarantine(
                table,
                np.flatnonzero(too_long),
                lines,
                lambda i, c=column, n=length: (
                    f"{c.name} too long: {n[i]} bytes, the stores take at most {c.max_bytes} (VARCHAR({c.max_bytes}))"
                ),
                column.raw,
            )
            keep &= ~too_long
    placed = table.drop_columns(["time"])
    if not keep.all():  # only when something was quarantined: filtering copies every column
        placed = placed.filter(pa.array(keep))
        timeframe, time_raw, lines = timeframe[keep], time_raw[keep], lines[keep]
    placed = placed.add_column(0, "timeframe", pa.array(timeframe, pa.timestamp("us", tz="UTC")))
    placed = placed.add_column(0, "time_raw", pa.array(time_raw, pa.int64()))
    return placed.add_column(0, "source_line", pa.array(lines, pa.int32()))


def _time_reason(text: str) -> str:
    if text == "":
        return "time is empty"
    if re.fullmatch(r"-?[0-9]+\.[0-9]*", text):
        return "time is not a whole number of seconds"
    return "time is not an integer unix timestamp"


def _quarantine_outside_days(table, lines, axis: TimeAxis, report: ReadReport, timeframe, keep) -> None:
    day = timeframe // _DAY_US
    low = (axis.first_day - date(1970, 1, 1)).days if axis.first_day else np.iinfo(np.int64).min
    high = (axis.last_day - date(1970, 1, 1)).days if axis.last_day else np.iinfo(np.int64).max
    outside = keep & ((day < low) | (day > high))
    if not outside.any():
        return
    epoch = date(1970, 1, 1)
    first, last = epoch + timedelta(days=int(day[outside].min())), epoch + timedelta(days=int(day[outside].max()))
    if report.outside_days:
        first, last = min(first, report.outside_days[0]), max(last, report.outside_days[1])
    report.outside_days = (first, last)
    report.quarantine(
        table,
        np.flatnonzero(outside),
        lines,
        lambda i: f"outside the partitions: day {epoch + timedelta(days=int(day[i]))} is not in {axis.describe_days()}",
        "time",
    )
    keep &= ~outside


def day_numbers(table: pa.Table) -> np.ndarray:
    return table.column("timeframe").cast(pa.int64()).to_numpy() // _DAY_US


def finish_day(parts: list[pa.Table], report: ReadReport) -> pa.Table:
    """Quarantine repeated minutes (the first occurrence wins), sort by time and count the day's rows.

    The parts stay as they are (no copy) unless a row must go or the order must change."""
    day = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
    minutes = day.column("time_raw").to_numpy()
    order = np.argsort(minutes, kind="stable")
    sorted_minutes = minutes[order]
    repeated = np.zeros(day.num_rows, dtype=bool)
    repeated[order[1:][sorted_minutes[1:] == sorted_minutes[:-1]]] = True
    if repeated.any():
        lines = day.column("source_line").to_numpy()
        first_line: dict[int, int] = {}
        for i in order:
            first_line.setdefault(int(minutes[i]), int(lines[i]))
        report.quarantine(
            day,
            np.flatnonzero(repeated),
            lines,
            lambda i: f"duplicate minute: same time as line {first_line[int(minutes[i])]}",
            "time",
        )
        day = day.filter(pa.array(~repeated))
    if not np.all(np.diff(day.column("time_raw").to_numpy()) > 0):
        day = day.take(pa.array(np.argsort(day.column("time_raw").to_numpy(), kind="stable")))
    report.staged_rows += day.num_rows
    key = str(date(1970, 1, 1) + timedelta(days=int(day_numbers(day.slice(0, 1))[0])))
    report.rows_per_day[key] = report.rows_per_day.get(key, 0) + day.num_rows
    return day
