"""Row counts per day and table at each hop of the export, for the reconciliation checks and the summary.

PostgreSQL, what the API returned, what the export files hold (read back from the store): the checks in
defs/ compare these; a mismatch means the export is not a copy of the database.
"""

from __future__ import annotations

from datetime import date

from smarthome_assets.database import queries
from smarthome_assets.database.connection import PostgresDatabase
from smarthome_assets.database.loading import day_range_bounds
from smarthome_assets.exports import layout
from smarthome_assets.exports.writer import ExportReport, count_data_lines
from smarthome_assets.storage.object_store import ObjectStore

Counts = dict[str, dict[str, int]]  # table -> ISO day -> rows
_MANIFESTS = "exports/manifests/date="


def postgres_rows_per_day(db: PostgresDatabase, days: list[date]) -> Counts:
    """Rows of each exported table per UTC day in the operational database (all homes)."""
    start, end = day_range_bounds(days)
    counts: Counts = {table: {str(day): 0 for day in days} for table in layout.DAY_TABLES}
    with db.connect() as conn, conn.cursor() as cur:
        for table in layout.DAY_TABLES:
            cur.execute(queries.count_per_day(table), (start, end))
            for _house, day, rows in cur.fetchall():
                counts[table][str(day)] = counts[table].get(str(day), 0) + rows
    return counts


def file_rows_per_day(store: ObjectStore, report: ExportReport) -> Counts:
    """Data lines of each export file written by this run, read back from the store."""
    return {
        table: {day: count_data_lines(store, m.files[table].key) for day, m in report.days.items()}
        for table in layout.DAY_TABLES
    }


def fetched_rows_per_day(report: ExportReport) -> Counts:
    return {table: {day: m.files[table].rows for day, m in report.days.items()} for table in layout.DAY_TABLES}


def mismatches(measures: dict[str, Counts]) -> dict[str, dict[str, int]]:
    """`table day` -> {measure: rows} wherever the measures disagree."""
    found: dict[str, dict[str, int]] = {}
    for table in layout.DAY_TABLES:
        days = sorted({day for counts in measures.values() for day in counts.get(table, {})})
        for day in days:
            values = {name: counts.get(table, {}).get(day, 0) for name, counts in measures.items()}
            if len(set(values.values())) > 1:
                found[f"{table} {day}"] = values
    return found


def newest_exported_day(store: ObjectStore) -> date | None:
    """The newest day with a current export (from the manifest keys: one listing, no reads)."""
    days = [key.removeprefix(_MANIFESTS).removesuffix(".json") for key in store.list_keys(_MANIFESTS)]
    return max((date.fromisoformat(d) for d in days), default=None)


def newest_complete_day(db: PostgresDatabase, today: date) -> date | None:
    """The newest day before `today` (UTC) that the operational database holds readings for: the day the
    exports should have reached. Today is still arriving, so it is never expected."""
    with db.connect() as conn, conn.cursor() as cur:
        cur.execute(queries.NEWEST_DAY_BEFORE, (today,))
        row = cur.fetchone()
    return row[0] if row and row[0] else None
