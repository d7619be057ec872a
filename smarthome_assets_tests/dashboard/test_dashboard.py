"""The dashboard without a browser: its queries against a real (embedded) PostgreSQL warehouse, its charts
rendered by vl-convert (marks counted, values compared with the facts), the page's offline promise, and the
asset materialized by Dagster in a partition-range run."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, date, datetime

import dagster as dg
import pandas as pd
import psycopg2
import pytest
import vl_convert as vlc

from smarthome_assets.dashboard import charts, inspection, layout, page, queries
from smarthome_assets.database.connection import PostgresUrl
from smarthome_assets.defs.dashboard import checks
from smarthome_assets.defs.dashboard.assets import dashboard
from smarthome_assets.lake.engine import Lake
from smarthome_assets.lib.partitions import daily_partitions, partition_days, range_tags, single_run
from smarthome_assets.storage.object_store import LocalObjectStore
from smarthome_assets.warehouse.resource import PostgresWarehouse
from smarthome_assets_tests.support import synthetic_facts as synth
from smarthome_assets_tests.support.dbapi import dbapi_query

HOMES, DAYS = 3, 21


def local_warehouse(url: str) -> PostgresWarehouse:
    """The warehouse resource `make run` uses locally (PostgreSQL through the Redshift dialect layer)."""
    return PostgresWarehouse(database=PostgresUrl(database_url=url))


@pytest.fixture(scope="module")
def facts() -> synth.SynthFacts:
    return synth.synthesize(homes=HOMES, days=DAYS, seed=7)


@pytest.fixture(scope="module")
def warehouse_url(pg_server, facts):
    """A warehouse with the documented tables and three homes x three weeks of synthetic facts."""
    with synth.scratch_database(pg_server) as url:
        synth.create_warehouse(url)
        synth.fill_warehouse(url, facts)
        yield url


@pytest.fixture(scope="module")
def data(warehouse_url) -> queries.DashboardData:
    with psycopg2.connect(warehouse_url) as conn:
        return queries.fetch(dbapi_query(conn))


def _local(frame: pd.DataFrame) -> pd.DataFrame:
    local = frame.hour_start.dt.tz_convert(queries.LOCAL_TZ)
    return frame.assign(day=local.dt.date, hour=local.dt.hour)


def expected_day_kwh(facts: synth.SynthFacts, device: str) -> dict[tuple[int, date], float]:
    rows = _local(facts.hourly[facts.hourly.device == device])
    return rows.groupby(["house_id", "day"]).kwh.sum().to_dict()


def scene_marks(spec: dict) -> dict[str, list[dict]]:
    """Every mark item vl-convert draws, by mark name (what a browser would draw from the same spec)."""
    found: dict[str, list[dict]] = {}

    def walk(node: dict) -> None:
        if node.get("role") == "mark" and "name" in node:
            found.setdefault(node["name"], []).extend(node.get("items", []))
        for child in node.get("items", []) if isinstance(node.get("items"), list) else []:
            if isinstance(child, dict):
                walk(child)

    walk(vlc.vegalite_to_scenegraph(spec, vl_version=page.VEGALITE_VERSION)["scenegraph"])
    return found


def test_every_home_and_local_day_is_read(data, facts):
    assert [h.name for h in data.homes] == list(facts.homes.values())
    assert len(data.days) == HOMES * DAYS
    assert data.first_day == date(2016, 1, 1) and data.last_day == date(2016, 1, DAYS)
    assert all(all(v is not None for v in d.hourly_kw) for d in data.days)  # January: no DST, 24 hours a day


def test_daily_figures_equal_the_facts(data, facts):
    use, solar = expected_day_kwh(facts, "use_kw"), expected_day_kwh(facts, "gen_kw")
    furnace = {
        k: v + expected_day_kwh(facts, "furnace_2_kw")[k] for k, v in expected_day_kwh(facts, "furnace_1_kw").items()
    }
    fridge = expected_day_kwh(facts, "fridge_kw")
    at = data.devices.index("Fridge")
    for d in data.days:
        key = (d.house_id, d.day)
        assert d.use_kwh == pytest.approx(use[key]) and d.solar_kwh == pytest.approx(solar[key])
        assert d.furnace_kwh == pytest.approx(furnace[key]) and d.device_kwh[at] == pytest.approx(fridge[key])
        # the stack is the whole house: appliances + the unmetered rest == use
        assert sum(v for v in d.device_kwh if v is not None) == pytest.approx(d.use_kwh)


def test_hourly_profile_and_temperature_are_local(data, facts):
    use = _local(facts.hourly[facts.hourly.device == "use_kw"]).set_index(["house_id", "day", "hour"]).avg_kw
    weather = _local(facts.weather).groupby(["house_id", "day"]).temperature.mean()
    for d in data.days[:: max(1, len(data.days) // 10)]:
        assert list(d.hourly_kw) == pytest.approx([use[(d.house_id, d.day, h)] for h in range(24)])
        assert d.temperature_f == pytest.approx(weather[(d.house_id, d.day)])


def test_condition_hours_cover_every_hour_and_use(data, facts):
    hours = pd.DataFrame([c.__dict__ for c in data.condition_days]).groupby(["house_id", "day"])
    assert (hours.hours.sum() == 24).all()
    use = expected_day_kwh(facts, "use_kw")
    for (house, day), kwh in hours.kwh.sum().items():
        assert kwh == pytest.approx(use[(house, day)])
    assert {(c.icon, c.summary) for c in data.conditions} == set(synth.CONDITIONS)


def test_devices_are_stacked_largest_first_with_the_rest_last(data, facts):
    appliances = facts.hourly[facts.hourly.kind == "appliance"].groupby("name").kwh.sum()
    assert list(data.devices[:-1]) == list(appliances.sort_values(ascending=False).index)
    assert data.devices[-1] == queries.OTHER_DEVICE and len(data.devices) == 15


def test_daylight_saving_days_have_23_and_25_hours(pg_server):
    facts = synth.synthesize(homes=1, days=80, seed=1)  # to 2016-03-20: DST began on 03-13 in New York
    with synth.scratch_database(pg_server) as url:
        synth.create_warehouse(url)
        synth.fill_warehouse(url, facts)
        with psycopg2.connect(url) as conn:
            days = {d.day: d for d in queries.fetch(dbapi_query(conn)).days}
    spring = days[date(2016, 3, 13)].hourly_kw
    assert spring[2] is None and sum(v is not None for v in spring) == 23
    assert all(v is not None for v in days[date(2016, 3, 14)].hourly_kw)


def test_an_unloaded_warehouse_is_reported_not_drawn(pg_server):
    with synth.scratch_database(pg_server) as url:
        with psycopg2.connect(url) as conn, pytest.raises(queries.WarehouseNotReady, match="redshift_tables"):
            queries.fetch(dbapi_query(conn))
        synth.create_warehouse(url)  # the tables, but no facts yet
        with psycopg2.connect(url) as conn, pytest.raises(queries.WarehouseNotReady, match="no device facts"):
            queries.fetch(dbapi_query(conn))


def test_records_are_compact_and_aligned(data):
    datasets = charts.records(data)
    days = datasets["days"]
    first = days[0]
    assert len(first["k"]) == len(data.devices) and len(first["p"]) == 24
    assert first["d"] == int(datetime(2016, 1, 1, tzinfo=UTC).timestamp() * 1000)
    per_day = len(json.dumps(days, separators=(",", ":"))) / len(days)
    assert per_day < 400, f"{per_day:.0f} bytes per home-day"


def test_the_page_spec_is_valid_vega_lite_with_every_control(data):
    spec = charts.dashboard_chart(data).to_dict()  # Altair validates against the Vega-Lite schema
    params = {p["name"]: p for p in spec["params"]}
    assert params["home"]["bind"]["input"] == "select" and params["home"]["bind"]["options"] == [1, 2, 3]
    assert params["condition_by"]["bind"]["input"] == "radio"
    text = json.dumps(spec)
    assert '"name": "period"' in text and all(f'"name": "{n}"' in text for n in charts.CHART_NAMES)
    vega = vlc.vegalite_to_vega(
        charts.spec(charts.dashboard_chart(data), charts.records(data)), vl_version=page.VEGALITE_VERSION
    )
    assert any(s["name"] == "home" for s in vega["signals"])


def test_one_home_gets_no_selector(data):
    one = queries.DashboardData(
        data.homes[:1],
        data.devices,
        tuple(d for d in data.days if d.house_id == 1),
        data.condition_days,
        data.conditions,
    )
    params = {p["name"]: p for p in charts.dashboard_chart(one).to_dict()["params"]}
    assert "bind" not in params["home"] and params["home"]["value"] == 1


def test_every_chart_draws_the_facts(data, facts):
    """The page's spec drawn by Vega (vl-convert): marks counted per chart, values read back from them."""
    marks = scene_marks(charts.spec(charts.dashboard_chart(data), charts.records(data)))
    home1 = [d for d in data.days if d.house_id == 1]
    assert len(marks["daily_layer_0_marks"]) == DAYS * len(data.devices)
    assert len(marks["heatmap_marks"]) == 7 * 24
    assert len(marks["heating_layer_0_marks"]) == DAYS
    summaries = {
        c.summary
        for c in data.conditions
        if any(x.condition_key == c.condition_key and x.house_id == 1 for x in data.condition_days)
    }
    assert len(marks["weather_marks"]) == len(summaries)
    totals = marks["totals_marks"][0]["text"]
    assert totals.startswith(f"Use {sum(d.use_kwh for d in home1):,.0f} kWh")
    assert f"{DAYS} days, Jan 01 2016 – Jan {DAYS} 2016" in totals
    top = {
        re.search(r"device: ([^;]+)", m["description"]).group(1): m["text"] for m in marks["top_devices_layer_1_marks"]
    }
    per_device = {name: sum(d.device_kwh[i] for d in home1) for i, name in enumerate(data.devices[:-1])}
    best = sorted(per_device, key=per_device.get, reverse=True)[: charts.TOP_DEVICES]
    assert top == {name: f"{per_device[name]:,.1f}" for name in best}


