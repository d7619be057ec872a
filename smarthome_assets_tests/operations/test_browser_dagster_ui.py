"""`make run` then `make dev`, for real, and the Dagster UI in Chromium.

The set-up runs the project's own commands in a temporary SMARTHOME_HOME: `smarthome run` on two generated
homes x two days (every asset, checks included, in one run recorded in that home's Dagster instance), then
`smarthome dev` (webserver and daemon, as `make dev` starts them). The browser, with only localhost
reachable, then finds every asset, job, schedule and sensor of the project, opens the dashboard asset's page
(latest materialization, its checks, a chart image from the metadata) and materializes one day of
`raw_csv` (with the rest of the ingestion pass) from the UI, as a person would, until the run succeeds.
Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from smarthome_assets.services import embedded_postgres
from smarthome_assets_tests.support.browser import offline_page, require_chromium, screenshot
from smarthome_assets_tests.support.paths import REPO
from smarthome_assets_tests.support.processes import stop_group

pytestmark = pytest.mark.browser

SMARTHOME = Path(sys.executable).parent / "smarthome"
#: Settings that would point the commands at something other than the temporary home's generated data.
FOREIGN_SETTINGS = (
    "SMARTHOME_ENV",
    "SMARTHOME_SOURCE_FILES",
    "SMARTHOME_FIRST_DAY",
    "SMARTHOME_LAST_DAY",
    "SMARTHOME_DATA_ENDS_YESTERDAY",
    "DAGSTER_HOME",
)
UI_DAY = "2016-01-02"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def graphql(base: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{base}/graphql", data=json.dumps({"query": query}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


def _wait_for_code_location(base: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    query = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"`smarthome dev` exited ({process.returncode}):\n{log.read_text()[-4000:]}")
        try:
            entries = graphql(base, query)["workspaceOrError"]["locationEntries"]
            if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                return
        except OSError:
            pass
        time.sleep(1)
    pytest.fail(f"the Dagster UI did not load the code location in {timeout:.0f}s:\n{log.read_text()[-4000:]}")


def _wait_for_page(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.5)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """(UI base URL, `smarthome run` output, SMARTHOME_HOME) with `smarthome dev` running on a free port."""
    require_chromium()  # before minutes of set-up that only a browser would use
    home = tmp_path_factory.mktemp("smarthome-ui")
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN_SETTINGS} | {"SMARTHOME_HOME": str(home)}
    run = subprocess.run(
        [str(SMARTHOME), "run", "--homes", "2", "--days", "2"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, f"smarthome run failed:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    port, log = _free_port(), home / "dev.log"
    with open(log, "w") as out:
        dev = subprocess.Popen(
            [str(SMARTHOME), "dev", "--port", str(port)],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_code_location(base, dev, log)
        _wait_for_page(f"{base}/assets")
        yield base, run.stdout, home
    finally:
        stop_group(dev, grace_seconds=30)  # the group this fixture started: webserver, daemon, code servers
        embedded_postgres.stop_server(home / "postgres")


def _open(browser, url: str):
    tab, offline = offline_page(browser, viewport={"width": 1500, "height": 1000})
    tab.goto(url)
    _dismiss_welcome(tab)
    return tab, offline


def _dismiss_welcome(tab) -> None:
    """The UI greets a new browser profile with a 'Join the Dagster community' dialog."""
    from playwright.sync_api import TimeoutError as NoDialog

    skip = tab.get_by_role("button", name="Skip")
    try:
        skip.wait_for(timeout=5_000)
        skip.click()
    except NoDialog:
        pass


def _project_definitions() -> tuple[list[str], list[str], list[str]]:
    """Asset keys, job names and schedule + sensor names of the project's code location."""
    from smarthome_assets.definitions import defs

    loaded = defs()
    repository = loaded.get_repository_def()
    assets = sorted(k.to_user_string() for k in loaded.resolve_all_asset_keys())
    jobs = [j.name for j in loaded.jobs or []]
    automations = [s.name for s in repository.schedule_defs] + [s.name for s in repository.sensor_defs]
    return assets, jobs, automations


def _groups() -> list[str]:
    from smarthome_assets.definitions import defs

    return sorted({spec.group_name for spec in defs().resolve_all_asset_specs()})


def test_make_run_writes_the_dashboard_and_prints_its_url(project):
    _base, output, home = project
    assert "smarthome run succeeded" in output
    assert "http://127.0.0.1:8080/dashboard" in output
    page = home / "dashboard" / "index.html"
    assert page.is_file() and str(page) in output and b"window.vegaEmbed" in page.read_bytes()


