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
import pyarrow.compute as pc

from smarthome_assets.cleaning.quality import QualityStats
from smarthome_assets.cleaning.rules import ENERGY_SCHEMA, WEATHER_SCHEMA, CleaningReport, clean_energy, clean_weather
from smarthome_assets.database.connection import PostgresDatabase
from smarthome_assets.database.loading import OperationalLoad, load_range
from smarthome_assets.homec import contract
from smarthome_assets.ingestion import arrow_files, layout
from smarthome_assets.ingestion.landing import Manifest
from smarthome_assets.storage.object_store import ObjectStore

CLEANERS: dict[str, tuple[Callable[[pa.Table, int], tuple[pa.Table, CleaningReport]], list[str]]] = {
    "weather": (clean_weather, ["source_line", "time_raw", "timeframe", *(c.name for c in contract.WEATHER_COLUMNS)]),
    "energy": (clean_energy, ["source_line", "time_raw", "timeframe", *(c.name for c in contract.POWER_COLUMNS)]),
}


SCHEMAS = {"weather": WEATHER_SCHEMA, "energy": ENERGY_SCHEMA}
#: Schema metadata key of a clean file: the JSON of that home-day's replacements (see `day_replacements`).
REPLACEMENTS_METADATA = "smarthome.replacements"


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
    by_day: dict[str, set[int]] = {str(d): set() for d in days}
    for manifest in manifests:
        for day in wanted.intersection(manifest.rows_per_day):
            by_day[day].add(manifest.house_id)
    return {d: sorted(h) for d, h in by_day.items()}


def staged_parts(manifests: list[Manifest], day: str, house_id: int) -> list[str]:
    """The staged objects of one home-day, one per delivery that has rows there, oldest landing first."""
    ordered = sorted(manifests, key=lambda m: (m.landed_ns, m.file))
    return [m.staged_key(day) for m in ordered if m.house_id == house_id and day in m.rows_per_day]


def read_staged(store: ObjectStore, keys: list[str], columns: list[str] | None = None) -> pa.Table:
    """A home-day's staged rows: its deliveries merged, the newest landing winning minute by minute.

    Rows of an older delivery whose `timeframe` a newer one also has are dropped (a late correction
    replaces what it carries; deltas add up). Duplicates inside one delivery stay, for the checks to
    catch. With one delivery (the usual case) the rows are returned as staged.
    """
    tables = [arrow_files.read_table(store, key, columns) for key in keys]
    if len(tables) == 1:
        return tables[0]
    kept: list[pa.Table] = []
    newer: pa.Array | None = None
    for table in reversed(tables):
        times = table.column("timeframe").combine_chunks()
        if newer is not None and len(newer):
            table = table.filter(pc.invert(pc.is_in(times, value_set=newer)))
        kept.append(table)
        newer = times if newer is None else pa.concat_arrays([newer, times])
    merged = pa.concat_tables(list(reversed(kept)))
    return merged.take(pc.sort_indices(merged, sort_keys=[("timeframe", "ascending")]))


def staged_row_counts(store: ObjectStore, manifests: list[Manifest], homes_by_day: dict[str, list[int]]) -> dict:
    """(house_id, day) -> staged rows after merging deliveries (what clean and PostgreSQL must hold)."""
    counts = {}
    for day, homes in homes_by_day.items():
        for house_id in homes:
            keys = staged_parts(manifests, day, house_id)
            if len(keys) == 1:
                counts[(house_id, day)] = next(
                    m.rows_per_day[day] for m in manifests if m.house_id == house_id and m.staged_key(day) == keys[0]
                )
            else:
                counts[(house_id, day)] = read_staged(store, keys, ["timeframe"]).num_rows
    return counts


def _clean_one(
    store: ObjectStore, table: str, day: str, house_id: int, parts: list[str]
) -> tuple[str, int, pa.Table, CleaningReport, int]:
    cleaner, columns = CLEANERS[table]
    staged = read_staged(store, parts, columns)
    clean, report = cleaner(staged, house_id)
    replacements = json.dumps({k: asdict(v) for k, v in report.replacements.items()})
    stored = clean.replace_schema_metadata({REPLACEMENTS_METADATA: replacements})
    arrow_files.write_table(store, layout.clean_day_key(table, day, house_id), stored)
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
        jobs = ((*w, staged_parts(manifests, *w)) for w in work)
        for day, house_id, clean, report, staged in pool.map(lambda w: _clean_one(store, table, *w), jobs):
            result.report.merge(report)
            result.quality.observe(day, house_id, clean)
            result.staged_rows += staged
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
