"""The run summary's warehouse and exports sections (registered by importing this module)."""

from __future__ import annotations

from typing import Any

from smarthome_assets.cli.summary import section
from smarthome_assets.exports.checks import newest_exported_day
from smarthome_assets.exports.layout import DayManifest
from smarthome_assets.settings import Settings
from smarthome_assets.warehouse.loader import table_rows


@section("exports (daily CSV files through the API)")
def exports_rows(settings: Settings, resources: dict[str, Any]) -> list[tuple[str, str]]:
    store = resources["object_store"]
    newest = newest_exported_day(store)
    manifest = DayManifest.load(store, newest) if newest else None
    if manifest is None:
        return [("exports", "none yet")]
    days = len(store.list_keys("exports/manifests/"))
    rows = [("days exported", f"{days:,} (newest {newest}, exported {manifest.exported_at})")]
    rows += [(f"  {table} {newest}", store.uri(f.key)) for table, f in manifest.files.items()]
    return rows


@section("warehouse (star schema)")
def warehouse_rows(settings: Settings, resources: dict[str, Any]) -> list[tuple[str, str]]:
    warehouse = resources["warehouse"]
    rows = [("warehouse", f"{warehouse.display_name()} ({warehouse.dialect} dialect)")]
    rows += [(table, f"{n:,} rows") for table, n in table_rows(warehouse, resources["object_store"]).items()]
    return rows
