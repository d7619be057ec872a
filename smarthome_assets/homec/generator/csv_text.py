"""The generated rows as CSV text, formatted exactly like the real file's numbers."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from smarthome_assets.homec import contract
from smarthome_assets.homec.generator.climate import (
    MAX_UNITS,
    SCIENTIFIC_BELOW_UNITS,
    UNITS_PER_KW,
    IntArray,
)
from smarthome_assets.homec.generator.number_text import scientific_text
from smarthome_assets.homec.generator.weather import WeatherText

# --------------------------------------------------------------------------------------------------------
# Text


@lru_cache(maxsize=1)
def kw_text_table() -> pa.StringArray:
    """The text of every possible kW reading (index = reading in 1/60,000 kW), formatted like the real file.

    Built once (in slices, to keep the peak memory low) with vectorised pyarrow kernels; formatting a
    column is then one `take`.
    """
    small = ["0"] + [scientific_text(u / UNITS_PER_KW) for u in range(1, SCIENTIFIC_BELOW_UNITS)]
    parts = [pa.array(small, pa.string())]
    step = 1 << 18
    for low in range(SCIENTIFIC_BELOW_UNITS, MAX_UNITS + 1, step):
        units = np.arange(low, min(low + step, MAX_UNITS + 1), dtype=np.int64)
        nano = (2 * 1_000_000_000 * units + UNITS_PER_KW) // (2 * UNITS_PER_KW)  # kW in 1e-9, half up
        whole = pa.array(nano // 1_000_000_000).cast(pa.string())
        fraction = pa.array(nano % 1_000_000_000).cast(pa.string())
        fraction = pc.utf8_rtrim(pc.utf8_lpad(fraction, 9, "0"), "0")
        joined = pc.binary_join_element_wise(whole, fraction, ".")
        parts.append(pc.if_else(pc.equal(fraction, ""), whole, joined))
    return pa.concat_arrays(parts)


# --------------------------------------------------------------------------------------------------------
# Rows


def block_text(first_row: int, n: int, power: dict[str, IntArray], weather: WeatherText) -> memoryview:
    """The CSV bytes of rows [first_row, first_row + n): every column as a pyarrow string array, joined in C++."""
    table = kw_text_table()
    rows = first_row + np.arange(n, dtype=np.int64)
    period = pa.array(rows // contract.WEATHER_PERIOD_ROWS)
    texts: dict[str, pa.Array] = {}
    columns = []
    for column in contract.COLUMNS:
        if column.kind is contract.ColumnKind.TIME:
            text = pa.array(contract.TIME_ORIGIN + rows).cast(pa.string())
        elif column.is_power:
            values = power[column.name]  # `use` and `House overall` are one array: format it once
            if id(values) not in texts:
                texts[id(values)] = pc.take(table, pa.array(values[:n]))
            text = texts[id(values)]
        else:
            text = pc.take(weather.columns[column.name], period)
            if column.name == "cloud_cover" and first_row < contract.CLOUD_COVER_TEXT_ROWS:
                placeholder = pa.array(rows < contract.CLOUD_COVER_TEXT_ROWS)
                text = pc.if_else(placeholder, column.raw, text)
        columns.append(text)
    columns[-1] = pc.binary_join_element_wise(columns[-1], pa.scalar("\n"), "")
    joined = pc.binary_join_element_wise(*columns, ",")
    return _data_bytes(joined)


def _data_bytes(strings: pa.Array) -> memoryview:
    """The concatenated characters of a string array, without copying (its data buffer between offsets)."""
    _, offsets, data = strings.buffers()
    offset_type = np.int64 if pa.types.is_large_string(strings.type) else np.int32
    bounds = np.frombuffer(offsets, dtype=offset_type)[strings.offset : strings.offset + len(strings) + 1]
    return memoryview(data)[int(bounds[0]) : int(bounds[-1])]
