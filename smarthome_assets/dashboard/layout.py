"""Where the dashboard lives: its object-store keys, the local copy the local server serves, its URL.

The object store holds the published copy (`dashboard/`, beside the other zones; an S3 prefix on AWS).
The local copy under `$SMARTHOME_HOME/dashboard/` has a path that does not depend on the store, so
`smarthome api` can serve `/dashboard` from a file whichever store the pipeline writes to.
"""

from __future__ import annotations

from pathlib import Path

PREFIX = "dashboard/"
PAGE_KEY = f"{PREFIX}index.html"
#: The path the local server serves the page at, and its default address (`smarthome api`).
URL_PATH = "/dashboard"
DEFAULT_API_PORT = 8080


def image_key(chart: str) -> str:
    return f"{PREFIX}{chart}.png"


def local_page(local_dir: Path) -> Path:
    return local_dir / "index.html"


def static_pages(local_dir: Path) -> dict[str, Path]:
    """The local server's path -> file entries for the dashboard (its `static_pages=`)."""
    return {URL_PATH: local_page(local_dir)}


def local_url(host: str = "127.0.0.1", port: int = DEFAULT_API_PORT) -> str:
    return f"http://{host}:{port}{URL_PATH}"
