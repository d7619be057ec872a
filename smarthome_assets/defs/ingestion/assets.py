"""The ingestion assets, raw_csv -> clean_weather, clean_devices -> homes -> rds_tables, materialized by one
step: a single pass from the staged days to PostgreSQL (ingestion/clean_days.py).

Each asset stays visible with its own metadata and checks. Blocking checks keep their meaning inside the
step: raw_csv's are judged before anything is read, the clean tables' and homes' once every row has streamed
in but before the load commits (a failure rolls it back), rds_tables' after the commit. A failed blocking
check ends the step with the assets judged so far materialized, as a separate step's failure would.
(No `from __future__ import annotations`: Dagster reads the `context` and resource annotations at runtime.)
"""

import time

import dagster as dg

from smarthome_assets.cleaning.rules import ENERGY_SCHEMA, WEATHER_SCHEMA
from smarthome_assets.database import queries
from smarthome_assets.database.connection import PostgresDatabase
from smarthome_assets.database.loading import OperationalLoad
from smarthome_assets.database.migrate import apply_migrations
from smarthome_assets.defs.ingestion import checks
from smarthome_assets.homec import contract
from smarthome_assets.ingestion.clean_days import CleanResult, expected_rows, load_days, staged_homes_by_day
from smarthome_assets.ingestion.landing import current_manifests, deliver_local, manifests_for_days, merged_reasons
from smarthome_assets.ingestion.registry import HomeRegistry
from smarthome_assets.ingestion.sources import HomeCSources
from smarthome_assets.ingestion.watch import LANDED_BY_TAG, REJECTED, land_incoming
from smarthome_assets.lib import keys
from smarthome_assets.lib.partitions import daily_multi_asset, partition_days
from smarthome_assets.lib.table_metadata import OWNERS, column_schema
from smarthome_assets.storage.object_store import ObjectStore

GROUP = "ingestion"


def _specs() -> list[dg.AssetSpec]:
    """The five assets (built in a function: a module-level list of specs would be loaded as assets too)."""
    return [
        dg.AssetSpec(
            keys.RAW_CSV,
            group_name=GROUP,
            owners=OWNERS,
            kinds={"csv", "arrow"},
            description="HomeC files landed byte for byte in the object store's raw zone and staged by day as "
            "Arrow IPC files; malformed rows quarantined with file, line and reason.",
        ),
        dg.AssetSpec(
            keys.CLEAN_WEATHER,
            deps=[keys.RAW_CSV],
            group_name=GROUP,
            owners=OWNERS,
            kinds={"arrow"},
            metadata={"dagster/column_schema": column_schema(WEATHER_SCHEMA)},
            description="Weather per home and minute: strict numbers, cloudCover text and invalid values replaced "
            "by the documented rule and counted; streamed into `weather` as it is cleaned.",
        ),
        dg.AssetSpec(
            keys.CLEAN_DEVICES,
            deps=[keys.RAW_CSV],
            group_name=GROUP,
            owners=OWNERS,
            kinds={"arrow"},
            metadata={"dagster/column_schema": column_schema(ENERGY_SCHEMA)},
            description="Power readings (kW) of every device per home and minute; invalid values -> 0 and counted; "
            "streamed into `energy_consuming_device` as they are cleaned.",
        ),
        dg.AssetSpec(
            keys.HOMES,
            deps=[keys.CLEAN_WEATHER, keys.CLEAN_DEVICES],
            group_name=GROUP,
            owners=OWNERS,
            kinds={"postgres"},
            metadata={"dagster/table_name": "smarthome.public.home"},
            description="One row per home (id, name, source file, first/last reading, row counts) and the devices "
            "each home reports, in the `home` and `device` tables.",
        ),
        dg.AssetSpec(
            keys.RDS_TABLES,
            deps=[keys.HOMES],
            group_name=GROUP,
            owners=OWNERS,
            kinds={"postgres"},
            metadata={
                "dagster/table_name": "smarthome.public.energy_consuming_device",
                "dagster/column_schema": column_schema(ENERGY_SCHEMA),
                "weather table": "smarthome.public.weather",
                "weather columns": column_schema(WEATHER_SCHEMA),
            },
            description="`weather` and `energy_consuming_device` in PostgreSQL (RDS): the partition range replaced "
            "in one transaction by binary COPY, fed while the staged days are cleaned.",
        ),
    ]


