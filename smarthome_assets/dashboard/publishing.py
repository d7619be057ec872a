"""Reading the dashboard's data from the warehouse and publishing the rendered page.

The published copy goes to the object store (`dashboard/`, an S3 prefix on AWS); the local copy under
`$SMARTHOME_HOME/dashboard/` is what `smarthome api` serves at /dashboard, replaced atomically because
the server may be reading it at that moment.
"""

from __future__ import annotations

from pathlib import Path

from smarthome_assets.dashboard import layout
from smarthome_assets.dashboard.page import RenderedDashboard
from smarthome_assets.dashboard.queries import DashboardData, fetch
from smarthome_assets.storage.object_store import ObjectStore
from smarthome_assets.warehouse.resource import Warehouse


def read_warehouse(warehouse: Warehouse, store: ObjectStore) -> DashboardData:
    """The dashboard's data, read in one warehouse session: Redshift SQL as written, or translated for the
    local PostgreSQL by the warehouse's dialect layer (the statements are plain enough to need nothing)."""
    with warehouse.session(store) as session:
        return fetch(session.query)


def publish(store: ObjectStore, local_dir: Path, rendered: RenderedDashboard) -> dict[str, str]:
    """Write the page and the PNGs to the store and to `local_dir`; returns file name -> store URI."""
    files = {"index.html": (layout.PAGE_KEY, rendered.html)} | {
        f"{chart}.png": (layout.image_key(chart), png) for chart, png in rendered.images.items()
    }
    local_dir.mkdir(parents=True, exist_ok=True)
    uris = {}
    for name, (key, content) in files.items():
        store.put_bytes(key, content)
        _write_atomically(local_dir / name, content)
        uris[name] = store.uri(key)
    return uris


def _write_atomically(path: Path, content: bytes) -> None:
    """The local server may be reading the page right now: replace it, never truncate it."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(content)
    tmp.replace(path)
