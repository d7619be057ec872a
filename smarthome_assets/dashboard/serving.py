"""`/dashboard` on the local server (`smarthome api`), through its static-pages hook.

The page is one file with everything inlined, so serving it is serving that file: the local copy the
`dashboard` asset writes under $SMARTHOME_HOME/dashboard/. Until the asset has run, the server answers 404.
"""

from __future__ import annotations

from pathlib import Path

from smarthome_assets.dashboard import layout
from smarthome_assets.settings import Settings, load_settings


def static_pages(settings: Settings | None = None) -> dict[str, Path]:
    """The local server's path -> file entries for the dashboard."""
    return {layout.URL_PATH: layout.local_page(settings or load_settings())}


def register(settings: Settings | None = None) -> dict[str, Path]:
    """Add the dashboard to the pages every LocalApiServer created afterwards serves."""
    from smarthome_assets.local_api.server import STATIC_PAGES

    pages = static_pages(settings)
    STATIC_PAGES.update(pages)
    return pages