def test_the_images_show_one_home_over_the_whole_period(data):
    images = page.render_images(data, 2)
    assert set(images) == {"daily", "heatmap", "heating", "weather", "top_devices"}
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000 for png in images.values())
    own = {k: [r for r in v if r.get("h", 2) == 2] for k, v in charts.records(data).items()}
    daily = scene_marks(charts.spec(charts.image_charts(data, 2)["daily"], own))
    assert len(daily["daily_layer_0_marks"]) == DAYS * len(data.devices)


def test_the_page_is_self_contained_and_light(data):
    rendered = page.render(data, datetime(2016, 12, 17, tzinfo=UTC))
    html = rendered.html.decode("utf-8")
    assert inspection.external_references(html) == [] and inspection.has_inline_vega_embed(html)
    assert "cdn.jsdelivr" not in html.split("<script>")[0]  # the document itself names no CDN
    assert len(rendered.html) < 1_300_000, f"{len(rendered.html):,} bytes"
    assert all(r.passed for r in checks.results(rendered, data))
    print(
        f"\npage {len(rendered.html) / 1e6:.2f} MB ({rendered.data_bytes / 1e3:.0f} kB of spec and data for "
        f"{HOMES} homes x {DAYS} days); seconds {rendered.seconds}"
    )


def test_the_offline_check_can_fail():
    html = (
        '<html><head><script src="https://cdn.jsdelivr.net/npm/vega@6"></script>'
        '<link rel="stylesheet" href="//fonts.example.com/x.css"></head>'
        '<body><img src="data:image/png;base64,AAAA"><a href="#top">top</a>'
        '<script>const s = "<img src=https://not-a-tag.example>";</script></body></html>'
    )
    assert inspection.external_references(html) == ["https://cdn.jsdelivr.net/npm/vega@6", "//fonts.example.com/x.css"]
    assert not inspection.has_inline_vega_embed(html)


