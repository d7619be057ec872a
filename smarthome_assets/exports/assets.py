"""`daily_exports`: each day's weather and energy readings, fetched through the API into CSV files.

Thin Dagster wiring around exports.writer (the export) and exports.checks (the reconciliation). Like the
ingestion assets it handles a whole day range in one run and writes its own data.
"""

import time

import dagster as dg

from smarthome_assets.exports import checks
from smarthome_assets.exports.api_client import ApiClient
from smarthome_assets.exports.writer import ExportReport, export_days
from smarthome_assets.ingestion.assets import rds_tables
from smarthome_assets.partitions import daily_asset, partition_days
from smarthome_assets.resources.object_store import ObjectStore
from smarthome_assets.resources.postgres import PostgresDatabase

GROUP = "warehouse"


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
    group_name=GROUP,
    deps=[rds_tables],
    kinds={"api", "csv"},
    check_specs=checks.EXPORT_CHECKS,
    description="Each day's weather and energy readings fetched through the read API (all pages) into one CSV "
    "per table and day under exports/<table>/date=<day>/, stamped with the export time; a manifest per "
    "day names the current files. Re-runs add files, never overwrite.",
)
def daily_exports(
    context: dg.AssetExecutionContext, api_client: ApiClient, object_store: ObjectStore, postgres: PostgresDatabase
):
    days = partition_days(context)
    started = time.perf_counter()
    session = api_client.open()
    try:
        report = export_days(
            session,
            object_store,
            days,
            page_rows=api_client.page_rows,
            concurrency=api_client.concurrency,
            progress=context.log.info,
        )
    finally:
        session.close()
    seconds = time.perf_counter() - started
    context.log.info(
        f"exported {len(days)} days ({report.total('weather', 'rows'):,} weather + "
        f"{report.total('energy', 'rows'):,} energy rows) in {seconds:.1f}s, stamp {report.stamp}"
    )
    measures = {
        "postgres": checks.postgres_rows_per_day(postgres, days),
        "api": checks.fetched_rows_per_day(report),
        "file": checks.file_rows_per_day(object_store, report),
    }
    return dg.MaterializeResult(
        metadata=_metadata(object_store, report, api_client, seconds),
        check_results=[
            checks.reconciliation_result("rows_match_postgres", measures),
            checks.freshness_result(object_store),
        ],
    )


ASSETS = [daily_exports]
