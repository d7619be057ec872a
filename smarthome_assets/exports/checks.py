"""Checks of `daily_exports`: the reconciliation the original developer log did by hand, and freshness.

* rows_match_postgres (blocking): per day and table, rows in PostgreSQL == rows the API returned ==
  data lines in the export file as read back from the store. A mismatch means the export is not a copy
  of the database (the API dropped or repeated rows, or a file was truncated), so the load must not run.
* newest_day_exported: the newest day with a current export is the newest complete day of the
  partitions (yesterday when the data is shifted to end yesterday).
"""

from __future__ import annotations

from datetime import date, datetime

import dagster as dg

from smarthome_assets.database import statements
from smarthome_assets.database.loading import day_range_bounds
from smarthome_assets.exports import layout
from smarthome_assets.exports.writer import ExportReport, count_data_lines
from smarthome_assets.partitions import daily_partitions
from smarthome_assets.resources.object_store import ObjectStore
from smarthome_assets.resources.postgres import PostgresDatabase

ASSET = "daily_exports"
ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN
_MANIFESTS = "exports/manifests/date="

EXPORT_CHECKS = [
    dg.AssetCheckSpec(
        "rows_match_postgres",
        asset=ASSET,
        blocking=True,
        description="Per day and table: rows in PostgreSQL == rows fetched from the API == data "
        "lines in the export file.",
    ),
    dg.AssetCheckSpec(
        "newest_day_exported",
        asset=ASSET,
        description="The newest exported day is the newest complete day of the partitions.",
    ),
]

Counts = dict[str, dict[str, int]]  # table -> ISO day -> rows


def postgres_rows_per_day(db: PostgresDatabase, days: list[date]) -> Counts:
    """Rows of each exported table per UTC day in the operational database (all homes)."""
    start, end = day_range_bounds(days)
    counts: Counts = {table: {str(day): 0 for day in days} for table in layout.DAY_TABLES}
    with db.connect() as conn, conn.cursor() as cur:
        for table in layout.DAY_TABLES:
            cur.execute(statements.count_per_day(table), (start, end))
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


def reconciliation_result(check_name: str, measures: dict[str, Counts]) -> dg.AssetCheckResult:
    """One blocking result comparing every measure per (table, day), with totals and the first differences."""
    wrong = mismatches(measures)
    totals = {
        f"{name}_{table}_rows": sum(counts.get(table, {}).values())
        for name, counts in measures.items()
        for table in layout.DAY_TABLES
    }
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=not wrong,
        severity=ERROR,
        metadata={
            **totals,
            "days_checked": len({d for c in measures.values() for t in c.values() for d in t}),
            "mismatched_days": len(wrong),
            "mismatches": dg.MetadataValue.json(dict(list(wrong.items())[:20])),
        },
    )


def newest_exported_day(store: ObjectStore) -> date | None:
    """The newest day with a current export (from the manifest keys: one listing, no reads)."""
    days = [key.removeprefix(_MANIFESTS).removesuffix(".json") for key in store.list_keys(_MANIFESTS)]
    return max((date.fromisoformat(d) for d in days), default=None)


def expected_newest_day(now: datetime | None = None) -> date:
    """The newest complete day of the partitions at `now`: yesterday, or the last day of the data."""
    keys = daily_partitions.get_partition_keys(current_time=now)
    return date.fromisoformat(keys[-1]) if keys else daily_partitions.start.date()


def freshness_result(store: ObjectStore, now: datetime | None = None) -> dg.AssetCheckResult:
    newest, expected = newest_exported_day(store), expected_newest_day(now)
    lag = (expected - newest).days if newest else None
    manifest = layout.DayManifest.load(store, newest) if newest else None
    return dg.AssetCheckResult(
        check_name="newest_day_exported",
        passed=newest is not None and newest >= expected,
        severity=WARN,
        metadata={
            "newest_exported_day": str(newest),
            "expected_day": str(expected),
            "days_behind": lag if lag is not None else -1,
            "exported_at": manifest.exported_at if manifest else "",
        },
    )


def files_markdown(store: ObjectStore, report: ExportReport, limit: int = 31) -> str:
    """The run's files, a row per day (the first `limit` days; the rest are under the same prefixes)."""
    lines = [
        "| day | weather rows | energy rows | pages | KB | weather file | energy file |",
        "|---|---|---|---|---|---|---|",
    ]
    for day, m in list(report.days.items())[:limit]:
        weather, energy = m.files["weather"], m.files["energy"]
        lines.append(
            f"| {day} | {weather.rows:,} | {energy.rows:,} | {weather.pages + energy.pages} "
            f"| {(weather.bytes + energy.bytes) / 1e3:,.0f} | `{weather.key}` | `{energy.key}` |"
        )
    if len(report.days) > limit:
        lines.append(f"| ... {len(report.days) - limit} more days | | | | | | |")
    lines.append(f"\nHomes: `{report.homes.key}`; manifests: `{store.uri('exports/manifests/')}`")
    return "\n".join(lines)