class BlockingCheckFailed(Exception):
    """A blocking check failed inside the pass: nothing after it is loaded or materialized."""


@daily_multi_asset(
    name="raw_to_postgres",
    specs=_specs(),
    check_specs=checks.ALL_CHECKS,
    description="One pass: the day range's staged rows cleaned and streamed into PostgreSQL, every asset's "
    "checks judged on the way.",
)
def raw_to_postgres(
    context: dg.AssetExecutionContext,
    object_store: dg.ResourceParam[ObjectStore],
    postgres: dg.ResourceParam[PostgresDatabase],
    sources: dg.ResourceParam[HomeCSources],
):
    days = partition_days(context)
    statuses = _land_pending(context, object_store, sources)
    current = current_manifests(object_store)
    manifests = manifests_for_days(current, days)
    # A delivery whose lines are not all accounted for may have no rows left in any day: it is checked
    # whatever the run's days, so a reader fault that lost a whole file still blocks the run.
    manifests += [m for m in current if not m.balanced and m not in manifests]
    done = [_raw_csv(manifests, statuses, days)]
    if _blocked(done):
        yield from _finish(done)  # raises: nothing is read or loaded
    apply_migrations(postgres.url())
    homes_by_day = staged_homes_by_day(current, days)

    def before_commit(results: dict[str, CleanResult], load: OperationalLoad) -> None:
        weather, energy = results["weather"], results["energy"]
        done.append(_clean(weather, keys.CLEAN_WEATHER, checks.clean_results(weather, keys.CLEAN_WEATHER)))
        done.append(_clean(energy, keys.CLEAN_DEVICES, checks.clean_results(energy, keys.CLEAN_DEVICES)))
        if _blocked(done):
            raise BlockingCheckFailed
        done.append(_homes(object_store, postgres, manifests_for_days(current, days)))
        if _blocked(done):
            raise BlockingCheckFailed
        # PostgreSQL's rows per home and day, counted inside the load's transactions: judged before the commit.
        rds_checks.extend(checks.rds_results(expected_rows(current, homes_by_day, results.values()), load.counts))
        if not all(c.passed for c in rds_checks):
            done.extend(rds_checks)  # judged, but rds_tables is not materialized: nothing was loaded
            raise BlockingCheckFailed

    rds_checks: list[dg.AssetCheckResult] = []
    started = time.perf_counter()
    try:
        _, load = load_days(postgres, object_store, current, days, before_commit)
    except BlockingCheckFailed:
        yield from _finish(done)
        return
    seconds = time.perf_counter() - started
    total = sum(load.rows.values())
    context.log.info(f"loaded {total:,} rows over {len(days)} days in {seconds:.1f}s into {postgres.display_name()}")
    done.append(
        dg.MaterializeResult(
            asset_key=keys.RDS_TABLES,
            metadata={
                "weather_rows": load.rows.get("weather", 0),
                "energy_consuming_device_rows": load.rows.get("energy", 0),
                "dagster/row_count": total,
                "seconds": round(seconds, 2),
                "rows_per_second": round(total / seconds) if seconds else 0,
                "database": postgres.display_name(),
            },
            check_results=rds_checks,
        )
    )
    yield from _finish(done)