def test_a_home_without_weather_is_caught(data):
    partial = queries.DashboardData(
        data.homes, data.devices, data.days, tuple(c for c in data.condition_days if c.house_id != 2), data.conditions
    )
    assert inspection.homes_without_data(partial) == {"home_02": ["weather conditions"]}


# --- the asset, in a partition-range run with a partitioned upstream -------------------------------------------


def _stand_in_loader(facts: synth.SynthFacts, url: str):
    """A partitioned `redshift_tables` that loads the synthetic facts of the run's days (until issue 4's lands)."""

    @dg.asset(name="redshift_tables", partitions_def=daily_partitions, backfill_policy=single_run)
    def redshift_tables(context):
        days = partition_days(context)
        keep = lambda f: f[f.hour_start.dt.tz_convert(queries.LOCAL_TZ).dt.date.isin(days)]  # noqa: E731
        synth.create_warehouse(url)
        synth.fill_warehouse(url, synth.SynthFacts(keep(facts.hourly), keep(facts.weather), facts.homes))
        return dg.MaterializeResult(metadata={"days": len(days)})

    return redshift_tables


def test_the_asset_renders_after_a_range_load_in_one_run(pg_server, facts, tmp_path):
    store = LocalObjectStore(root=str(tmp_path / "object_store"))
    with synth.scratch_database(pg_server) as url:
        result = dg.materialize(
            [_stand_in_loader(facts, url), dashboard],
            resources={
                "object_store": store,
                "warehouse": local_warehouse(url),
                "dashboard_dir": str(tmp_path / "dashboard"),
                "postgres": PostgresUrl(url),  # no operational tables: shown as unavailable in the stores table
                "lake": Lake(store),
            },
            tags=range_tags(date(2016, 1, 1), date(2016, 1, 7)),
        )
    assert result.success
    meta = result.asset_materializations_for_node("dashboard")[0].metadata
    assert meta["homes"].value == HOMES and meta["home_days"].value == HOMES * 7
    assert meta["first_day"].value == "2016-01-01" and meta["last_day"].value == "2016-01-07"
    assert meta["chart_daily"].value.count("data:image/png;base64,") == 1
    assert store.exists(layout.PAGE_KEY) and all(
        store.exists(layout.image_key(c)) for c in ("daily", "heatmap", "heating", "weather", "top_devices")
    )
    local = tmp_path / "dashboard" / "index.html"
    assert local.read_bytes() == store.get_bytes(layout.PAGE_KEY) and meta["page_bytes"].value == local.stat().st_size
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations == {"page_is_self_contained": True, "every_home_has_data": True, "page_within_size_budget": True}


