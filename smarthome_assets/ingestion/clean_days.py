"""Clean a range of staged days into the clean zone (the work behind `clean_weather`, `clean_devices`).

Each (day, home) is cleaned on its own, so a single day gives exactly the same result as a range that
contains it, and memory stays at one day whatever the range or the number of homes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date

import pyarrow as pa

from smarthome_assets.cleaning.quality import QualityStats
from smarthome_assets.cleaning.rules import DEVICES_SCHEMA, WEATHER_SCHEMA, CleaningReport, clean_devices, clean_weather
from smarthome_assets.database.connection import PostgresDatabase
from smarthome_assets.database.loading import OperationalLoad, load_range
from smarthome_assets.homec import contract
from smarthome_assets.ingestion import arrow_files, layout
from smarthome_assets.ingestion.landing import Manifest
from smarthome_assets.storage.object_store import ObjectStore

CLEANERS: dict[str, tuple[Callable[[pa.Table, int], tuple[pa.Table, CleaningReport]], list[str]]] = {
    "weather": (clean_weather, ["source_line", "time_raw", "timeframe", *(c.name for c in contract.WEATHER_COLUMNS)]),
    "energy": (clean_devices, ["source_line", "time_raw", "timeframe", *(c.name for c in contract.POWER_COLUMNS)]),
}


SCHEMAS = {"weather": WEATHER_SCHEMA, "energy": DEVICES_SCHEMA}


@dataclass
class CleanResult:
    table: str
    report: CleaningReport = field(default_factory=CleaningReport)
    quality: QualityStats = field(default_factory=QualityStats)
    rows_per_day: dict[str, int] = field(default_factory=dict)
    staged_rows: int = 0
    homes: set[int] = field(default_factory=set)


def staged_homes_by_day(manifests: list[Manifest], days: list[date]) -> dict[str, list[int]]:
    """Which homes have staged rows on each day, from the landing manifests (no listing needed)."""
    wanted = {str(d) for d in days}
    by_day: dict[str, list[int]] = {str(d): [] for d in days}
    for manifest in manifests:
        for day in wanted.intersection(manifest.rows_per_day):
            by_day[day].append(manifest.house_id)
    return {d: sorted(h) for d, h in by_day.items()}


def _clean_one(
    store: ObjectStore, table: str, day: str, house_id: int
) -> tuple[str, int, pa.Table, CleaningReport, int]:
    cleaner, columns = CLEANERS[table]
    staged = arrow_files.read_table(store, layout.staged_day_key(day, house_id), columns)
    clean, report = cleaner(staged, house_id)
    arrow_files.write_table(store, layout.clean_day_key(table, day, house_id), clean)
    store.put_bytes(
        layout.clean_report_key(table, day, house_id),
        json.dumps({k: asdict(v) for k, v in report.replacements.items()}).encode(),
    )
    return day, house_id, clean, report, staged.num_rows


def clean_range(
    store: ObjectStore, table: str, days: list[date], manifests: list[Manifest], progress=None, threads: int = 2
) -> CleanResult:
    """Clean every (day, home) of the range; `threads` days at once (pyarrow's kernels release the GIL).

    Results are merged in day order, so reports and examples do not depend on thread timing.
    """
    result = CleanResult(table=table)
    homes_by_day = staged_homes_by_day(manifests, days)
    known_homes = {m.house_id for m in manifests}
    work = [(day, house_id) for day, homes in homes_by_day.items() for house_id in homes]
    done_days = 0
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        for day, house_id, clean, report, staged_rows in pool.map(lambda w: _clean_one(store, table, *w), work):
            result.report.merge(report)
            result.quality.observe(day, house_id, clean)
            result.staged_rows += staged_rows
            result.rows_per_day[day] = result.rows_per_day.get(day, 0) + clean.num_rows
            result.homes.add(house_id)
            if house_id == homes_by_day[day][-1]:
                done_days += 1
                if progress and done_days % 30 == 0:
                    progress(f"clean {table}: {done_days}/{len(homes_by_day)} days")
    for day, homes in homes_by_day.items():  # days that left their source file
        for house_id in known_homes.difference(homes):
            store.delete(layout.clean_day_key(table, day, house_id))
    if progress:
        progress(f"clean {table}: {len(homes_by_day)}/{len(homes_by_day)} days")
    return result


def clean_batches(store: ObjectStore, table: str, homes_by_day: dict[str, list[int]]) -> pa.RecordBatchReader:
    """The clean zone's batches of one table for the range, day by day (what the loader COPYs)."""

    def batches() -> Iterator[pa.RecordBatch]:
        for day, homes in homes_by_day.items():
            for house_id in homes:
                clean = arrow_files.read_table(store, layout.clean_day_key(table, day, house_id))
                yield from clean.cast(SCHEMAS[table]).to_batches()

    return pa.RecordBatchReader.from_batches(SCHEMAS[table], batches())


def load_clean_days(
    db: PostgresDatabase, store: ObjectStore, homes_by_day: dict[str, list[int]], days: list[date]
) -> OperationalLoad:
    """Replace the range in PostgreSQL with the clean zone's rows of those days (one transaction)."""
    readers = {table: (lambda t=table: clean_batches(store, t, homes_by_day)) for table in CLEANERS}
    homes = sorted({h for hs in homes_by_day.values() for h in hs})
    return load_range(db, readers, homes, days)
