"""Any stretch of a synthetic home's rows, as CSV data lines: what the feed simulator (`smarthome simulate`)
turns into live deliveries. Row `i` is the same text `generate_home` writes for row `i` (same seed, home
and 14-day block streams), so a simulated home looks exactly like a generated file, quirks included."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from smarthome_assets.homec import contract
from smarthome_assets.homec.generator.climate import BLOCK_ROWS, STREAM_BLOCK
from smarthome_assets.homec.generator.csv_text import block_text
from smarthome_assets.homec.generator.power import SimulatedHome, simulate_power
from smarthome_assets.homec.generator.weather import simulate_weather, weather_as_text, weather_periods

#: Weather is simulated for this many blocks (378 days): every day of a calendar year, shifted up to three
#: days to keep the weekday, has its weather.
_WEATHER_BLOCKS = 27
MAX_ROW = _WEATHER_BLOCKS * BLOCK_ROWS


@lru_cache(maxsize=4)
def _weather(seed: int):
    return weather_as_text(simulate_weather(seed, weather_periods(MAX_ROW)))


@lru_cache(maxsize=16)
def _block_lines(seed: int, home_index: int, block: int) -> tuple[bytes, ...]:
    """One 14-day block of one home as data lines (no newline), cached: deltas reuse their block."""
    weather = _weather(seed)
    rng = np.random.default_rng([STREAM_BLOCK, seed, home_index, block])
    first = block * BLOCK_ROWS
    power = simulate_power(SimulatedHome.draw(seed, home_index), weather.values, first, rng)
    return tuple(bytes(block_text(first, BLOCK_ROWS, power, weather)).split(b"\n")[:-1])


def synthetic_lines(seed: int, home_index: int, first_row: int, n: int) -> list[bytes]:
    """Data lines of rows [first_row, first_row + n) of home `home_index` (their `time` counts rows, as in
    the Kaggle file; a caller with another time axis rewrites that first field)."""
    if first_row < 0 or first_row + n > MAX_ROW:
        raise ValueError(f"rows {first_row}..{first_row + n} are outside the simulated {MAX_ROW} rows")
    lines: list[bytes] = []
    row = first_row
    while row < first_row + n:
        block, offset = divmod(row, BLOCK_ROWS)
        take = min(BLOCK_ROWS - offset, first_row + n - row)
        lines.extend(_block_lines(seed, home_index, block)[offset : offset + take])
        row += take
    return lines


def header_line() -> bytes:
    return ",".join(contract.RAW_HEADER).encode()