def test_the_asset_fails_clearly_on_an_empty_warehouse(pg_server, tmp_path):
    with synth.scratch_database(pg_server) as url:
        result = dg.materialize(
            [dashboard],
            raise_on_error=False,
            resources={
                "object_store": LocalObjectStore(root=str(tmp_path)),
                "warehouse": local_warehouse(url),
                "dashboard_dir": str(tmp_path / "dashboard"),
                "postgres": PostgresUrl(url),
                "lake": Lake(LocalObjectStore(root=str(tmp_path))),
            },
        )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "materialize redshift_tables" in failure.step_failure_data.error.message + str(
        failure.step_failure_data.user_failure_data
    )


def test_rendering_a_full_synthetic_year_takes_under_10_seconds(pg_server, tmp_path):
    """The issue's speed bound, on the asset's own path (query, render, PNGs, publish) for one home-year."""
    with synth.scratch_database(pg_server) as url:
        synth.create_warehouse(url)
        synth.fill_warehouse(url, synth.synthesize(homes=1, days=351, seed=0))
        started = time.perf_counter()
        result = dg.materialize(
            [dashboard],
            resources={
                "object_store": LocalObjectStore(root=str(tmp_path / "store")),
                "warehouse": local_warehouse(url),
                "dashboard_dir": str(tmp_path / "dashboard"),
                "postgres": PostgresUrl(url),
                "lake": Lake(LocalObjectStore(root=str(tmp_path / "store"))),
            },
        )
        wall = time.perf_counter() - started
    meta = result.asset_materializations_for_node("dashboard")[0].metadata
    print(
        f"\nfull year, 1 home: asset step {meta['render_seconds'].value:.2f}s (query {meta['query_seconds'].value}s, "
        f"png {meta['png_seconds'].value}s), run {wall:.2f}s; page {meta['page_bytes'].value / 1e6:.2f} MB"
    )
    assert meta["home_days"].value == 351
    assert meta["render_seconds"].value < 10


def test_the_dashboard_is_requested_once_after_the_warehouse_loads(facts, tmp_path):
    """The refresh rule: nothing while the warehouse is untouched; one request after a load of any day;
    none again until the next load."""
    instance = dg.DagsterInstance.ephemeral()
    defs = dg.Definitions(
        assets=[_stand_in_loader(facts, "postgresql://unused"), dashboard],
        resources={
            "object_store": LocalObjectStore(root=str(tmp_path)),
            "warehouse": local_warehouse("postgresql://unused"),
            "dashboard_dir": str(tmp_path / "dashboard"),
            "postgres": PostgresUrl("postgresql://unused"),
            "lake": Lake(LocalObjectStore(root=str(tmp_path))),
        },
    )

    def requested(cursor=None):
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
        return result.get_num_requested(dg.AssetKey("dashboard")), result.cursor

    count, cursor = requested()
    assert count == 0
    instance.report_runless_asset_event(dg.AssetMaterialization("redshift_tables", partition="2016-03-01"))
    count, cursor = requested(cursor)
    assert count == 1
    count, cursor = requested(cursor)
    assert count == 0
