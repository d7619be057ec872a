"""Headless Chromium for the browser tests: Debian's `chromium` driven by Playwright for Python.

Every page runs with the network cut off: a route lets through only requests to this machine (localhost,
127.0.0.1) and aborts, and records, everything else. Console errors and uncaught exceptions are recorded
too, so a test can assert there were none. Screenshots go to test-artifacts/ (CI keeps that folder).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from smarthome_assets_tests.support.paths import REPO

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM}: `make browser-deps` installs it")


@dataclass
class Offline:
    """What a page tried to reach beyond this machine, and the errors it logged."""

    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def route(self, route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("internetdisconnected")


def offline_page(browser: Any, **context_options: Any) -> tuple[Any, Offline]:
    """A new page in its own context, with only localhost reachable and errors recorded."""
    offline = Offline()
    context = browser.new_context(**context_options)
    context.route("**/*", offline.route)
    page = context.new_page()
    page.on("console", lambda m: offline.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: offline.console_errors.append(f"uncaught: {e}"))
    return page, offline


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
