"""The ingestion assets: raw_csv -> clean_weather, clean_devices -> homes -> rds_tables.

Thin Dagster wiring around the ingestion library (landing, registry, clean_days) and the database loader.
Every partitioned asset handles a whole day range in one run and writes its own data (single-run
backfills cannot hand values to an IO manager), returning metadata and its checks' results.
(No `from __future__ import annotations`: Dagster reads the `context` and resource annotations at runtime.)
"""

import time
from datetime import date

import dagster as dg

from smarthome_assets.cleaning.rules import ENERGY_SCHEMA, WEATHER_SCHEMA
from smarthome_assets.database import queries
from smarthome_assets.database.connection import PostgresDatabase
from smarthome_assets.database.counts import rows_per_home_day
from smarthome_assets.database.migrate import apply_migrations
from smarthome_assets.defs.ingestion import checks
from smarthome_assets.homec import contract
from smarthome_assets.ingestion.clean_days import (
    CleanResult,
    clean_range,
    load_clean_days,
    staged_homes_by_day,
    staged_row_counts,
)
from smarthome_assets.ingestion.landing import current_manifests, deliver_local, manifests_for_days, merged_reasons
from smarthome_assets.ingestion.registry import HomeRegistry
from smarthome_assets.ingestion.sources import HomeCSources
from smarthome_assets.ingestion.watch import LANDED_BY_TAG, REJECTED, land_incoming
from smarthome_assets.lib import keys
from smarthome_assets.lib.partitions import daily_asset, partition_days
from smarthome_assets.lib.table_metadata import OWNERS, column_schema
from smarthome_assets.storage.object_store import ObjectStore

GROUP = "ingestion"


@daily_asset(
    key=keys.RAW_CSV,
    group_name=GROUP,
    owners=OWNERS,
    kinds={"csv", "arrow"},
    check_specs=checks.RAW_CSV_CHECKS,
    description="HomeC files landed byte for byte in the object store's raw zone and staged by day as "
    "Arrow IPC files; malformed rows quarantined with file, line and reason.",
)
def raw_csv(
    context: dg.AssetExecutionContext,
    object_store: dg.ResourceParam[ObjectStore],
    sources: dg.ResourceParam[HomeCSources],
):
    # Runs the sensor (or the CLI) requested find their deliveries landed already; other runs (from the
    # UI, tests) land what is pending in the incoming zone first, each delivery whole (atomic per file).
    statuses: dict[str, str] = {}
    if LANDED_BY_TAG not in context.run.tags:
        own = {deliver_local(object_store, p, sources.timeframe_origin).path for p in sources.files()}
        outcomes = land_incoming(object_store, log=context.log.info)
        statuses = {o.delivery.path: o.status for o in outcomes}
        for outcome in outcomes:
            log = context.log.warning if outcome.status == REJECTED else context.log.info
            log(f"{outcome.delivery.path}: {outcome.status} ({outcome.reason})")
        rejected = [o for o in outcomes if o.status == REJECTED and o.delivery.path in own and o.error]
        if rejected:  # this run's own file: fail with the reader's message (file, line, column)
            raise rejected[0].error
    days = partition_days(context)
    current = current_manifests(object_store)
    manifests = manifests_for_days(current, days)
    # A delivery whose lines are not all accounted for may have no rows left in any day: it is checked
    # whatever the run's days, so a reader fault that lost a whole file still blocks the run.
    manifests += [m for m in current if not m.balanced and m not in manifests]
    in_range = sum(m.rows_per_day.get(str(d), 0) for m in manifests for d in days)
    return dg.MaterializeResult(
        metadata={
            "files": dg.MetadataValue.md(checks.files_markdown(manifests, statuses)),
            "rows_staged_in_range": in_range,
            "rows_quarantined": sum(m.quarantined_rows for m in manifests),
            "quarantine_reasons": dg.MetadataValue.json(merged_reasons(manifests)),
            "dagster/row_count": in_range,
        },
        check_results=checks.raw_csv_results(manifests),
    )


def _clean(context: dg.AssetExecutionContext, store: ObjectStore, table: str) -> tuple[CleanResult, list[date]]:
    days = partition_days(context)
    started = time.perf_counter()
    result = clean_range(store, table, days, current_manifests(store), progress=context.log.info)
    context.log.info(
        f"cleaned {result.quality.rows:,} {table} rows over {len(days)} days in "
        f"{time.perf_counter() - started:.1f}s; {result.report.total_replaced:,} values replaced"
    )
    return result, days


def _clean_metadata(result: CleanResult) -> dict:
    return {
        "rows": result.quality.rows,
        "dagster/row_count": result.quality.rows,
        "homes": len(result.homes),
        "values_replaced": result.report.total_replaced,
        "replacements": dg.MetadataValue.md(checks.replacements_markdown(result)),
        "incomplete_days": len(result.quality.incomplete_days),
    }


