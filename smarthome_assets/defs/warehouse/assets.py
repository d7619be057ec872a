"""`redshift_tables`: the star schema loaded from the current export files, exactly the run's days replaced.

Thin Dagster wiring around warehouse.loader (the load) and the checks beside it (the reconciliation).
Automated: a day is (re)loaded once its exports have been (re)written, by the `warehouse_automation`
sensor, so the 02:00 export and any re-export of a past day reach the warehouse without a job of its own.
"""

import time

import dagster as dg

from smarthome_assets.database.connection import PostgresDatabase
from smarthome_assets.defs.warehouse import checks
from smarthome_assets.lib import keys
from smarthome_assets.lib.automation import after_upstream_writes
from smarthome_assets.lib.partitions import daily_asset, partition_days
from smarthome_assets.lib.table_metadata import OWNERS
from smarthome_assets.storage.object_store import ObjectStore
from smarthome_assets.warehouse.loader import LoadError, load_days
from smarthome_assets.warehouse.resource import Warehouse

GROUP = "warehouse"

#: Load a day when its exports were written since the last load of that day, once nothing upstream runs.
AFTER_EXPORTS = after_upstream_writes("after daily_exports writes the day")


@daily_asset(
    key=keys.REDSHIFT_TABLES,
    group_name=GROUP,
    owners=OWNERS,
    deps=[keys.DAILY_EXPORTS],
    automation_condition=AFTER_EXPORTS,
    metadata={"dagster/table_name": "warehouse.public.fact_energy_minute"},
    kinds={"redshift", "sql"},
    check_specs=checks.WAREHOUSE_CHECKS,
    description="The star schema of docs/WAREHOUSE.md (dim_home, dim_device, dim_date, dim_weather_condition, "
    "fact_energy_minute, fact_device_hourly, fact_weather_hourly): the days' current exports COPYed into "
    "staging, then merged, replacing exactly those days in one transaction.",
)
def redshift_tables(
    context: dg.AssetExecutionContext,
    warehouse: dg.ResourceParam[Warehouse],
    object_store: dg.ResourceParam[ObjectStore],
    postgres: dg.ResourceParam[PostgresDatabase],
):
    days = partition_days(context)
    started = time.perf_counter()
    try:
        result = load_days(warehouse, object_store, days, log=context.log.info)
    except LoadError as exc:
        raise dg.Failure(description=str(exc)) from exc
    seconds = time.perf_counter() - started
    staged = sum(result.copied.values())
    context.log.info(f"loaded {len(days)} days into {warehouse.display_name()} ({warehouse.dialect}) in {seconds:.1f}s")
    return dg.MaterializeResult(
        metadata={
            "dialect": warehouse.dialect,
            "warehouse": warehouse.display_name(),
            "days": len(days),
            "staged_rows": dg.MetadataValue.json(result.copied),
            "dagster/row_count": staged,
            "copy_seconds": round(result.seconds.get("copy", 0.0), 2),
            "merge_seconds": round(result.seconds.get("merge", 0.0), 2),
            "seconds": round(seconds, 2),
        },
        check_results=checks.warehouse_results(warehouse, object_store, postgres, result),
    )
