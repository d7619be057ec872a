"""The `dashboard` asset: query the warehouse, render the page and the PNGs, publish them.

Thin Dagster wiring around queries.fetch and page.render. Not partitioned: it always shows the whole
period the warehouse holds, so it runs after `redshift_tables` whatever range that run loaded (in the same
run for `smarthome run`; by its automation condition when a day is loaded from the UI or a schedule).
(No `from __future__ import annotations`: Dagster reads the `context` and resource annotations at runtime.)
"""

import base64
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from smarthome_assets.dashboard import layout
from smarthome_assets.dashboard.agreement import read_agreement, table_html
from smarthome_assets.dashboard.page import RenderedDashboard, render
from smarthome_assets.dashboard.publishing import publish, read_warehouse
from smarthome_assets.dashboard.queries import DashboardData, WarehouseNotReady
from smarthome_assets.database.connection import PostgresDatabase
from smarthome_assets.defs.dashboard import checks
from smarthome_assets.lake.engine import Lake
from smarthome_assets.lib import keys
from smarthome_assets.lib.automation import after_upstream_writes
from smarthome_assets.lib.table_metadata import OWNERS
from smarthome_assets.storage.object_store import ObjectStore
from smarthome_assets.warehouse.resource import Warehouse

GROUP = "dashboard"

#: Refresh when the warehouse has been loaded (any day), once nothing upstream is still running. Not
#: `eager()`: that waits for *every* upstream partition, and a warehouse of a few days is worth a chart.
AFTER_WAREHOUSE_LOADS = after_upstream_writes("after redshift_tables loads")


def images_markdown(rendered: RenderedDashboard, data: DashboardData, chart: str) -> str:
    """One PNG as a data-URI image, which the Dagster UI shows inline in the materialization."""
    names = {h.house_id: h.name for h in data.homes}
    home = names.get(rendered.image_house_id, str(rendered.image_house_id))
    encoded = base64.b64encode(rendered.images[chart]).decode("ascii")
    return f"**{chart.replace('_', ' ')}** ({home}, whole period)\n\n![{chart}](data:image/png;base64,{encoded})"


@dg.asset(
    key=keys.DASHBOARD,
    group_name=GROUP,
    owners=OWNERS,
    deps=[keys.REDSHIFT_TABLES, keys.LAKE_PARQUET],
    kinds={"html", "altair"},
    check_specs=checks.CHECK_SPECS,
    automation_condition=AFTER_WAREHOUSE_LOADS,
    description="The energy dashboard, with a table of PostgreSQL, warehouse and lake per month (they agree): "
    "one self-contained HTML page (works offline; home selector and period "
    "brush) and PNGs of its main charts, from the warehouse's hourly facts. Served at /dashboard by "
    "`smarthome api`.",
)
def dashboard(
    context: dg.AssetExecutionContext,
    object_store: dg.ResourceParam[ObjectStore],
    warehouse: dg.ResourceParam[Warehouse],
    dashboard_dir: dg.ResourceParam[str],
    postgres: dg.ResourceParam[PostgresDatabase],
    lake: dg.ResourceParam[Lake],
):
    started = time.perf_counter()
    try:
        data = read_warehouse(warehouse, object_store)
    except WarehouseNotReady as exc:
        raise dg.Failure(description=str(exc)) from exc
    agreement = read_agreement(postgres, warehouse, object_store, lake)
    query_seconds = time.perf_counter() - started
    rendered = render(data, datetime.now(UTC), table_html(agreement))
    local_dir = Path(dashboard_dir)
    uris = publish(object_store, local_dir, rendered)
    seconds = time.perf_counter() - started
    context.log.info(
        f"dashboard: {len(data.homes)} home(s), {len(data.days):,} home-days, page "
        f"{len(rendered.html) / 1e6:.2f} MB, rendered in {seconds:.1f}s -> {local_dir}"
    )
    return dg.MaterializeResult(
        metadata={
            "page": dg.MetadataValue.path(uris["index.html"]),
            "local_page": dg.MetadataValue.path(str(local_dir / "index.html")),
            "url": dg.MetadataValue.url(layout.local_url()),
            "page_bytes": len(rendered.html),
            "data_bytes": rendered.data_bytes,
            "library_bytes": rendered.library_bytes,
            "homes": len(data.homes),
            "home_days": len(data.days),
            "first_day": str(data.first_day),
            "last_day": str(data.last_day),
            "render_seconds": round(seconds, 2),
            "query_seconds": round(query_seconds, 2),
            "stores_agree": all(agreement.agrees(m) for m in next(iter(agreement.months.values()), {})),
            "stores_unavailable": dg.MetadataValue.json(agreement.unavailable),
            **{f"{part}_seconds": round(s, 2) for part, s in rendered.seconds.items()},
            **{f"chart_{name}": dg.MetadataValue.md(images_markdown(rendered, data, name)) for name in rendered.images},
        },
        check_results=checks.results(rendered, data),
    )
