"""The dashboard's section of the `smarthome run` summary: where the page is and the address that serves it."""

from __future__ import annotations

from typing import Any

from smarthome_assets.cli.summary import section
from smarthome_assets.dashboard import layout
from smarthome_assets.settings import Settings


@section("dashboard")
def dashboard_rows(settings: Settings, resources: dict[str, Any]) -> list[tuple[str, str]]:
    page = layout.local_page(settings)
    if not page.is_file():
        return [("page", f"not rendered yet ({page}); materialize the `dashboard` asset")]
    rows = [
        ("page", f"{page}  ({page.stat().st_size / 1e6:.2f} MB, opens offline)"),
        ("served at", f"{layout.local_url()}  (while `make api` / `smarthome api` runs)"),
    ]
    store = resources.get("object_store")
    if store is not None:
        rows.append(("images", store.uri(layout.PREFIX)))
    return rows
