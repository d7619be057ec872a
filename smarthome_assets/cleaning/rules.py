"""Turn staged rows (HomeC values as text) into typed, clean weather and energy readings.

Numbers are parsed strictly. A value that is not one (the `cloudCover` text of the real file's first 58
rows, any other text, an empty field, NaN, ±inf) is replaced by rule and counted per column with examples:
weather takes the nearest earlier valid reading of the home-day (else the nearest later, else 0.0), power
readings become 0.0 (the original project's rule). Rows are never removed here: the reader already
quarantined what cannot be placed in time. Many home-days are cleaned per call (`Segments` says where each
one starts), and a home-day gives the same rows alone or among others. The reasoning is in
docs/DESIGN_NOTES.md."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from smarthome_assets.homec import contract

_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
EXAMPLES_PER_COLUMN = 3

WEATHER_SCHEMA = pa.schema(
    [
        pa.field("house_id", pa.int32(), False),
        pa.field("timeframe", pa.timestamp("us", tz="UTC"), False),
        pa.field("time_raw", pa.int64(), False),
    ]
    + [
        pa.field(c.name, pa.float64() if c.is_numeric else pa.string(), not c.is_numeric)
        for c in contract.WEATHER_COLUMNS
    ]
)
ENERGY_SCHEMA = pa.schema(
    [
        pa.field("house_id", pa.int32(), False),
        pa.field("timeframe", pa.timestamp("us", tz="UTC"), False),
        pa.field("time_raw", pa.int64(), False),
    ]
    + [pa.field(c.name, pa.float64(), False) for c in contract.POWER_COLUMNS]
)


@dataclass
class Replacement:
    """Replacements in one column: how many, and a few examples to find them in the source file."""

    count: int = 0
    examples: list[tuple[int, str]] = field(default_factory=list)  # (source line, original text)


@dataclass
class CleaningReport:
    rows: int = 0
    replacements: dict[str, Replacement] = field(default_factory=dict)

    def add(self, column: str, lines: np.ndarray, texts: list[str]) -> None:
        entry = self.replacements.setdefault(column, Replacement())
        entry.count += len(lines)
        room = EXAMPLES_PER_COLUMN - len(entry.examples)
        entry.examples.extend((int(line), text) for line, text in zip(lines[:room], texts[:room], strict=False))

    def merge(self, other: CleaningReport) -> None:
        self.rows += other.rows
        for column, rep in other.replacements.items():
            entry = self.replacements.setdefault(column, Replacement())
            entry.count += rep.count
            entry.examples.extend(rep.examples[: EXAMPLES_PER_COLUMN - len(entry.examples)])

    def counts(self) -> dict[str, int]:
        return {c: r.count for c, r in sorted(self.replacements.items())}

    @property
    def total_replaced(self) -> int:
        return sum(r.count for r in self.replacements.values())


@dataclass(frozen=True)
class Segments:
    """The home-days of a table of staged rows, in row order: each one's house_id and number of rows."""

    house_ids: np.ndarray
    lengths: np.ndarray

    @classmethod
    def single(cls, house_id: int, rows: int) -> Segments:
        return cls(np.array([house_id], dtype=np.int32), np.array([rows], dtype=np.int64))

    @property
    def starts(self) -> np.ndarray:
        return np.concatenate(([0], np.cumsum(self.lengths)[:-1])).astype(np.int64)

    @property
    def rows(self) -> int:
        return int(self.lengths.sum())

    def of_rows(self) -> np.ndarray:
        """Each row's segment number."""
        return np.repeat(np.arange(len(self.lengths)), self.lengths)

    def row_house_ids(self) -> pa.Array:
        return pa.array(np.repeat(self.house_ids.astype(np.int32), self.lengths), pa.int32())