def test_every_asset_job_schedule_and_sensor_is_visible(browser, project):
    base, _, _ = project
    assets, jobs, automations = _project_definitions()
    assert {"raw_csv", "rds_tables", "redshift_tables", "dashboard"} <= set(assets)
    assert {"dashboard_job", "dashboard_refresh"} <= set(jobs) | set(automations)
    tab, offline = _open(browser, f"{base}/assets")
    for name in assets:
        tab.locator(f"a[href='/assets/{name}']").first.wait_for(timeout=20_000)
    screenshot(tab, "dagster-1-catalog")
    tab.goto(f"{base}/asset-groups")
    _dismiss_welcome(tab)
    groups = _groups()  # the sidebar's order (alphabetical)
    for group in groups:  # a node per group in the graph, and a row in the sidebar
        tab.get_by_text(group, exact=True).last.wait_for(timeout=20_000)
    carets = tab.locator("[aria-label=arrow_drop_down]")  # the sidebar lists a group's assets once unfolded
    for index in range(len(groups)):
        carets.nth(index).click()
    for name in assets:
        tab.get_by_text(name, exact=True).first.wait_for(timeout=20_000)
    screenshot(tab, "dagster-2-asset-graph", full_page=False)
    tab.goto(f"{base}/jobs")
    for job in jobs:
        tab.get_by_text(job, exact=True).first.wait_for(timeout=20_000)
    tab.goto(f"{base}/automation")
    for automation in automations:
        tab.get_by_text(automation, exact=True).first.wait_for(timeout=20_000)
    assert offline.blocked == [] and offline.console_errors == []


def test_the_dashboard_asset_page_shows_its_materialization_checks_and_charts(browser, project):
    base, _, _ = project
    tab, offline = _open(browser, f"{base}/assets/dashboard")
    tab.get_by_text("Latest materialization").wait_for(timeout=20_000)
    tab.get_by_text("page_bytes", exact=True).wait_for(timeout=20_000)
    screenshot(tab, "dagster-3-dashboard-asset")
    tab.get_by_text("[Show Markdown]").first.click()
    image = tab.locator("img[src^='data:image/png']").first
    image.wait_for(timeout=10_000)
    width, height = image.evaluate("i => i.decode().then(() => [i.naturalWidth, i.naturalHeight])")
    assert width > 500 and height > 200
    tab.wait_for_timeout(500)  # the dialog fades in
    screenshot(tab, "dagster-4-dashboard-chart-in-metadata", full_page=False)
    tab.keyboard.press("Escape")
    tab.goto(f"{base}/assets/dashboard?view=checks")
    for check in ("page_is_self_contained", "every_home_has_data", "page_within_size_budget"):
        tab.get_by_text(check, exact=True).first.wait_for(timeout=20_000)
    assert tab.get_by_text("Succeeded", exact=True).count() >= 3
    screenshot(tab, "dagster-5-dashboard-checks")
    assert offline.blocked == [] and offline.console_errors == []


def _runs(base: str) -> list[dict]:
    query = "{ runsOrError(limit: 20) { ... on Runs { results { runId status tags { key value } } } } }"
    return graphql(base, query)["runsOrError"]["results"]


def test_a_day_materialized_from_the_ui_succeeds(browser, project):
    base, _, _ = project
    before = {r["runId"] for r in _runs(base)}
    tab, offline = _open(browser, f"{base}/assets/raw_csv")
    tab.get_by_role("button", name="Materialize").first.click()
    # raw_csv is one of the ingestion pass's five assets: the UI says the others come along, and we confirm.
    tab.get_by_role("dialog").get_by_text("Additional assets will be materialized").wait_for(timeout=30_000)
    tab.get_by_role("dialog").get_by_role("button", name="Confirm").click()
    dialog = tab.get_by_role("dialog")
    # The partitions reach today, so the dialog opens on the last 90 days; the test's day is older.
    dialog.get_by_text("Show all partitions").click()
    partitions = dialog.get_by_placeholder("ex: ", exact=False)
    partitions.fill(UI_DAY)
    partitions.press("Enter")
    dialog.get_by_text("1 partition", exact=True).wait_for(timeout=10_000)
    screenshot(tab, "dagster-6-materialize-a-day", full_page=False)
    dialog.get_by_role("button", name="Launch", exact=False).last.click()

    deadline, new = time.monotonic() + 150, []
    while time.monotonic() < deadline:
        new = [r for r in _runs(base) if r["runId"] not in before]
        if new and all(r["status"] in ("SUCCESS", "FAILURE", "CANCELED") for r in new):
            break
        tab.wait_for_timeout(2_000)  # not time.sleep: the page's requests pass through this process's route
    assert new and all(r["status"] == "SUCCESS" for r in new), new
    tags = [{t["key"]: t["value"] for t in r["tags"]} for r in new]
    ours = [r for r, t in zip(new, tags, strict=True) if t.get("dagster/partition") == UI_DAY]
    assert len(ours) == 1, tags  # the UI's run; the automation may follow it with runs of its own
    tab.goto(f"{base}/runs/{ours[0]['runId']}")
    tab.get_by_text("Success", exact=False).first.wait_for(timeout=20_000)
    screenshot(tab, "dagster-7-ui-run-succeeded", full_page=False)
    assert offline.blocked == [] and offline.console_errors == []
