"""Checks of `lake_parquet`: the lake is a copy of every other store, day by day (the seed's dev log, by machine).

* rows_match_every_store (blocking): per day and table, rows in the lake (DuckDB over the Parquet files) ==
  PostgreSQL as the export found them == what the API returned (the export manifest) == the warehouse's facts.
* use_kw_agrees (blocking): per day, sum(use_kw) in the lake, the warehouse and PostgreSQL (as the export found
  it) agree to 1e-6 kW.
"""

from datetime import date

import dagster as dg

from smarthome_assets.database.connection import PostgresDatabase
from smarthome_assets.database.counts import use_kw_per_day
from smarthome_assets.exports.layout import DAY_TABLES, DayManifest
from smarthome_assets.exports.reconcile import exported_postgres, postgres_rows_per_day
from smarthome_assets.lake.engine import DayTotals
from smarthome_assets.lib.checks import ERROR, reconciliation_result
from smarthome_assets.lib.keys import LAKE_PARQUET
from smarthome_assets.storage.object_store import ObjectStore
from smarthome_assets.warehouse.loader import date_key, warehouse_counts
from smarthome_assets.warehouse.loader import use_kw_per_day as warehouse_use_kw_per_day
from smarthome_assets.warehouse.resource import Warehouse

#: How far apart a day's sum(use_kw) may be between stores: a year's day sums ~2,000 kW-minutes, and the
#: order of a floating-point sum moves it by about 1e-12.
USE_KW_TOLERANCE = 1e-6

LAKE_CHECKS = [
    dg.AssetCheckSpec(
        "rows_match_every_store",
        asset=LAKE_PARQUET,
        blocking=True,
        description="Per day and table: rows in the lake == PostgreSQL == fetched from the API == the warehouse.",
    ),
    dg.AssetCheckSpec(
        "use_kw_agrees",
        asset=LAKE_PARQUET,
        blocking=True,
        description=f"Per day: sum(use_kw) in the lake, the warehouse and PostgreSQL agree to {USE_KW_TOLERANCE:g}.",
    ),
]


def _api_rows(store: ObjectStore, days: list[date]) -> dict[str, dict[str, int]]:
    """Rows the API returned per day and table, as the day's current export manifest recorded them."""
    counts: dict[str, dict[str, int]] = {t: {} for t in DAY_TABLES}
    for day in days:
        manifest = DayManifest.load(store, day)
        for table in DAY_TABLES:
            counts[table][str(day)] = manifest.files[table].rows if manifest and table in manifest.files else 0
    return counts


def use_kw_result(sums: dict[str, dict[str, float]]) -> dg.AssetCheckResult:
    """store -> day -> sum(use_kw): passes when every day's sums lie within USE_KW_TOLERANCE of each other."""
    days = sorted({day for per_day in sums.values() for day in per_day})
    apart = {}
    for day in days:
        values = {name: per_day.get(day, 0.0) for name, per_day in sums.items()}
        if max(values.values()) - min(values.values()) > USE_KW_TOLERANCE:
            apart[day] = values
    widest = max(
        (max(v) - min(v) for v in ([s.get(d, 0.0) for s in sums.values()] for d in days)),
        default=0.0,
    )
    return dg.AssetCheckResult(
        check_name="use_kw_agrees",
        passed=not apart,
        severity=ERROR,
        metadata={
            **{f"{name}_use_kw": round(sum(per_day.values()), 6) for name, per_day in sums.items()},
            "days_checked": len(days),
            "days_apart": len(apart),
            "largest_difference": widest,
            "tolerance": USE_KW_TOLERANCE,
            "examples": dg.MetadataValue.json(dict(list(apart.items())[:10])),
        },
    )


def _exported_use_kw(manifests: dict[str, DayManifest | None], live: dict[str, float]) -> dict[str, float]:
    """sum(use_kw) per day in PostgreSQL as each day's export found it (`live` for older manifests)."""
    return {
        day: float(m.postgres["use_kw"]) if m and "use_kw" in m.postgres else live.get(day, 0.0)
        for day, m in manifests.items()
    }


def lake_results(
    totals: DayTotals, store: ObjectStore, postgres: PostgresDatabase, warehouse: Warehouse, days: list[date]
) -> list[dg.AssetCheckResult]:
    """PostgreSQL is taken as each day's export found it (the manifest keeps its figures): the lake and the
    warehouse are copies of that export, and a day PostgreSQL changed since is exported again."""
    loaded = warehouse_counts(warehouse, store, days)
    manifests = {str(day): DayManifest.load(store, day) for day in days}
    live = postgres_rows_per_day(postgres, days)
    measures = {
        "lake": totals.rows,
        "postgres": {t: exported_postgres(manifests, t, live) for t in DAY_TABLES},
        "api": _api_rows(store, days),
        "warehouse": {t: {str(day): loaded[t].get(date_key(day), 0) for day in days} for t in DAY_TABLES},
    }
    sums = {
        "lake": totals.use_kw,
        "warehouse": warehouse_use_kw_per_day(warehouse, store, days),
        "postgres": _exported_use_kw(manifests, use_kw_per_day(postgres, days)),
    }
    return [reconciliation_result("rows_match_every_store", measures), use_kw_result(sums)]
