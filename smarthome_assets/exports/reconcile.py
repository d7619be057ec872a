"""Row counts per day and table at each hop of the export, for the reconciliation checks and the summary.

PostgreSQL, what the API returned, what the export files hold (read back from the store): the checks in
defs/ compare these; a mismatch means the export is not a copy of the database.
"""

from __future__ import annotations

from datetime import date

from smarthome_assets.database import queries
from smarthome_assets.database.connection import PostgresDatabase
from smarthome_assets.database.counts import rows_per_day
from smarthome_assets.exports import layout
from smarthome_assets.exports.writer import ExportReport, count_data_lines
from smarthome_assets.storage.object_store import ObjectStore

Counts = dict[str, dict[str, int]]  # table -> ISO day -> rows
_MANIFESTS = "exports/manifests/date="


def postgres_rows_per_day(db: PostgresDatabase, days: list[date]) -> Counts:
    """Rows of each exported table per UTC day in the operational database (all homes)."""
    per_day = rows_per_day(db, days)
    return {table: per_day[table] for table in layout.DAY_TABLES}


def file_rows_per_day(store: ObjectStore, report: ExportReport) -> Counts:
    """Data lines of each export file written by this run, read back from the store."""
    return {
        table: {day: count_data_lines(store, m.files[table].key) for day, m in report.days.items()}
        for table in layout.DAY_TABLES
    }


def fetched_rows_per_day(report: ExportReport) -> Counts:
    return {table: {day: m.files[table].rows for day, m in report.days.items()} for table in layout.DAY_TABLES}


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
