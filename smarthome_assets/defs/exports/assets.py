"""`daily_exports`: each day's weather and energy readings, fetched through the API into CSV files.

Thin Dagster wiring around exports.writer (the export) and exports.reconcile (the counts the checks
compare). Like the ingestion assets it handles a whole day range in one run and writes its own data.
"""

import time
from datetime import timedelta

import dagster as dg

from smarthome_assets.database.connection import PostgresDatabase
from smarthome_assets.defs.exports import checks
from smarthome_assets.exports.api_client import ApiClient
from smarthome_assets.exports.reconcile import (
    fetched_rows_per_day,
    file_rows_per_day,
    postgres_figures,
    postgres_rows_per_day,
)
from smarthome_assets.exports.writer import ExportReport, export_days
from smarthome_assets.lib import keys
from smarthome_assets.lib.automation import after_upstream_writes
from smarthome_assets.lib.checks import reconciliation_result
from smarthome_assets.lib.partitions import daily_asset, partition_days
from smarthome_assets.lib.table_metadata import OWNERS
from smarthome_assets.storage.object_store import ObjectStore

GROUP = "exports"

#: Re-export a past day whose rows changed in PostgreSQL (a late or corrected delivery), that day only.
#: Today and yesterday are left out: today is still arriving, and yesterday is exported by the 02:00 UTC
#: schedule once it is complete (a change to yesterday after that is picked up when it turns two days old).
#: Two days of lookback from the end of today's window are exactly {today, yesterday}.
AFTER_A_PAST_DAY_CHANGES = after_upstream_writes(
    "a day before yesterday changed in PostgreSQL", skip_latest=timedelta(days=2)
)


def _metadata(store: ObjectStore, report: ExportReport, api: ApiClient, seconds: float) -> dict:
    rows = {table: report.total(table, "rows") for table in ("weather", "energy")}
    return {
        "weather_rows": rows["weather"],
        "energy_rows": rows["energy"],
        "dagster/row_count": sum(rows.values()),
        "pages": report.total("weather", "pages") + report.total("energy", "pages"),
        "bytes": report.total("weather", "bytes") + report.total("energy", "bytes") + report.homes.bytes,
        "files": dg.MetadataValue.md(checks.files_markdown(store, report)),
        "export_stamp": report.stamp,
        "api": api.describe(),
        "api_requests": report.requests,
        "api_retries": report.retries,
        "seconds": round(seconds, 2),
    }


@daily_asset(
    key=keys.DAILY_EXPORTS,
    group_name=GROUP,
    owners=OWNERS,
    deps=[keys.RDS_TABLES],
    automation_condition=AFTER_A_PAST_DAY_CHANGES,
    kinds={"api", "csv"},
    check_specs=checks.EXPORT_CHECKS,
    description="Each day's weather and energy readings fetched through the read API (all pages) into one CSV "
    "per table and day under exports/<table>/date=<day>/, stamped with the export time; a manifest per "
    "day names the current files. Re-runs add files, never overwrite.",
)
def daily_exports(
    context: dg.AssetExecutionContext,
    api_client: dg.ResourceParam[ApiClient],
    object_store: dg.ResourceParam[ObjectStore],
    postgres: dg.ResourceParam[PostgresDatabase],
):
    days = partition_days(context)
    started = time.perf_counter()
    found = postgres_figures(postgres, days)
    session = api_client.open()
    try:
        report = export_days(
            session,
            object_store,
            days,
            page_rows=api_client.page_rows,
            concurrency=api_client.concurrency,
            progress=context.log.info,
            postgres=found,
        )
    finally:
        session.close()
    seconds = time.perf_counter() - started
    context.log.info(
        f"exported {len(days)} days ({report.total('weather', 'rows'):,} weather + "
        f"{report.total('energy', 'rows'):,} energy rows) in {seconds:.1f}s, stamp {report.stamp}"
    )
    measures = {
        "postgres": postgres_rows_per_day(postgres, days),
        "api": fetched_rows_per_day(report),
        "file": file_rows_per_day(object_store, report),
    }
    return dg.MaterializeResult(
        metadata=_metadata(object_store, report, api_client, seconds),
        check_results=[
            reconciliation_result("rows_match_postgres", measures),
            checks.freshness_result(object_store, postgres),
        ],
    )
