"""Row counts per day and table at each hop of the export, for the reconciliation checks and the summary.

PostgreSQL, what the API returned, what the export files hold (read back from the store): the checks in
defs/ compare these; a mismatch means the export is not a copy of the database.
"""

from __future__ import annotations

from datetime import date

from smarthome_assets.database import queries
from smarthome_assets.database.connection import PostgresDatabase
from smarthome_assets.database.counts import rows_per_day, use_kw_per_day
from smarthome_assets.exports import layout
from smarthome_assets.exports.writer import ExportReport, count_data_lines
from smarthome_assets.storage.object_store import ObjectStore

Counts = dict[str, dict[str, int]]  # table -> ISO day -> rows
_MANIFESTS = "exports/manifests/date="


def postgres_rows_per_day(db: PostgresDatabase, days: list[date]) -> Counts:
    """Rows of each exported table per UTC day in the operational database (all homes)."""
    per_day = rows_per_day(db, days)
    return {table: per_day[table] for table in layout.DAY_TABLES}


def postgres_figures(db: PostgresDatabase, days: list[date]) -> dict[str, dict[str, float]]:
    """ISO day -> rows per exported table and sum(use_kw), as the operational database holds them now (what an
    export keeps in its manifest: the figures the warehouse and the lake are held to)."""
    rows = postgres_rows_per_day(db, days)
    sums = use_kw_per_day(db, days)
    return {str(d): {**{t: rows[t][str(d)] for t in layout.DAY_TABLES}, "use_kw": sums[str(d)]} for d in days}


def exported_postgres(manifests: dict[str, layout.DayManifest | None], table: str, live: Counts) -> dict[str, int]:
    """Rows of `table` per day in PostgreSQL as each day's export found them (`live` where the manifest is older
    than these figures)."""
    out = {}
    for day, manifest in manifests.items():
        figures = manifest.postgres if manifest else {}
        out[day] = int(figures[table]) if table in figures else live[table].get(day, 0)
    return out


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
