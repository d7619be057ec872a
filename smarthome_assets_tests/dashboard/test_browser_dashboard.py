"""The dashboard page in a real browser (Debian's Chromium), served by the local server, network cut off.

A synthetic year of three homes goes through the real path (warehouse tables -> queries -> page), the page
is served at /dashboard by `LocalApiServer` through the dashboard's static-pages hook, and Chromium loads it
with every non-localhost request blocked. Each chart's marks are counted in the SVG and their values read
back and compared with figures computed here from the same data; then the home dropdown and a drag across
the period strip must change them as they should. Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime

import psycopg2
import pytest

from smarthome_assets.dashboard import charts, layout, page, queries
from smarthome_assets.local_api.server import LocalApiServer, start_in_thread
from smarthome_assets.settings import load_settings
from smarthome_assets_tests.support import synthetic_facts as synth
from smarthome_assets_tests.support.browser import offline_page, screenshot
from smarthome_assets_tests.support.dbapi import dbapi_query

pytestmark = pytest.mark.browser

HOMES, DAYS = 3, 351
TOTALS = re.compile(r"Use ([\d,]+) kWh .* (\d+) days, (\w{3} \d{2} \d{4}) – (\w{3} \d{2} \d{4})")
MARKS = {  # chart -> the SVG group of its marks
    "daily": "g.daily_layer_0_marks > path",
    "heatmap": "g.heatmap_marks > path",
    "heating": "g.heating_layer_0_marks > path",
    "weather": "g.weather_marks > path",
    "top_devices": "g.top_devices_layer_0_marks > path",
    "top_labels": "g.top_devices_layer_1_marks > text",
    "solar": "g.daily_layer_1_layer_0_marks > path",
    "overview": "g.overview_marks > path",
}


@pytest.fixture(scope="module")
def served(pg_server, tmp_path_factory, monkeypatch_module):
    """The rendered page of a synthetic year, served at /dashboard by the local server; yields (url, data, html)."""
    home = tmp_path_factory.mktemp("smarthome-home")
    monkeypatch_module.setenv("SMARTHOME_HOME", str(home))
    with synth.scratch_database(pg_server) as url:
        synth.create_warehouse(url)
        synth.fill_warehouse(url, synth.synthesize(homes=HOMES, days=DAYS, seed=3))
        with psycopg2.connect(url) as conn:
            data = queries.fetch(dbapi_query(conn))
    rendered = page.render(data, datetime.now(UTC))
    pages = layout.static_pages(load_settings().dashboard_dir)
    path = pages["/dashboard"]
    path.parent.mkdir(parents=True)
    path.write_bytes(rendered.html)
    server = LocalApiServer(("127.0.0.1", 0), static_pages=pages)
    start_in_thread(server)
    yield f"{server.url}/dashboard", data, rendered
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _open(browser, url: str):
    tab, offline = offline_page(browser, viewport={"width": 1280, "height": 1300}, timezone_id="America/New_York")
    started = time.perf_counter()
    response = tab.goto(url)
    tab.wait_for_function("document.body.dataset.state !== 'loading'", timeout=30_000)
    seconds = time.perf_counter() - started
    assert tab.evaluate("document.body.dataset.state") == "ready", tab.inner_text("#dashboard-error")
    return tab, offline, response, seconds


def _counts(tab) -> dict[str, int]:
    return {chart: tab.locator(selector).count() for chart, selector in MARKS.items()}


def _totals(tab) -> tuple[int, int, date, date]:
    text = tab.locator("g.totals_marks text").text_content()
    match = TOTALS.search(text)
    assert match, text
    parse = lambda s: datetime.strptime(s, "%b %d %Y").date()  # noqa: E731
    return int(match[1].replace(",", "")), int(match[2]), parse(match[3]), parse(match[4])


def _top_labels(tab) -> dict[str, str]:
    labels = {}
    for text in tab.locator(MARKS["top_labels"]).all():
        device = re.search(r"device: ([^;]+)", text.get_attribute("aria-label")).group(1)
        labels[device] = text.text_content()
    return labels


def expected(data: queries.DashboardData, house_id: int, first: date | None = None, last: date | None = None):
    """What the page should show for one home and period, from the rows it holds (kWh rounded to Wh, as sent):
    use kWh, day count, top-device labels, and how many conditions by summary and by icon."""
    records = charts.records(data)
    lo = charts.epoch_ms(first) if first else 0
    hi = charts.epoch_ms(last) if last else 1 << 60
    days = [r for r in records["days"] if r["h"] == house_id and lo <= r["d"] <= hi]
    per_device = {name: sum(r["k"][i] or 0 for r in days) for i, name in enumerate(data.devices[:-1])}
    top = sorted(per_device, key=per_device.get, reverse=True)[: charts.TOP_DEVICES]
    keys = {r["c"] for r in records["condition_days"] if r["h"] == house_id and lo <= r["d"] <= hi}
    conditions = [c for c in data.conditions if c.condition_key in keys]
    return {
        "use": round(sum(r["u"] for r in days)),
        "days": len(days),
        "top": {n: f"{per_device[n]:,.1f}" for n in top},
        "summaries": len({c.summary for c in conditions}),
        "icons": len({c.icon for c in conditions}),
    }


def test_the_page_loads_offline_and_draws_every_chart(browser, served):
    url, data, rendered = served
    tab, offline, response, seconds = _open(browser, url)
    size = len(response.body())
    render_ms = int(tab.evaluate("document.body.dataset.renderMs"))
    shot = screenshot(tab, "dashboard-1-loaded")
    print(
        f"\n/dashboard: {size / 1e6:.2f} MB ({rendered.data_bytes / 1e3:.0f} kB spec+data, "
        f"{rendered.library_bytes / 1e3:.0f} kB libraries), {HOMES} homes x {DAYS} days; "
        f"charts drawn {render_ms} ms after the script ran, load-to-ready {seconds:.2f}s; {shot}"
    )
    assert response.status == 200 and size == len(rendered.html)
    assert offline.blocked == [], "the page tried to reach the network"
    assert offline.console_errors == []
    assert size < 2_000_000 and render_ms < 10_000

    want = expected(data, 1)
    counts = _counts(tab)
    assert counts["daily"] == DAYS * len(data.devices)  # a bar per day and device
    assert counts["solar"] == 1 and counts["overview"] == 1
    assert counts["heatmap"] == 7 * 24
    assert counts["heating"] == DAYS  # a point per day
    assert counts["weather"] == want["summaries"]
    assert counts["top_devices"] == charts.TOP_DEVICES == counts["top_labels"]
    for line in ("g.overview_marks > path", "g.daily_layer_1_layer_0_marks > path"):  # areas/lines: one vertex a day
        assert tab.locator(line).get_attribute("d").count("L") >= DAYS - 1
    use, days, first, last = _totals(tab)
    assert (use, days, first, last) == (want["use"], DAYS, date(2016, 1, 1), date(2016, 12, 16))
    assert _top_labels(tab) == want["top"]
    assert tab.locator("select[name=home] option").all_text_contents() == [h.name for h in data.homes]


def test_the_home_selector_changes_every_chart(browser, served):
    url, data, _ = served
    tab, offline, _, _ = _open(browser, url)
    heating_before = tab.locator(MARKS["heating"]).evaluate_all("ps => ps.map(p => p.getAttribute('transform'))")
    heat_before = tab.locator(MARKS["heatmap"]).evaluate_all("ps => ps.map(p => p.getAttribute('fill'))")
    tab.select_option("select[name=home]", "2")
    want = expected(data, 2)
    tab.wait_for_function(
        f"document.querySelector('g.totals_marks text').textContent.includes('Use {want['use']:,} kWh')", timeout=10_000
    )
    screenshot(tab, "dashboard-2-home-02")
    assert _totals(tab)[:2] == (want["use"], DAYS)
    assert _top_labels(tab) == want["top"]
    assert _counts(tab)["daily"] == DAYS * len(data.devices)
    heating_after = tab.locator(MARKS["heating"]).evaluate_all("ps => ps.map(p => p.getAttribute('transform'))")
    heat_after = tab.locator(MARKS["heatmap"]).evaluate_all("ps => ps.map(p => p.getAttribute('fill'))")
    assert len(heating_after) == DAYS and heating_after != heating_before
    assert len(heat_after) == 168 and heat_after != heat_before
    assert offline.blocked == [] and offline.console_errors == []


def test_a_period_dragged_on_the_strip_narrows_every_chart(browser, served):
    url, data, _ = served
    tab, offline, _, _ = _open(browser, url)
    box = tab.locator("g.overview_marks > path").bounding_box()
    y = box["y"] + box["height"] * 0.7
    tab.mouse.move(box["x"] + box["width"] * 0.10, y)
    tab.mouse.down()
    tab.mouse.move(box["x"] + box["width"] * 0.22, y, steps=10)
    tab.mouse.up()
    tab.wait_for_function(
        "!document.querySelector('g.totals_marks text').textContent.includes('351 days')", timeout=10_000
    )
    use, days, first, last = _totals(tab)
    want = expected(data, 1, first, last)
    screenshot(tab, "dashboard-3-period")
    assert 25 <= days <= 60 and days == (last - first).days + 1 == want["days"]
    assert use == want["use"]
    counts = _counts(tab)
    assert counts["daily"] == days * len(data.devices) and counts["heating"] == days
    assert counts["heatmap"] == 7 * 24 and counts["weather"] == want["summaries"]
    assert _top_labels(tab) == want["top"]

    tab.check("input[name=condition_by][value=icon]")
    tab.wait_for_function(f"document.querySelectorAll('{MARKS['weather']}').length === {want['icons']}", timeout=10_000)
    labels = tab.locator("g.weather_marks > path").evaluate_all("ps => ps.map(p => p.getAttribute('aria-label'))")
    assert all(re.search(r"condition: [a-z-]+;", label) for label in labels), labels
    assert offline.blocked == [] and offline.console_errors == []
