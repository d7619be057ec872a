"""The dashboard as one self-contained HTML page, and PNG images of its main charts.

Why self-contained: the page must work with no network (no CDN), from a file or from `smarthome api`.
Vega, Vega-Lite and Vega-Embed come from vl-convert's bundle and are inlined in a <script>; the data are
inlined in the spec. Nothing on the page requests anything: no fonts, images or style sheets from
elsewhere, and Vega-Embed's action menu (which links to the online editor) is switched off.

The PNGs are rendered by vl-convert from the same chart functions (charts.image_charts), for one home over
the whole period, because an image cannot hold a dropdown or a brush.
"""

from __future__ import annotations

import html
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import altair as alt
import vl_convert as vlc

from smarthome_assets.dashboard import charts
from smarthome_assets.dashboard.queries import LOCAL_TZ, DashboardData

#: The Vega-Lite version Altair writes specs for (e.g. "6.4"), which vl-convert must run them with.
VEGALITE_VERSION = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
#: Scale of the PNGs (1 = the charts' own pixel size, enough for the Dagster UI).
PNG_SCALE = 1.0


@dataclass(frozen=True)
class RenderedDashboard:
    """What `render` produced, and how long each part took (seconds)."""

    html: bytes
    images: dict[str, bytes]  # chart name -> PNG
    image_house_id: int
    data_bytes: int
    library_bytes: int
    seconds: dict[str, float] = field(default_factory=dict)


_BUNDLE_LOCK = threading.Lock()


@lru_cache(maxsize=2)
def _build_bundle(vl_version: str) -> str:
    bundle = vlc.javascript_bundle(vl_version=vl_version)
    if "</script" in bundle.lower():  # would end the inline <script> early
        raise ValueError("the JavaScript bundle contains '</script' and cannot be inlined")
    return bundle


def javascript_bundle(vl_version: str = VEGALITE_VERSION) -> str:
    """Vega + Vega-Lite + Vega-Embed as one classic script defining `vegaEmbed` (about 0.9 MB; built once per
    process). The lock makes a render wait for a build `warm_up` started instead of building twice."""
    with _BUNDLE_LOCK:
        return _build_bundle(vl_version)


def warm_up() -> threading.Thread:
    """Build the bundle in a background thread. A whole-chain run renders the page last, so the second it
    takes need not wait on the critical path: vl-convert builds it in Rust without holding the GIL."""
    thread = threading.Thread(target=javascript_bundle, name="dashboard-bundle", daemon=True)
    thread.start()
    return thread


def render(data: DashboardData, generated_at: datetime, stores_table: str = "") -> RenderedDashboard:
    """The page (all homes, interactive) and the PNGs (the first home, whole period). `stores_table`: the HTML
    table of the three stores' rows and kWh per month (agreement.table_html), shown under the charts."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    datasets = charts.records(data)
    page_spec = charts.spec(charts.dashboard_chart(data), datasets)
    data_json = _script_json(page_spec)
    seconds["spec"] = time.perf_counter() - started

    started = time.perf_counter()
    bundle = javascript_bundle()
    page = page_html(data, data_json, bundle, generated_at, stores_table).encode("utf-8")
    seconds["html"] = time.perf_counter() - started

    started = time.perf_counter()
    house_id = data.homes[0].house_id if data.homes else data.days[0].house_id
    images = render_images(data, house_id, datasets)
    seconds["png"] = time.perf_counter() - started
    return RenderedDashboard(
        page, images, house_id, len(data_json.encode("utf-8")), len(bundle.encode("utf-8")), seconds
    )


def render_images(
    data: DashboardData, house_id: int, datasets: dict[str, list[dict[str, Any]]] | None = None
) -> dict[str, bytes]:
    """One PNG per main chart for `house_id`, given only that home's rows (smaller specs, faster renders)."""
    datasets = datasets or charts.records(data)
    own = {name: [r for r in rows if r.get("h", house_id) == house_id] for name, rows in datasets.items()}
    return {
        name: vlc.vegalite_to_png(charts.spec(chart, own), vl_version=VEGALITE_VERSION, scale=PNG_SCALE)
        for name, chart in charts.image_charts(data, house_id).items()
    }


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element ('</' cannot close it)."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


