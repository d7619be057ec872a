"""Checks of `redshift_tables`: the four-way reconciliation, and the facts' own consistency.

* counts_reconcile (blocking): per day and table, rows in PostgreSQL as the export found them (kept in the
  export manifest; PostgreSQL may have moved on since, and the day is then exported again) == rows fetched
  from the API == rows in the export files (what COPY staged from them) == rows in the warehouse (minutes
  in the facts).
* unique_minutes: no (house_id, timeframe) twice in fact_energy_minute; Redshift does not enforce keys.
* device_hours_complete: the hourly device facts summarise 18 device-minutes per energy minute.
"""

from datetime import date

import dagster as dg

from smarthome_assets.database.connection import PostgresDatabase
from smarthome_assets.exports.layout import DAY_TABLES
from smarthome_assets.exports.reconcile import exported_postgres, postgres_rows_per_day
from smarthome_assets.homec import contract
from smarthome_assets.lib.checks import ERROR, WARN, reconciliation_result
from smarthome_assets.lib.keys import REDSHIFT_TABLES
from smarthome_assets.storage.object_store import ObjectStore
from smarthome_assets.warehouse.loader import WarehouseLoad, date_key, duplicate_minutes, warehouse_counts
from smarthome_assets.warehouse.resource import Warehouse

WAREHOUSE_CHECKS = [
    dg.AssetCheckSpec(
        "counts_reconcile",
        asset=REDSHIFT_TABLES,
        blocking=True,
        description="Per day and table: rows in PostgreSQL (as the export found them) == fetched from the API "
        "== in the export files == loaded in the warehouse.",
    ),
    dg.AssetCheckSpec(
        "unique_minutes",
        asset=REDSHIFT_TABLES,
        blocking=True,
        description="(house_id, timeframe) is unique in fact_energy_minute over the loaded days.",
    ),
    dg.AssetCheckSpec(
        "device_hours_complete",
        asset=REDSHIFT_TABLES,
        description="fact_device_hourly covers 18 device-minutes for every energy minute.",
    ),
]


def _by_day(per_key: dict[int, int], days: list[date]) -> dict[str, int]:
    """date key -> rows, re-keyed by ISO day over `days` (missing days count 0)."""
    return {str(day): per_key.get(date_key(day), 0) for day in days}


def warehouse_results(
    warehouse: Warehouse, store: ObjectStore, postgres: PostgresDatabase, result: WarehouseLoad
) -> list[dg.AssetCheckResult]:
    days = result.days
    loaded = warehouse_counts(warehouse, store, days)
    fetched = {t: {str(day): m.files[t].rows for day, m in result.manifests.items()} for t in DAY_TABLES}
    manifests = {str(day): m for day, m in result.manifests.items()}
    live = postgres_rows_per_day(postgres, days)
    measures = {
        "postgres": {t: exported_postgres(manifests, t, live) for t in DAY_TABLES},
        "api": fetched,
        "file": {t: _by_day(result.staged.get(t, {}), days) for t in DAY_TABLES},
        "warehouse": {t: _by_day(loaded[t], days) for t in DAY_TABLES},
    }
    duplicates = duplicate_minutes(warehouse, store, days)
    devices = len(contract.POWER_COLUMNS)
    short = {
        str(day): {
            "device_minutes": loaded["device_minutes"].get(date_key(day), 0),
            "expected": devices * loaded["energy"].get(date_key(day), 0),
        }
        for day in days
        if loaded["device_minutes"].get(date_key(day), 0) != devices * loaded["energy"].get(date_key(day), 0)
    }
    return [
        reconciliation_result("counts_reconcile", measures),
        dg.AssetCheckResult(
            check_name="unique_minutes",
            passed=duplicates == 0,
            severity=ERROR,
            metadata={"duplicate_minutes": duplicates},
        ),
        dg.AssetCheckResult(
            check_name="device_hours_complete",
            passed=not short,
            severity=WARN,
            metadata={"days_short": len(short), "examples": dg.MetadataValue.json(dict(list(short.items())[:10]))},
        ),
    ]
