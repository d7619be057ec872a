"""Read a HomeC-shaped CSV strictly, in bounded memory, and split it into days, losing no line.

Physical lines are counted on the bytes, apart from the parser, so the accounting can fail. The fast pass
parses with quoting off; at the first sign of damage the exact pass (exact_pass.py) classifies every line
and the parse restarts on the good ones. Files that cannot be HomeC fail with one `SourceFormatError`
naming file, line, column, reason and what to do. A row's `timeframe` is `TIMEFRAME_ORIGIN + (time -
TIME_ORIGIN)` minutes (rows.py)."""

from __future__ import annotations

import gzip
import io
import itertools
import re
import zlib
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from smarthome_assets.homec.errors import SourceFormatError
from smarthome_assets.homec.exact_pass import ExactPass, GoodLines
from smarthome_assets.homec.rows import (
    STAGED_PREFIX,
    TEXT_COLUMNS,
    NeedsExactPass,
    Quarantined,
    ReadReport,
    TimeAxis,
    day_numbers,
    finish_day,
    place_rows,
)
from smarthome_assets.homec.source_file import (
    LineCountingReader,
    check_header,
    open_source,
    physical_lines,
    time_span,
)

__all__ = [
    "STAGED_PREFIX",
    "TEXT_COLUMNS",
    "Quarantined",
    "ReadReport",
    "SourceFormatError",
    "TimeAxis",
    "check_header",
    "read_days",
    "time_span",
]

#: Bytes of CSV parsed at a time: bounds memory whatever the file size. pyarrow's streaming reader reads
#: about 32 blocks ahead of the parser, so the block size sets the peak; 1 MB gave the lowest peak at the
#: same speed (docs/DESIGN_NOTES.md).
PARSE_BLOCK_BYTES = 1 << 20
_SIGNED_DIGITS = re.compile(rb"^-?[0-9]{1,24}$")


def read_days(
    path: Path, name: str, axis: TimeAxis | None = None
) -> tuple[Iterator[tuple[date, pa.Table]], ReadReport]:
    """Stream a file as (day, rows of that day) in time order, with a report filled as it goes.

    Days come out once each (a restart after finding damage emits them again; consumers overwrite by day);
    the report is complete when the iterator is exhausted. Raises SourceFormatError, and only that.
    """
    axis = axis or TimeAxis()
    report = ReadReport(file=name)
    with _named_errors(name):
        check_header(path, name)
        _check_time_unit(path, name, axis)
    return _guarded(_read_days(path, name, axis, report), name), report


class _named_errors:
    """Turn any library error met while reading into a one-line SourceFormatError (never a raw traceback)."""

    def __init__(self, name: str):
        self.name = name

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, _tb):
        if exc is None or isinstance(exc, SourceFormatError | NeedsExactPass) or not isinstance(exc, Exception):
            return False
        raise _describe(self.name, exc) from exc


def _describe(name: str, exc: BaseException) -> SourceFormatError:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else "no detail"
    if isinstance(exc, zlib.error | gzip.BadGzipFile) or (isinstance(exc, EOFError) and "compressed" in detail.lower()):
        return SourceFormatError(
            name, f"the gzip data is damaged or cut short ({detail}): compress the original file again"
        )
    if isinstance(exc, OSError):
        return SourceFormatError(name, f"cannot be read ({detail}): check the path and its permissions")
    return SourceFormatError(
        name,
        f"cannot be read as HomeC ({type(exc).__name__}: {detail}): check the file is an unmodified HomeC CSV; "
        "if it is, report this error with the file",
    )


def _guarded(days: Iterator[tuple[date, pa.Table]], name: str) -> Iterator[tuple[date, pa.Table]]:
    with _named_errors(name):
        yield from days


