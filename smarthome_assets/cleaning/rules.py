"""Turn a staged day (HomeC values as text) into typed, clean weather and energy readings.

Numbers are parsed strictly. A value that is not one (the `cloudCover` text of the real file's first 58
rows, any other text, an empty field, NaN, ±inf) is replaced by rule and counted per column with examples:
weather takes the nearest earlier valid reading of the home-day (else the nearest later, else 0.0), power
readings become 0.0 (the original project's rule). Rows are never removed here: the reader already
quarantined what cannot be placed in time. The reasoning is in docs/DESIGN_NOTES.md."""

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


def parse_numbers(text: pa.ChunkedArray | pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Strictly parse text as float64; return the values (invalid ones null) and the invalid mask."""
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    try:
        values = pc.cast(text, pa.float64())  # the fast path: every value a plain number
        invalid = ~pc.is_finite(values).to_numpy(zero_copy_only=False)
        if not invalid.any():
            return values, invalid
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    valid = pc.match_substring_regex(text, _NUMBER).to_numpy(zero_copy_only=False)
    values = pc.cast(pc.if_else(pa.array(valid), text, pa.scalar(None, pa.string())), pa.float64())
    valid &= pc.fill_null(pc.is_finite(values), False).to_numpy(zero_copy_only=False)
    return pc.if_else(pa.array(valid), values, pa.scalar(None, pa.float64())), ~valid


def _fill_from_neighbours(values: pa.Array, default: float | str | None) -> pa.Array:
    filled = pc.fill_null_backward(pc.fill_null_forward(values))
    return pc.fill_null(filled, default) if default is not None else filled


def _texts(day: pa.Table, column: str, mask: np.ndarray) -> tuple[np.ndarray, list[str]]:
    idx = np.flatnonzero(mask)[:EXAMPLES_PER_COLUMN]
    lines = day.column("source_line").to_numpy()[np.flatnonzero(mask)]
    return lines, [day.column(column)[int(i)].as_py() for i in idx]


def _keys(day: pa.Table, house_id: int) -> list[pa.Array]:
    return [
        pa.array(np.full(day.num_rows, house_id, dtype=np.int32)),
        day.column("timeframe").combine_chunks(),
        day.column("time_raw").combine_chunks(),
    ]


def clean_weather(day: pa.Table, house_id: int) -> tuple[pa.Table, CleaningReport]:
    """A staged day -> the `weather` rows of one home, with the replacements counted."""
    report = CleaningReport(rows=day.num_rows)
    arrays = _keys(day, house_id)
    for column in contract.WEATHER_COLUMNS:
        if column.is_numeric:
            values, invalid = parse_numbers(day.column(column.name))
            default: float | str = 0.0
        else:
            values = day.column(column.name).combine_chunks()
            invalid = pc.equal(values, "").to_numpy(zero_copy_only=False)
            values = pc.if_else(pa.array(invalid), pa.scalar(None, pa.string()), values)
            default = ""
        if invalid.any():
            report.add(column.name, *_texts(day, column.name, invalid))
            values = _fill_from_neighbours(values, default)
            if not column.is_numeric:
                values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
        arrays.append(values)
    return pa.Table.from_arrays(arrays, schema=WEATHER_SCHEMA), report


def clean_energy(day: pa.Table, house_id: int) -> tuple[pa.Table, CleaningReport]:
    """A staged day -> the `energy_consuming_device` rows of one home (kW), replacements counted."""
    report = CleaningReport(rows=day.num_rows)
    arrays = _keys(day, house_id)
    for column in contract.POWER_COLUMNS:
        values, invalid = parse_numbers(day.column(column.name))
        if invalid.any():
            report.add(column.name, *_texts(day, column.name, invalid))
            values = pc.fill_null(values, 0.0)
        arrays.append(values)
    return pa.Table.from_arrays(arrays, schema=ENERGY_SCHEMA), report
