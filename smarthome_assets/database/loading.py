"""Load clean days into PostgreSQL: replace exactly a day range, in one transaction.

For each table, the rows of the loaded homes in [first day, last day + 1) are deleted and the clean
Arrow days are streamed in with a binary COPY (ADBC ingest of Arrow batches: no text encoding, no
whole-range table in memory). Both tables and the homes' statistics commit together or not at all, so a
re-run never duplicates and a failure leaves the previous state.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa

from smarthome_assets.cleaning.rules import DEVICES_SCHEMA, WEATHER_SCHEMA
from smarthome_assets.database import statements
from smarthome_assets.ingestion import arrow_files, layout
from smarthome_assets.resources.object_store import ObjectStore
from smarthome_assets.resources.postgres import PostgresDatabase

SCHEMAS = {"weather": WEATHER_SCHEMA, "energy": DEVICES_SCHEMA}


@dataclass
class LoadResult:
    rows: dict[str, int] = field(default_factory=dict)  # clean table -> rows loaded
    deleted_before: dict[str, int] = field(default_factory=dict)
    homes: list[int] = field(default_factory=list)


def day_range_bounds(days: list[date]) -> tuple[datetime, datetime]:
    first, last = min(days), max(days)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    return start, datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)


def _clean_batches(store: ObjectStore, table: str, homes_by_day: dict[str, list[int]]) -> Iterator[pa.RecordBatch]:
    schema = SCHEMAS[table]
    for day, homes in homes_by_day.items():
        for house_id in homes:
            clean = arrow_files.read_table(store, layout.clean_day_key(table, day, house_id))
            yield from clean.cast(schema).to_batches()


class UnknownHomeError(RuntimeError):
    """Rows for a house_id that is not in `home`: the homes asset must run first."""


def _require_homes(cur, homes: list[int]) -> None:
    if not homes:
        return
    cur.execute(statements.MISSING_HOMES, parameters=(homes,))
    missing = [row[0] for row in cur.fetchall()]
    if missing:
        raise UnknownHomeError(f"house_id(s) {missing} are not in the `home` table; materialize `homes` first")


def load_range(
    db: PostgresDatabase, store: ObjectStore, homes_by_day: dict[str, list[int]], days: list[date]
) -> LoadResult:
    """Replace the given days of the given homes in `weather` and `energy_consuming_device`."""
    homes = sorted({h for hs in homes_by_day.values() for h in hs})
    start, end = day_range_bounds(days)
    result = LoadResult(homes=homes)
    with db.connect_adbc() as conn:
        cur = conn.cursor()
        try:
            _require_homes(cur, homes)
            for table, target in statements.LOADED_TABLES.items():
                cur.execute(statements.delete_range(table), parameters=(homes, start, end))
                reader = pa.RecordBatchReader.from_batches(SCHEMAS[table], _clean_batches(store, table, homes_by_day))
                result.rows[table] = int(cur.adbc_ingest(target, reader, mode="append"))
            if homes:
                cur.execute(statements.refresh_home_stats(), parameters=(homes,))
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            cur.close()
        _analyze(conn)
    return result


def _analyze(conn) -> None:
    """Fresh statistics for the planner: without them a one-day API query took 65 ms instead of 7.8 ms
    (autovacuum had not analysed the tables minutes after a year's load)."""
    cur = conn.cursor()
    try:
        cur.execute(statements.ANALYZE_LOADED)
        conn.commit()
    finally:
        cur.close()
