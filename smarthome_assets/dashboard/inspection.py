"""What the dashboard's checks look at in a rendered page and its data: external references (the page
must work offline), the inlined Vega-Embed, and homes whose charts would be empty."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

from smarthome_assets.dashboard.queries import DashboardData


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
