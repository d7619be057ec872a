"""The dashboard's checks, run inside its step on what it just rendered (nothing is re-read).

They guard the promises people rely on: the page opens with no network, every chart of every home has
data to draw, and the page stays light enough to open instantly.
"""

import dagster as dg

from smarthome_assets.dashboard.inspection import external_references, has_inline_vega_embed, homes_without_data
from smarthome_assets.dashboard.page import RenderedDashboard
from smarthome_assets.dashboard.queries import DashboardData
from smarthome_assets.lib.checks import ERROR, WARN
from smarthome_assets.lib.keys import DASHBOARD

#: Above this the page is no longer "light" (the inlined libraries alone are ~0.9 MB).
PAGE_BUDGET_BYTES = 5_000_000

CHECK_SPECS = [
    dg.AssetCheckSpec(
        "page_is_self_contained",
        asset=DASHBOARD,
        description="No script, style sheet, image or frame of the page comes from elsewhere, and "
        "Vega-Embed is inlined: the page works with no network.",
    ),
    dg.AssetCheckSpec(
        "every_home_has_data",
        asset=DASHBOARD,
        description="Every home in dim_home has days of device energy, hourly use, temperatures and "
        "weather conditions, so none of its charts is empty.",
    ),
    dg.AssetCheckSpec(
        "page_within_size_budget",
        asset=DASHBOARD,
        description=f"The page is at most {PAGE_BUDGET_BYTES / 1e6:.0f} MB.",
    ),
]


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
