"""Synthetic HomeC.csv files: one believable smart home per file, in exactly the real file's format.

The pipeline runs, is shown and is tested without the Kaggle file, so these files carry every quirk of the
real one (docs/DESIGN_NOTES.md lists them) and numbers from a small physical model of a US north-east house:
seasons, furnaces, solar, compressors, meals, a whole-house `use` above the metered circuits. Homes differ by
seeded habits; everything is deterministic per seed, vectorised, and a year takes about a second."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np

from smarthome_assets.homec import contract
from smarthome_assets.homec.generator.climate import BLOCK_ROWS, JUNK_TIME_TEXT, STREAM_BLOCK
from smarthome_assets.homec.generator.csv_text import block_text
from smarthome_assets.homec.generator.power import SimulatedHome, simulate_power
from smarthome_assets.homec.generator.weather import simulate_weather, weather_as_text, weather_periods

__all__ = ["JUNK_TIME_TEXT", "generate_home", "generate_homes", "home_file_name", "rows_for_days"]

# --------------------------------------------------------------------------------------------------------
# Public API


def rows_for_days(days: int | None) -> int:
    """Valid rows for `days` of minutes; None means the real file's full length (not 366 days of minutes)."""
    if days is None:
        return contract.FULL_YEAR_ROWS
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    return days * contract.MINUTES_PER_DAY


def home_file_name(home_index: int) -> str:
    """`home_01.csv` for index 0: stable names, so re-running replaces a home's file instead of adding one."""
    return f"home_{home_index + 1:02d}.csv"


def generate_home(path: Path, *, rows: int = contract.FULL_YEAR_ROWS, seed: int = 0, home_index: int = 0) -> int:
    """Write one home's HomeC-shaped CSV to `path` and return the number of valid rows written.

    The file appears atomically (written beside `path`, then renamed), so a reader never sees half a file.
    Row ``i`` depends only on ``(seed, home_index, i)``: a shorter file is a prefix of a longer one.
    """
    if rows < 0 or seed < 0 or home_index < 0:
        raise ValueError(f"rows, seed and home_index must be >= 0, got {rows}, {seed}, {home_index}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    blocks = -(-rows // BLOCK_ROWS)
    weather = weather_as_text(simulate_weather(seed, weather_periods(blocks * BLOCK_ROWS)))
    home = SimulatedHome.draw(seed, home_index)

    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as out:
            out.write((",".join(contract.RAW_HEADER) + "\n").encode())
            for block in range(blocks):
                first = block * BLOCK_ROWS
                n = min(BLOCK_ROWS, rows - first)
                rng = np.random.default_rng([STREAM_BLOCK, seed, home_index, block])
                power = simulate_power(home, weather.values, first, rng)
                out.write(block_text(first, n, power, weather))
            out.write((JUNK_TIME_TEXT + "," * (len(contract.COLUMNS) - 1) + "\n").encode())
        os.chmod(tmp_name, 0o644)  # mkstemp makes 0600; a database server reading the file needs more
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return rows


def generate_homes(out_dir: Path, *, homes: int = 1, days: int | None = None, seed: int = 0) -> list[Path]:
    """Write `homes` files (`home_01.csv`, ...) into `out_dir`, each `days` long (None: a full year).

    Homes of one seed share the weather and differ in habits and equipment; home i of a seed is the same
    whatever `homes` is, so adding homes never changes the existing ones.
    """
    if homes < 0:
        raise ValueError(f"homes must be >= 0, got {homes}")
    rows = rows_for_days(days)
    out_dir = Path(out_dir)
    paths = []
    for index in range(homes):
        path = out_dir / home_file_name(index)
        generate_home(path, rows=rows, seed=seed, home_index=index)
        paths.append(path)
    return paths
