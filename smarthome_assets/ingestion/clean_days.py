"""Clean a range of staged days and stream them into PostgreSQL: the one pass behind `clean_weather`,
`clean_devices` and `rds_tables`.

Each table's rows are read from the staging zone (a home-day's deliveries merged, the newest landing winning
minute by minute), cleaned a batch of home-days per call and handed straight to that table's COPY while the
next batch is read: nothing is written between the staged text and PostgreSQL, and every number is parsed
once. Each home-day is cleaned on its own (a single day gives the same rows as a range containing it), and
memory stays at one batch whatever the range or the number of homes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from smarthome_assets.cleaning.quality import QualityStats
from smarthome_assets.cleaning.rules import (
    ENERGY_SCHEMA,
    WEATHER_SCHEMA,
    CleaningReport,
    Segments,
    clean_energy_rows,
    clean_weather_rows,
)
from smarthome_assets.database.connection import PostgresDatabase
from smarthome_assets.database.loading import OperationalLoad, load_range
from smarthome_assets.homec import contract
from smarthome_assets.ingestion import arrow_files
from smarthome_assets.ingestion.landing import Manifest
from smarthome_assets.storage.object_store import ObjectStore

_KEYS = ["source_line", "time_raw", "timeframe"]
#: Clean table -> (its cleaner, the staged columns it reads, the schema of its rows).
TABLES: dict[str, tuple[Callable[[pa.Table, Segments], tuple[pa.Table, CleaningReport]], list[str], pa.Schema]] = {
    "weather": (clean_weather_rows, [*_KEYS, *(c.name for c in contract.WEATHER_COLUMNS)], WEATHER_SCHEMA),
    "energy": (clean_energy_rows, [*_KEYS, *(c.name for c in contract.POWER_COLUMNS)], ENERGY_SCHEMA),
}
#: Staged rows cleaned per call (about 9 home-days): few kernel calls, and little in memory (docs/DESIGN_NOTES.md).
BATCH_ROWS = 12_500


@dataclass
class CleanResult:
    """What cleaning one table of the range produced, filled while its rows stream into PostgreSQL."""

    table: str
    report: CleaningReport = field(default_factory=CleaningReport)
    quality: QualityStats = field(default_factory=QualityStats)
    rows_per_day: dict[str, int] = field(default_factory=dict)
    staged_rows: int = 0
    homes: set[int] = field(default_factory=set)
    #: (house_id, day) -> staged rows of home-days with several deliveries, after merging them
    merged_rows: dict[tuple[int, str], int] = field(default_factory=dict)


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


def expected_rows(manifests: list[Manifest], homes_by_day: dict[str, list[int]], results) -> dict[tuple[int, str], int]:
    """(house_id, day) -> the rows clean and PostgreSQL must hold: the landing manifest's count where one
    delivery has the home-day, the merged count where several do (`results`: the pass's CleanResults)."""
    merged: dict[tuple[int, str], int] = {}
    for result in results:
        merged.update(result.merged_rows)
    counts = {}
    for day, homes in homes_by_day.items():
        for house_id in homes:
            having = [m for m in manifests if m.house_id == house_id and day in m.rows_per_day]
            counts[(house_id, day)] = having[0].rows_per_day[day] if len(having) == 1 else merged[(house_id, day)]
    return counts


def clean_batches(
    store: ObjectStore,
    table: str,
    manifests: list[Manifest],
    homes_by_day: dict[str, list[int]],
    result: CleanResult,
) -> Iterator[pa.RecordBatch]:
    """One table's clean rows for the range, in (day, home) order, cleaned BATCH_ROWS at a time; `result`
    is complete once the iterator is exhausted."""
    columns = TABLES[table][1]
    pending: list[tuple[str, int, pa.Table]] = []
    rows = 0
    for day, homes in homes_by_day.items():
        for house_id in homes:
            parts = staged_parts(manifests, day, house_id)
            staged = read_staged(store, parts, columns)
            if len(parts) > 1:
                result.merged_rows[(house_id, day)] = staged.num_rows
            pending.append((day, house_id, staged))
            rows += staged.num_rows
            if rows >= BATCH_ROWS:
                yield from _clean(table, pending, result)
                pending, rows = [], 0
    if pending:
        yield from _clean(table, pending, result)


def _clean(table: str, pending: list[tuple[str, int, pa.Table]], result: CleanResult) -> Iterator[pa.RecordBatch]:
    cleaner = TABLES[table][0]
    staged = pa.concat_tables([t for _, _, t in pending])
    days = [day for day, _, _ in pending]
    segments = Segments(
        np.array([house_id for _, house_id, _ in pending], dtype=np.int32),
        np.array([t.num_rows for _, _, t in pending], dtype=np.int64),
    )
    clean, report = cleaner(staged, segments)
    result.report.merge(report)
    result.quality.observe_rows(clean, segments, days)
    result.staged_rows += staged.num_rows
    for day, house_id, rows in zip(days, segments.house_ids, segments.lengths, strict=True):
        result.rows_per_day[day] = result.rows_per_day.get(day, 0) + int(rows)
        result.homes.add(int(house_id))
    yield from clean.combine_chunks().to_batches()  # one batch per call: the COPY encoder's cost is per batch


def load_days(
    db: PostgresDatabase,
    store: ObjectStore,
    manifests: list[Manifest],
    days: list[date],
    before_commit: Callable[[dict[str, CleanResult], OperationalLoad], None] | None = None,
) -> tuple[dict[str, CleanResult], OperationalLoad]:
    """Replace the range in PostgreSQL with its cleaned staged rows, both tables streaming at once.

    `before_commit(results, load)` is called once every row is in (the results complete, `load.counts` what
    each table holds per home and day) and before anything commits: it may raise to roll the load back (a failed
    blocking check) or write the loaded homes' rows."""
    homes_by_day = staged_homes_by_day(manifests, days)
    results = {table: CleanResult(table=table) for table in TABLES}

    def reader(table: str) -> pa.RecordBatchReader:
        batches = clean_batches(store, table, manifests, homes_by_day, results[table])
        return pa.RecordBatchReader.from_batches(TABLES[table][2], batches)

    readers = {table: (lambda t=table: reader(t)) for table in TABLES}
    homes = sorted({h for hs in homes_by_day.values() for h in hs})
    decide = (lambda load: before_commit(results, load)) if before_commit else None
    return results, load_range(db, readers, homes, days, before_commit=decide)