def _land_pending(context, store: ObjectStore, sources: HomeCSources) -> dict[str, str]:
    """Runs the sensor (or the CLI) requested find their deliveries landed already; other runs (from the UI,
    tests) land what is pending in the incoming zone first, each delivery whole (atomic per file)."""
    if LANDED_BY_TAG in context.run.tags:
        return {}
    own = {deliver_local(store, p, sources.timeframe_origin).path for p in sources.files()}
    outcomes = land_incoming(store, log=context.log.info)
    for outcome in outcomes:
        log = context.log.warning if outcome.status == REJECTED else context.log.info
        log(f"{outcome.delivery.path}: {outcome.status} ({outcome.reason})")
    rejected = [o for o in outcomes if o.status == REJECTED and o.delivery.path in own and o.error]
    if rejected:  # this run's own file: fail with the reader's message (file, line, column)
        raise rejected[0].error
    return {o.delivery.path: o.status for o in outcomes}


def _blocked(done: list[dg.MaterializeResult | dg.AssetCheckResult]) -> list[str]:
    """`asset: check` of every blocking check that failed so far."""
    blocking = {(spec.asset_key, spec.name) for spec in checks.ALL_CHECKS if spec.blocking}
    judged = [c for r in done for c in (r.check_results or [] if isinstance(r, dg.MaterializeResult) else [r])]
    return [
        f"{check.asset_key.to_user_string()}: {check.check_name}"
        for check in judged
        if not check.passed and (check.asset_key, check.check_name) in blocking
    ]


def _finish(done: list[dg.MaterializeResult | dg.AssetCheckResult]):
    """Yield what was judged; after a failed blocking check, end the step as Dagster does for one."""
    yield from done
    failed = _blocked(done)
    if failed:
        raise dg.Failure(
            description=f"{len(failed)} blocking asset check(s) failed, nothing after them was loaded: "
            + "; ".join(failed)
        )


def _raw_csv(manifests, statuses: dict[str, str], days) -> dg.MaterializeResult:
    in_range = sum(m.rows_per_day.get(str(d), 0) for m in manifests for d in days)
    return dg.MaterializeResult(
        asset_key=keys.RAW_CSV,
        metadata={
            "files": dg.MetadataValue.md(checks.files_markdown(manifests, statuses)),
            "rows_staged_in_range": in_range,
            "rows_quarantined": sum(m.quarantined_rows for m in manifests),
            "quarantine_reasons": dg.MetadataValue.json(merged_reasons(manifests)),
            "dagster/row_count": in_range,
        },
        check_results=checks.raw_csv_results(manifests),
    )


def _clean(result: CleanResult, key: dg.AssetKey, check_results) -> dg.MaterializeResult:
    metadata = {
        "rows": result.quality.rows,
        "dagster/row_count": result.quality.rows,
        "homes": len(result.homes),
        "values_replaced": result.report.total_replaced,
        "replacements": dg.MetadataValue.md(checks.replacements_markdown(result)),
        "incomplete_days": len(result.quality.incomplete_days),
    }
    return dg.MaterializeResult(asset_key=key, metadata=metadata, check_results=check_results)


def _homes(store: ObjectStore, postgres: PostgresDatabase, manifests) -> dg.MaterializeResult:
    """Upsert the homes with rows in the run's days (a run for day D touches only what D needs); the newest
    landed delivery's checksum stands for the home's source. The registry is read after the manifests: a
    landing saves it before switching its manifest, so every home seen here is in it."""
    newest = {m.house_id: m for m in manifests}
    registry = HomeRegistry.load(store)
    loaded = [home for home in registry.homes if home.house_id in newest]
    with postgres.connect() as conn, conn.cursor() as cur:
        for home in loaded:
            cur.execute(queries.UPSERT_HOME, (home.house_id, home.name, home.source_file, newest[home.house_id].sha256))
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
        asset_key=keys.HOMES,
        metadata={"homes": dg.MetadataValue.md(checks.homes_markdown(rows, devices)), "dagster/row_count": len(rows)},
        check_results=checks.homes_results([h.house_id for h in loaded], len(registry.homes), devices),
    )
