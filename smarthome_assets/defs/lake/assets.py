"""`lake_parquet`: each exported day as Parquet under lake/<table>/date=<day>/, with DuckDB's views over it.

Thin Dagster wiring around lake.writer (the files), lake.engine (DuckDB through dagster-duckdb's resource) and
the checks beside it. Downstream of `daily_exports` (its rows) and of `redshift_tables`, so that the checks
compare the lake with a warehouse that already holds the same days. On AWS the days are also registered as
Glue partitions for Redshift Spectrum; Athena finds them by partition projection.
"""

import time

import dagster as dg
from dagster_duckdb import DuckDBResource

from smarthome_assets.database.connection import PostgresDatabase
from smarthome_assets.defs.lake import checks
from smarthome_assets.lake import layout
from smarthome_assets.lake.engine import Lake, create_views, day_totals
from smarthome_assets.lake.writer import LakeReport, LakeWriteError, write_days
from smarthome_assets.lib import keys
from smarthome_assets.lib.automation import after_upstream_writes
from smarthome_assets.lib.partitions import daily_asset, partition_days
from smarthome_assets.lib.table_metadata import OWNERS, column_schema
from smarthome_assets.storage.object_store import ObjectStore
from smarthome_assets.warehouse.resource import Warehouse

GROUP = "lake"

#: Write a day again once the warehouse has loaded its (re)written exports: the lake's checks compare it with the
#: warehouse, which must hold the same export (a lake written between an export and its warehouse load would not).
AFTER_THE_WAREHOUSE = after_upstream_writes("after redshift_tables loads the day's exports", only=keys.REDSHIFT_TABLES)


def _files_markdown(store: ObjectStore, report: LakeReport, limit: int = 31) -> str:
    lines = ["| day | table | rows | KB | written | file |", "|---|---|---|---|---|---|"]
    shown = list(report.days.items())[:limit]
    for day, tables in shown:
        for table, f in tables.items():
            lines.append(
                f"| {day} | {table} | {f.rows:,} | {f.bytes / 1e3:,.0f} | {'yes' if f.written else 'unchanged'} "
                f"| `{f.key}` |"
            )
    if len(report.days) > limit:
        lines.append(f"| ... {len(report.days) - limit} more days | | | | | |")
    lines.append(f"\nLake: `{store.uri(layout.PREFIX)}`")
    return "\n".join(lines)


@daily_asset(
    key=keys.LAKE_PARQUET,
    group_name=GROUP,
    owners=OWNERS,
    deps=[keys.DAILY_EXPORTS, keys.REDSHIFT_TABLES],
    automation_condition=AFTER_THE_WAREHOUSE,
    kinds={"parquet", "duckdb", "athena"},
    check_specs=checks.LAKE_CHECKS,
    metadata={
        "dagster/table_name": "lake.energy",
        "dagster/column_schema": column_schema(layout.SCHEMAS["energy"]),
    },
    description="Each exported day as Parquet (zstd, one file per table and day) under "
    "lake/<table>/date=<day>/: the API's rows, typed as in the warehouse. DuckDB views `energy` and `weather` "
    "read them locally (`smarthome query`); Athena and Redshift Spectrum read them on AWS.",
)
def lake_parquet(
    context: dg.AssetExecutionContext,
    object_store: dg.ResourceParam[ObjectStore],
    lake: dg.ResourceParam[Lake],
    lake_duckdb: DuckDBResource,
    postgres: dg.ResourceParam[PostgresDatabase],
    warehouse: dg.ResourceParam[Warehouse],
):
    days = partition_days(context)
    started = time.perf_counter()
    try:
        report = write_days(object_store, days, progress=context.log.info)
    except LakeWriteError as exc:
        raise dg.Failure(description=str(exc)) from exc
    registered = lake.register_days(days)
    root = lake.root(None if lake.is_local else days)
    with lake_duckdb.get_connection() as conn:
        create_views(conn, root)
        totals = day_totals(conn, days)
    seconds = time.perf_counter() - started
    written = sum(f.written for f in report.files())
    context.log.info(
        f"lake: {len(days)} days, {written} of {len(report.files())} files written "
        f"({report.total('rows'):,} rows) in {seconds:.1f}s"
    )
    return dg.MaterializeResult(
        metadata={
            "files": len(report.files()),
            "files_written": written,
            "rows": report.total("rows"),
            "energy_rows": report.total("rows", "energy"),
            "weather_rows": report.total("rows", "weather"),
            "bytes": report.total("bytes"),
            "dagster/row_count": report.total("rows"),
            "glue_partitions_created": dg.MetadataValue.json(registered),
            "duckdb": dg.MetadataValue.path(lake_duckdb.database),
            "files_table": dg.MetadataValue.md(_files_markdown(object_store, report)),
            "seconds": round(seconds, 2),
        },
        check_results=checks.lake_results(totals, object_store, postgres, warehouse, days),
    )