def parse_numbers(text: pa.ChunkedArray | pa.Array) -> tuple[pa.ChunkedArray | pa.Array, np.ndarray]:
    """Strictly parse text as float64; return the values (invalid ones null) and the invalid mask."""
    try:
        values = pc.cast(text, pa.float64())  # the fast path: every value a plain number
        invalid = ~_to_numpy(pc.is_finite(values))
        if not invalid.any():
            return values, invalid
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    valid = _to_numpy(pc.match_substring_regex(text, _NUMBER))
    values = pc.cast(pc.if_else(pa.array(valid), text, pa.scalar(None, pa.string())), pa.float64())
    valid &= _to_numpy(pc.fill_null(pc.is_finite(values), False))
    return pc.if_else(pa.array(valid), values, pa.scalar(None, pa.float64())), ~valid


def _to_numpy(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return values.to_numpy(zero_copy_only=False) if isinstance(values, pa.Array) else values.to_numpy()


def neighbour_rows(invalid: np.ndarray, segments: Segments) -> np.ndarray:
    """For each row, the row whose value it takes: itself when valid, else the nearest earlier valid row of
    its home-day, else the nearest later one, else -1 (no valid reading in the home-day)."""
    n = invalid.size
    index = np.arange(n)
    of_row = segments.of_rows()
    starts = segments.starts
    ends = starts + segments.lengths
    earlier = np.maximum.accumulate(np.where(invalid, -1, index))
    later = np.minimum.accumulate(np.where(invalid, n, index)[::-1])[::-1]
    earlier_ok = earlier >= starts[of_row]
    later_ok = later < ends[of_row]
    return np.where(earlier_ok, earlier, np.where(later_ok, later, -1))


def _examples(staged: pa.Table, column: str, invalid: np.ndarray) -> tuple[np.ndarray, list[str]]:
    rows = np.flatnonzero(invalid)
    lines = _to_numpy(staged.column("source_line"))[rows]
    texts = staged.column(column).take(pa.array(rows[:EXAMPLES_PER_COLUMN])).to_pylist()
    return lines, texts


def _keys(staged: pa.Table, segments: Segments) -> list:
    return [segments.row_house_ids(), staged.column("timeframe"), staged.column("time_raw")]


def clean_weather_rows(staged: pa.Table, segments: Segments) -> tuple[pa.Table, CleaningReport]:
    """Staged rows of several home-days -> their `weather` rows, with the replacements counted."""
    report = CleaningReport(rows=staged.num_rows)
    arrays = _keys(staged, segments)
    for column in contract.WEATHER_COLUMNS:
        text = staged.column(column.name)
        if column.is_numeric:
            values, invalid = parse_numbers(text)
        else:
            values, invalid = text, _to_numpy(pc.equal(text, ""))
        if invalid.any():
            report.add(column.name, *_examples(staged, column.name, invalid))
            source = neighbour_rows(invalid, segments)
            if column.is_numeric:
                numbers = _to_numpy(values)
                values = pa.array(np.where(source >= 0, numbers[np.maximum(source, 0)], 0.0), pa.float64())
            else:  # no reading in the whole home-day: null, as the table allows
                values = values.take(pa.array(source, pa.int64(), mask=source < 0))
        arrays.append(values)
    return pa.Table.from_arrays(arrays, schema=WEATHER_SCHEMA), report


def clean_energy_rows(staged: pa.Table, segments: Segments) -> tuple[pa.Table, CleaningReport]:
    """Staged rows of several home-days -> their `energy_consuming_device` rows (kW), replacements counted."""
    report = CleaningReport(rows=staged.num_rows)
    arrays = _keys(staged, segments)
    for column in contract.POWER_COLUMNS:
        values, invalid = parse_numbers(staged.column(column.name))
        if invalid.any():
            report.add(column.name, *_examples(staged, column.name, invalid))
            values = pc.fill_null(values, 0.0)
        arrays.append(values)
    return pa.Table.from_arrays(arrays, schema=ENERGY_SCHEMA), report


def clean_weather(day: pa.Table, house_id: int) -> tuple[pa.Table, CleaningReport]:
    """One staged home-day -> its `weather` rows."""
    return clean_weather_rows(day, Segments.single(house_id, day.num_rows))


def clean_energy(day: pa.Table, house_id: int) -> tuple[pa.Table, CleaningReport]:
    """One staged home-day -> its `energy_consuming_device` rows."""
    return clean_energy_rows(day, Segments.single(house_id, day.num_rows))