@daily_asset(
    group_name=GROUP,
    owners=OWNERS,
    key=keys.CLEAN_WEATHER,
    deps=[keys.RAW_CSV],
    kinds={"arrow"},
    check_specs=checks.clean_check_specs(keys.CLEAN_WEATHER),
    metadata={"dagster/column_schema": column_schema(WEATHER_SCHEMA)},
    description="Weather per home and minute: strict numbers, cloudCover text and invalid values replaced "
    "by the documented rule and counted.",
)
def clean_weather(context: dg.AssetExecutionContext, object_store: dg.ResourceParam[ObjectStore]):
    result, _ = _clean(context, object_store, "weather")
    return dg.MaterializeResult(metadata=_clean_metadata(result), check_results=checks.clean_results(result))


@daily_asset(
    group_name=GROUP,
    owners=OWNERS,
    key=keys.CLEAN_DEVICES,
    deps=[keys.RAW_CSV],
    kinds={"arrow"},
    check_specs=[*checks.clean_check_specs(keys.CLEAN_DEVICES), checks.AGGREGATES_CHECK],
    metadata={"dagster/column_schema": column_schema(ENERGY_SCHEMA)},
    description="Power readings (kW) of every device per home and minute; invalid values -> 0 and counted.",
)
def clean_devices(context: dg.AssetExecutionContext, object_store: dg.ResourceParam[ObjectStore]):
    result, _ = _clean(context, object_store, "energy")
    return dg.MaterializeResult(
        metadata=_clean_metadata(result),
        check_results=[*checks.clean_results(result), checks.aggregates_result(result)],
    )


@daily_asset(
    group_name=GROUP,
    owners=OWNERS,
    key=keys.HOMES,
    deps=[keys.CLEAN_WEATHER, keys.CLEAN_DEVICES],
    kinds={"postgres"},
    check_specs=checks.HOMES_CHECKS,
    metadata={"dagster/table_name": "smarthome.public.home"},
    description="One row per home (id, name, source file, first/last reading, row counts) and the devices "
    "each home reports, in the `home` and `device` tables.",
)
def homes(
    context: dg.AssetExecutionContext,
    object_store: dg.ResourceParam[ObjectStore],
    postgres: dg.ResourceParam[PostgresDatabase],
):
    apply_migrations(postgres.url())
    # Only the homes with rows in the run's days (a run for day D touches only what D needs); the newest
    # landed delivery's checksum stands for the home's source. The registry is read after the manifests: a
    # landing saves it before switching its manifest, so every home seen here is in it.
    newest = {m.house_id: m for m in manifests_for_days(current_manifests(object_store), partition_days(context))}
    registry = HomeRegistry.load(object_store)
    loaded = [home for home in registry.homes if home.house_id in newest]
    with postgres.connect() as conn, conn.cursor() as cur:
        for home in loaded:
            sha = newest[home.house_id].sha256
            cur.execute(queries.UPSERT_HOME, (home.house_id, home.name, home.source_file, sha))
            for column in contract.POWER_COLUMNS:
                cur.execute(
                    queries.UPSERT_DEVICE,
                    (
                        home.house_id,
                        column.name,
                        contract.device_display_name(column),
                        column.raw,
                        column.unit,
                        column.kind.value,
                    ),
                )
        cur.execute(queries.SELECT_HOMES)
        rows = cur.fetchall()
        cur.execute(queries.DEVICES_PER_HOME)
        devices = dict(cur.fetchall())
    return dg.MaterializeResult(
        metadata={"homes": dg.MetadataValue.md(checks.homes_markdown(rows, devices)), "dagster/row_count": len(rows)},
        check_results=checks.homes_results([h.house_id for h in loaded], len(registry.homes), devices),
    )


@daily_asset(
    group_name=GROUP,
    owners=OWNERS,
    key=keys.RDS_TABLES,
    deps=[keys.HOMES],
    kinds={"postgres"},
    check_specs=checks.RDS_CHECKS,
    metadata={
        "dagster/table_name": "smarthome.public.energy_consuming_device",
        "dagster/column_schema": column_schema(ENERGY_SCHEMA),
        "weather table": "smarthome.public.weather",
        "weather columns": column_schema(WEATHER_SCHEMA),
    },
    description="`weather` and `energy_consuming_device` in PostgreSQL (RDS): the partition range replaced "
    "in one transaction by binary COPY.",
)
def rds_tables(
    context: dg.AssetExecutionContext,
    object_store: dg.ResourceParam[ObjectStore],
    postgres: dg.ResourceParam[PostgresDatabase],
):
    apply_migrations(postgres.url())
    days = partition_days(context)
    manifests = current_manifests(object_store)
    homes_by_day = staged_homes_by_day(manifests, days)
    started = time.perf_counter()
    result = load_clean_days(postgres, object_store, homes_by_day, days)
    seconds = time.perf_counter() - started
    total = sum(result.rows.values())
    context.log.info(f"loaded {total:,} rows over {len(days)} days in {seconds:.1f}s into {postgres.display_name()}")
    return dg.MaterializeResult(
        metadata={
            "weather_rows": result.rows.get("weather", 0),
            "energy_consuming_device_rows": result.rows.get("energy", 0),
            "dagster/row_count": total,
            "seconds": round(seconds, 2),
            "rows_per_second": round(total / seconds) if seconds else 0,
            "database": postgres.display_name(),
        },
        check_results=checks.rds_results(
            staged_row_counts(object_store, manifests, homes_by_day), rows_per_home_day(postgres, days)
        ),
    )
