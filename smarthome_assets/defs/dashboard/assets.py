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
from smarthome_assets.dashboard.page import RenderedDashboard, render
from smarthome_assets.dashboard.queries import DashboardData, WarehouseNotReady, fetch
from smarthome_assets.defs.dashboard import checks
from smarthome_assets.lib.table_metadata import OWNERS
from smarthome_assets.storage.object_store import ObjectStore
from smarthome_assets.warehouse.resource import Warehouse

GROUP = "dashboard"
WAREHOUSE_ASSET = dg.AssetKey("redshift_tables")

#: Refresh when the warehouse has been loaded (any day), once nothing upstream is still running. Not
#: `eager()`: that waits for *every* upstream partition, and a warehouse of a few days is worth a chart.
AFTER_WAREHOUSE_LOADS = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("after redshift_tables loads")


def read_warehouse(warehouse: Warehouse, store: ObjectStore) -> DashboardData:
    """The dashboard's data, read in one warehouse session: Redshift SQL as written, or translated for the
    local PostgreSQL by the warehouse's dialect layer (the statements are plain enough to need nothing)."""
    with warehouse.session(store) as session:
        return fetch(session.query)


def publish(store: ObjectStore, local_dir: Path, rendered: RenderedDashboard) -> dict[str, str]:
    """Write the page and the PNGs to the store and to `local_dir`; returns file name -> store URI."""
    files = {"index.html": rendered.html} | {f"{name}.png": png for name, png in rendered.images.items()}
    local_dir.mkdir(parents=True, exist_ok=True)
    uris = {}
    for name, content in files.items():
        key = f"{layout.PREFIX}{name}"
        store.put_bytes(key, content)
        _write_atomically(local_dir / name, content)
        uris[name] = store.uri(key)
    return uris


def _write_atomically(path: Path, content: bytes) -> None:
    """The local server may be reading the page right now: replace it, never truncate it."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(content)
    tmp.replace(path)


def images_markdown(rendered: RenderedDashboard, data: DashboardData, chart: str) -> str:
    """One PNG as a data-URI image, which the Dagster UI shows inline in the materialization."""
    names = {h.house_id: h.name for h in data.homes}
    home = names.get(rendered.image_house_id, str(rendered.image_house_id))
    encoded = base64.b64encode(rendered.images[chart]).decode("ascii")
    return f"**{chart.replace('_', ' ')}** ({home}, whole period)\n\n![{chart}](data:image/png;base64,{encoded})"


@dg.asset(
    group_name=GROUP,
    owners=OWNERS,
    deps=[WAREHOUSE_ASSET],
    kinds={"html", "altair"},
    check_specs=checks.CHECK_SPECS,
    automation_condition=AFTER_WAREHOUSE_LOADS,
    description="The energy dashboard: one self-contained HTML page (works offline; home selector and period "
    "brush) and PNGs of its main charts, from the warehouse's hourly facts. Served at /dashboard by "
    "`smarthome api`.",
)
def dashboard(
    context: dg.AssetExecutionContext,
    object_store: dg.ResourceParam[ObjectStore],
    warehouse: dg.ResourceParam[Warehouse],
    dashboard_dir: dg.ResourceParam[str],
):
    started = time.perf_counter()
    try:
        data = read_warehouse(warehouse, object_store)
    except WarehouseNotReady as exc:
        raise dg.Failure(description=str(exc)) from exc
    query_seconds = time.perf_counter() - started
    rendered = render(data, datetime.now(UTC))
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
            **{f"{part}_seconds": round(s, 2) for part, s in rendered.seconds.items()},
            **{f"chart_{name}": dg.MetadataValue.md(images_markdown(rendered, data, name)) for name in rendered.images},
        },
        check_results=checks.results(rendered, data),
    )