def _check_time_unit(path: Path, name: str, axis: TimeAxis) -> None:
    """Fail by name when `time` is in milli- or microseconds: every row would be off the file's clock.

    Decided on the first three integer times (within the first 100 lines), all in the same unit, so that one
    damaged first row is quarantined like any other instead of condemning the file."""
    times: list[tuple[int, int]] = []
    with open_source(path, name) as stream:
        lines = physical_lines(stream)
        next(lines, None)
        for line_no, raw in zip(range(2, 102), lines, strict=False):
            head = raw.split(b",", 1)[0].strip()
            if _SIGNED_DIGITS.match(head):
                times.append((line_no, int(head)))
                if len(times) == 3:
                    break
    for unit, factor in (("milliseconds", 1_000), ("microseconds", 1_000_000)):
        if times and all(
            abs(value - axis.time_origin) > axis.max_offset
            and abs(value // factor - axis.time_origin) <= axis.max_offset
            for _, value in times
        ):
            line_no, value = times[0]
            raise SourceFormatError(
                name,
                f"time is in {unit} ({value}); HomeC counts in seconds (e.g. {axis.time_origin}): "
                f"divide the column by {factor:,}",
                line=line_no,
                column="time",
            )


class _RestartExactly(Exception):
    """The fast pass found damage: classify every line exactly and parse again."""


def _read_days(path: Path, name: str, axis: TimeAxis, report: ReadReport) -> Iterator[tuple[date, pa.Table]]:
    exact: ExactPass | None = None
    while True:
        try:
            yield from _read_days_once(path, name, axis, report, exact)
            break
        except (_RestartExactly, NeedsExactPass):
            if exact is not None:
                raise SourceFormatError(name, "the exact pass still met unparseable rows; report this") from None
            exact = ExactPass.run(path, name)
            report.reset()
    if report.staged_rows == 0 and report.outside_days:
        first, last = report.outside_days
        raise SourceFormatError(
            name,
            f"none of the file's days ({first}..{last}) are in the partitions ({axis.describe_days()}): set "
            "SMARTHOME_FIRST_DAY/SMARTHOME_LAST_DAY (or SMARTHOME_TIMEFRAME_ORIGIN) to cover them",
            column="time",
        )


def _read_days_once(
    path: Path, name: str, axis: TimeAxis, report: ReadReport, exact: ExactPass | None
) -> Iterator[tuple[date, pa.Table]]:
    if exact is None:
        counter = LineCountingReader(open_source(path, name))
        source: io.RawIOBase = counter
        line_numbers = lambda start, count: np.arange(start + 2, start + 2 + count, dtype=np.int64)  # noqa: E731
    else:
        report.quarantined.extend(exact.problems.values())
        report.joined_lines = exact.joined_lines
        source = GoodLines(path, name, exact)
        line_numbers = lambda start, count: exact.good_lines[start : start + count]  # noqa: E731
    pending: list[pa.Table] = []
    pending_day: date | None = None
    emitted: set[date] = set()
    row_index = 0
    with source:
        for batch in _batches(source, strict=exact is None):
            if exact is None and (counter.quotes or counter.nuls):
                raise _RestartExactly
            lines = line_numbers(row_index, batch.num_rows)
            row_index += batch.num_rows
            table = place_rows(pa.Table.from_batches([batch]), lines, axis, report, exact=exact is not None)
            if table.num_rows == 0:
                continue
            days = day_numbers(table)
            _check_order(name, table, days, pending_day)
            # Days only go forward (checked above), so each day is one run of rows: a zero-copy slice.
            starts = np.concatenate(([0], np.flatnonzero(np.diff(days)) + 1, [days.size]))
            for first, end in itertools.pairwise(starts):  # on a well-formed file 1-2 days
                day = date(1970, 1, 1) + timedelta(days=int(days[first]))
                part = table.slice(int(first), int(end - first))
                if day in emitted:
                    raise SourceFormatError(
                        name,
                        f"rows for {day} appear again after later days: sort the file by time, oldest first",
                        line=int(part.column("source_line")[0].as_py()),
                        column="time",
                    )
                if pending_day is not None and day != pending_day:
                    emitted.add(pending_day)
                    yield pending_day, finish_day(pending, report)
                    pending = []
                pending_day = day
                pending.append(part)
    if exact is None and (counter.quotes or counter.nuls or row_index != counter.data_lines):
        raise _RestartExactly
    if pending_day is not None:
        yield pending_day, finish_day(pending, report)
    report.data_lines = counter.data_lines if exact is None else exact.data_lines


def _check_order(name: str, table: pa.Table, days: np.ndarray, previous_day: date | None) -> None:
    """Days may only go forward (within a day any order is sorted out): name the step back, and say so when the
    file looks sorted newest first, the usual cause (the partitions are not to blame)."""
    epoch = date(1970, 1, 1)
    steps = np.diff(days)
    if previous_day is not None and days[0] < (previous_day - epoch).days:  # the step back is at a block boundary
        before, after, line = previous_day, epoch + timedelta(days=int(days[0])), table.column("source_line")[0]
    elif (steps < 0).any():
        i = int(np.flatnonzero(steps < 0)[0])
        before, after = epoch + timedelta(days=int(days[i])), epoch + timedelta(days=int(days[i + 1]))
        line = table.column("source_line")[i + 1]
    else:
        return
    head = table.column("time_raw").to_numpy()[:3]
    hint = "the file looks sorted newest first; " if head.size > 1 and np.all(np.diff(head) < 0) else ""
    raise SourceFormatError(
        name,
        f"rows go back in time, from {before} to {after}: {hint}sort the file by time, oldest first",
        line=int(line.as_py()),
        column="time",
    )


def _batches(source, *, strict: bool) -> Iterator[pa.RecordBatch]:
    """Parse with quoting off: a `"` is an ordinary byte, so it can never join lines.

    No invalid-row handler: pyarrow decodes a bad row's text for the handler and prints a traceback when
    that text is not UTF-8. Any parse error in the fast pass sends the file to the exact pass instead.
    """
    try:
        reader = pcsv.open_csv(
            source,
            read_options=pcsv.ReadOptions(
                block_size=PARSE_BLOCK_BYTES, skip_rows=1, column_names=["time", *TEXT_COLUMNS]
            ),
            parse_options=pcsv.ParseOptions(quote_char=False, escape_char=False, ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(
                column_types={n: pa.string() for n in ["time", *TEXT_COLUMNS]},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        yield from reader
    except pa.ArrowInvalid:
        if strict:  # a malformed row or bytes that are not UTF-8: the exact pass finds the line
            raise _RestartExactly from None
        raise
