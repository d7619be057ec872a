"""Checks of `daily_exports`: the reconciliation the original developer log did by hand, and freshness.

* rows_match_postgres (blocking): per day and table, rows in PostgreSQL == rows the API returned ==
  data lines in the export file as read back from the store. A mismatch means the export is not a copy
  of the database (the API dropped or repeated rows, or a file was truncated), so the load must not run.
* newest_day_exported: the newest exported day has caught up with the newest day before yesterday that
  PostgreSQL holds (yesterday is exported at 02:00 UTC, or when it turns two days old if it changes after).
"""

from datetime import UTC, datetime, timedelta

import dagster as dg

from smarthome_assets.database.connection import PostgresDatabase
from smarthome_assets.exports import layout
from smarthome_assets.exports.reconcile import newest_complete_day, newest_exported_day
from smarthome_assets.exports.writer import ExportReport
from smarthome_assets.lib.checks import WARN
from smarthome_assets.lib.keys import DAILY_EXPORTS
from smarthome_assets.storage.object_store import ObjectStore

EXPORT_CHECKS = [
    dg.AssetCheckSpec(
        "rows_match_postgres",
        asset=DAILY_EXPORTS,
        blocking=True,
        description="Per day and table: rows in PostgreSQL == rows fetched from the API == data "
        "lines in the export file.",
    ),
    dg.AssetCheckSpec(
        "newest_day_exported",
        asset=DAILY_EXPORTS,
        description="The newest exported day has reached the newest day before yesterday PostgreSQL holds.",
    ),
]


def freshness_result(store: ObjectStore, db: PostgresDatabase, now: datetime | None = None) -> dg.AssetCheckResult:
    """Yesterday is the 02:00 export's (its punctuality is `newest_day_fresh`'s), and a day whose rows arrive
    after 02:00 is exported when it turns two days old: the exports must have reached the newest day before
    yesterday that PostgreSQL holds."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    newest, expected = newest_exported_day(store), newest_complete_day(db, today - timedelta(days=1))
    lag = (expected - newest).days if newest and expected else None
    manifest = layout.DayManifest.load(store, newest) if newest else None
    return dg.AssetCheckResult(
        check_name="newest_day_exported",
        passed=expected is None or (newest is not None and newest >= expected),
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