def page_html(data: DashboardData, spec_json: str, bundle: str, generated_at: datetime, stores_table: str = "") -> str:
    """The whole HTML document: header, controls, the chart, and the inlined libraries."""
    first, last = data.first_day, data.last_day
    homes = ", ".join(h.name for h in data.homes)
    return _TEMPLATE.format(
        period=f"{first:%b %d %Y} – {last:%b %d %Y}" if first and last else "no data",
        homes=html.escape(homes or "none"),
        home_count=len(data.homes),
        tz=LOCAL_TZ,
        choose=("Choose a home above and a period" if len(data.homes) > 1 else "Choose a period")
        + " by dragging across the strip under the totals",
        generated=f"{generated_at:%Y-%m-%d %H:%M %Z}".strip(),
        versions=f"Vega {vlc.get_vega_version()}, Vega-Lite {VEGALITE_VERSION}, "
        f"Vega-Embed {vlc.get_vega_embed_version()}",
        data_kb=f"{len(spec_json.encode('utf-8')) / 1024:,.0f}",
        library_kb=f"{len(bundle.encode('utf-8')) / 1024:,.0f}",
        bundle=bundle,
        spec=spec_json,
        stores=(
            '<h2>Three stores, one truth</h2><p class="note">Energy readings and kWh per month in PostgreSQL, '
            "the warehouse (fact_energy_minute) and the lake (Parquet, read with DuckDB).</p>" + stores_table
        )
        if stores_table
        else "",
    )


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Smart-home energy dashboard</title>
<style>
  body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #222; }}
  h1 {{ font-size: 22px; margin: 0 0 4px; }}
  .meta, .note, footer {{ color: #555; font-size: 13px; margin: 2px 0; }}
  #controls {{ display: flex; gap: 28px; align-items: center; margin: 14px 0 6px; font-size: 14px; }}
  #controls:empty {{ display: none; }}
  #controls .vega-bind {{ display: flex; align-items: center; gap: 6px; }}
  #controls select {{ font-size: 14px; padding: 2px 6px; }}
  #dashboard {{ margin-top: 8px; }}
  #dashboard-error {{ color: #b00020; font-weight: bold; }}
  footer {{ margin-top: 18px; }}
  h2 {{ font-size: 17px; margin: 22px 0 4px; }}
  #stores-agree {{ border-collapse: collapse; font-size: 13px; }}
  #stores-agree th, #stores-agree td {{ border: 1px solid #ccc; padding: 2px 8px; text-align: right; }}
  #stores-agree tr[data-agree="NO"] {{ background: #fdd; }}
</style>
</head>
<body data-state="loading">
<h1>Smart-home energy dashboard</h1>
<p class="meta">{period} · {home_count} home(s): {homes} · generated {generated} from the warehouse</p>
<p class="note">Energy: each reading is one minute's mean power in kW, so kWh = Σ kW / 60 (the warehouse's
hourly facts). Days and hours are local time ({tz}). {choose}; every chart follows.</p>
<div id="controls"></div>
<div id="dashboard"></div>
<p id="dashboard-error"></p>
{stores}
<footer>Works offline: {versions} are inlined in this page ({library_kb} KB); chart spec and data {data_kb} KB.
</footer>
<script>{bundle}</script>
<script>
(function () {{
  const spec = {spec};
  const started = performance.now();
  vegaEmbed("#dashboard", spec, {{renderer: "svg", actions: false}})
    .then(function (result) {{
      window.dashboardView = result.view;
      document.body.dataset.renderMs = String(Math.round(performance.now() - started));
      document.body.dataset.state = "ready";
    }})
    .catch(function (error) {{
      document.body.dataset.state = "error";
      document.getElementById("dashboard-error").textContent = "The charts could not be drawn: " + error;
      console.error(error);
    }});
}})();
</script>
</body>
</html>
"""
