"""The dashboard's checks, run inside its step on what it just rendered (nothing is re-read).

They guard the promises people rely on: the page opens with no network, every chart of every home has
data to draw, and the page stays light enough to open instantly.
"""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import dagster as dg

from smarthome_assets.dashboard.page import RenderedDashboard
from smarthome_assets.dashboard.queries import DashboardData

ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN
#: Above this the page is no longer "light" (the inlined libraries alone are ~0.9 MB).
PAGE_BUDGET_BYTES = 5_000_000

CHECK_SPECS = [
    dg.AssetCheckSpec(
        "page_is_self_contained",
        asset="dashboard",
        description="No script, style sheet, image or frame of the page comes from elsewhere, and "
        "Vega-Embed is inlined: the page works with no network.",
    ),
    dg.AssetCheckSpec(
        "every_home_has_data",
        asset="dashboard",
        description="Every home in dim_home has days of device energy, hourly use, temperatures and "
        "weather conditions, so none of its charts is empty.",
    ),
    dg.AssetCheckSpec(
        "page_within_size_budget",
        asset="dashboard",
        description=f"The page is at most {PAGE_BUDGET_BYTES / 1e6:.0f} MB.",
    ),
]


class _References(HTMLParser):
    """Collects the URLs a document would fetch (src, href, srcset, data attributes) and inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script" and not any(name == "src" for name, _ in attrs)
        self.urls += [value for name, value in attrs if name in ("src", "href", "srcset", "data", "poster") and value]

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline_scripts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


def external_references(html: str) -> list[str]:
    """Every URL the document's tags would load that is not inline (a data: URI) or a fragment."""
    parser = _References()
    parser.feed(html)
    return [url for url in parser.urls if not url.startswith(("data:", "#"))]


def has_inline_vega_embed(html: str) -> bool:
    parser = _References()
    parser.feed(html)
    return any("window.vegaEmbed" in script for script in parser.inline_scripts)


def homes_without_data(data: DashboardData) -> dict[str, list[str]]:
    """For each home lacking something a chart needs, what it lacks."""
    days = Counter(d.house_id for d in data.days)
    hours = Counter(d.house_id for d in data.days if any(v is not None for v in d.hourly_kw))
    temperatures = Counter(d.house_id for d in data.days if d.temperature_f is not None)
    energy = Counter(d.house_id for d in data.days if any(v for v in d.device_kwh))
    conditions = Counter(c.house_id for c in data.condition_days)
    needs = {
        "device energy": energy,
        "hourly use": hours,
        "temperature": temperatures,
        "weather conditions": conditions,
    }
    missing = {h.name: [need for need, counter in needs.items() if not counter[h.house_id]] for h in data.homes}
    for house_id in sorted(set(days) - {h.house_id for h in data.homes}):
        missing[f"house {house_id}"] = ["a dim_home row"]
    return {name: lacks for name, lacks in missing.items() if lacks}


def results(rendered: RenderedDashboard, data: DashboardData) -> list[dg.AssetCheckResult]:
    html = rendered.html.decode("utf-8")
    external = external_references(html)
    inline = has_inline_vega_embed(html)
    lacking = homes_without_data(data)
    size = len(rendered.html)
    return [
        dg.AssetCheckResult(
            check_name="page_is_self_contained",
            passed=not external and inline,
            severity=ERROR,
            metadata={"external_references": dg.MetadataValue.json(external[:20]), "vega_embed_inlined": inline},
        ),
        dg.AssetCheckResult(
            check_name="every_home_has_data",
            passed=bool(data.homes) and not lacking,
            severity=ERROR,
            metadata={"homes": len(data.homes), "lacking": dg.MetadataValue.json(lacking)},
        ),
        dg.AssetCheckResult(
            check_name="page_within_size_budget",
            passed=size <= PAGE_BUDGET_BYTES,
            severity=WARN,
            metadata={"page_bytes": size, "budget_bytes": PAGE_BUDGET_BYTES},
        ),
    ]
