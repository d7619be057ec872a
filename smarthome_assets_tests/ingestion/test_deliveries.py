"""The delivery rules of the incoming zone, on real storage and a real PostgreSQL server.

- a home is where its data comes from: `h1/HomeC.csv` and `h2/HomeC.csv` are two homes; the same bytes
  under another name are a duplicate of the home that has them, not a second home;
- a shorter re-delivery of a delivery leaves none of the old version's rows, in any zone or table;
- a rejected file leaves no trace (registry, `home`, /homes), and the next good file takes the next id;
- deltas add up; a newer delivery wins minute by minute over an older one of the same home.
"""

from __future__ import annotations

import json
from datetime import date

import dagster as dg
import psycopg2

from smarthome_assets.defs.ingestion import assets as ingestion_assets
from smarthome_assets.exports.api_client import LambdaTransport
from smarthome_assets.ingestion import incoming, layout
from smarthome_assets.ingestion.landing import DUPLICATE, LANDED, current_manifests, land_delivery
from smarthome_assets.ingestion.registry import HomeRegistry
from smarthome_assets.lib.partitions import range_tags
from smarthome_assets.storage.object_store import LocalObjectStore
from smarthome_assets_tests.ingestion.test_assets import resources
from smarthome_assets_tests.support.homec_files import HEADER, minutes, row, write

ASSETS = dg.load_assets_from_modules([ingestion_assets])


def materialize(res, first: str, last: str) -> dg.ExecuteInProcessResult:
    tags = range_tags(date.fromisoformat(first), date.fromisoformat(last))
    return dg.materialize(ASSETS, resources=res, tags=tags, raise_on_error=False)


def homes_table(url) -> list[tuple]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT house_id, name, source_file FROM home ORDER BY house_id")
        return cur.fetchall()


def rows_per_day(url) -> dict[tuple[int, str], int]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT house_id, (timeframe AT TIME ZONE 'UTC')::date::text, count(*) FROM energy_consuming_device "
            "GROUP BY 1, 2 ORDER BY 1, 2"
        )
        return {(h, d): n for h, d, n in cur.fetchall()}


def test_the_same_file_name_in_two_places_is_two_homes(tmp_path, fresh_database):
    url, _ = fresh_database
    (tmp_path / "h1").mkdir(), (tmp_path / "h2").mkdir()
    first = write(tmp_path / "h1" / "HomeC.csv", minutes(30))
    second = write(tmp_path / "h2" / "HomeC.csv", minutes(20))
    store = LocalObjectStore(root=str(tmp_path / "store"))
    assert materialize(resources(store, url, [first]), "2016-01-01", "2016-01-01").success
    assert materialize(resources(store, url, [second]), "2016-01-01", "2016-01-01").success
    assert homes_table(url) == [(1, "HomeC", "incoming/HomeC/"), (2, "HomeC-2", "incoming/HomeC-2/")]
    assert rows_per_day(url) == {(1, "2016-01-01"): 30, (2, "2016-01-01"): 20}  # neither overwrote the other
    assert materialize(resources(store, url, [first]), "2016-01-01", "2016-01-01").success  # h1 again: home 1
    assert [h.name for h in HomeRegistry.load(store).homes] == ["HomeC", "HomeC-2"]


def test_the_same_bytes_under_another_name_are_a_duplicate_not_a_home(tmp_path, fresh_database):
    url, _ = fresh_database
    original = write(tmp_path / "HomeC.csv", minutes(30))
    copy = write(tmp_path / "HomeC-copy.csv", minutes(30))
    store = LocalObjectStore(root=str(tmp_path / "store"))
    assert materialize(resources(store, url, [original]), "2016-01-01", "2016-01-01").success
    result = materialize(resources(store, url, [copy]), "2016-01-01", "2016-01-01")
    assert result.success
    assert homes_table(url) == [(1, "HomeC", "incoming/HomeC/")] and rows_per_day(url) == {(1, "2016-01-01"): 30}
    assert [m.file for m in current_manifests(store)] == ["HomeC/HomeC.csv"]  # the copy landed nothing
    # in the zone itself: the same bytes under another name of the same home
    store.put_file("incoming/HomeC/again.csv", original)
    axis = incoming.declaration(store, "HomeC").axis(date(2016, 1, 1))
    landing = land_delivery(store, incoming.Delivery("HomeC", "again.csv"), axis)
    assert landing.outcome == DUPLICATE and "duplicate of HomeC/HomeC.csv" in landing.reason


def test_identical_bytes_in_two_home_folders_are_two_homes(tmp_path):
    store = LocalObjectStore(root=str(tmp_path / "store"))
    source = write(tmp_path / "x.csv", minutes(5))
    for home in ("h1", "h2"):
        store.put_file(f"incoming/{home}/HomeC.csv", source)
        delivery = incoming.Delivery(home, "HomeC.csv")
        assert land_delivery(store, delivery, incoming.SourceDeclaration().axis(date(2016, 1, 1))).outcome == LANDED
    assert [(h.house_id, h.name) for h in HomeRegistry.load(store).homes] == [(1, "h1"), (2, "h2")]


def test_a_shorter_redelivery_leaves_none_of_the_old_rows(tmp_path, fresh_database):
    """Re-delivering a delivery replaces it whole: the days it no longer covers lose its rows everywhere."""
    url, _ = fresh_database
    source = write(tmp_path / "home.csv", minutes(2838))  # 2016-01-01 05:00 .. 01-03
    store = LocalObjectStore(root=str(tmp_path / "store"))
    res = resources(store, url, [source])
    assert materialize(res, "2016-01-01", "2016-01-03").success
    assert sum(rows_per_day(url).values()) == 2838
    write(source, minutes(1000))  # the same source again, shorter: only 2016-01-01 and part of 01-02
    assert materialize(res, "2016-01-01", "2016-01-03").success
    assert rows_per_day(url) == {(1, "2016-01-01"): 1000}  # 01-02 and 01-03 are gone, not left behind
    (manifest,) = current_manifests(store)
    assert store.list_keys("staging/") == sorted(manifest.staged_key(d) for d in manifest.rows_per_day)
    assert not store.list_keys("clean/")  # the pass writes nothing between staging and PostgreSQL
    assert store.list_keys("raw/source/") == [layout.source_key(manifest.file, manifest.landing)]


def test_a_rejected_file_leaves_no_trace(tmp_path, fresh_database):
    url, _ = fresh_database
    bad = write(tmp_path / "bad.csv", minutes(3), header=HEADER.replace("time,", "tick,", 1))
    store = LocalObjectStore(root=str(tmp_path / "store"))
    result = materialize(resources(store, url, [bad]), "2016-01-01", "2016-01-01")
    assert not result.success
    assert HomeRegistry.load(store).homes == [] and not store.exists(layout.REGISTRY_KEY)
    assert store.list_keys("raw/") == [] and store.list_keys("staging/") == []
    good = write(tmp_path / "good.csv", minutes(3))
    assert materialize(resources(store, url, [good]), "2016-01-01", "2016-01-01").success
    assert [(h.house_id, h.name) for h in HomeRegistry.load(store).homes] == [(1, "good")]  # no id skipped
    assert homes_table(url) == [(1, "good", "incoming/good/")]
    api = LambdaTransport(database_url=url).get("/homes", [], {})
    assert [h["house_id"] for h in json.loads(api.body)["data"]] == [1]


def test_deltas_add_up_and_a_newer_delivery_wins_minute_by_minute(tmp_path, fresh_database):
    url, _ = fresh_database
    store = LocalObjectStore(root=str(tmp_path / "store"))
    store.put_file("incoming/live/00.csv", write(tmp_path / "a.csv", minutes(60)))
    store.put_file("incoming/live/01.csv", write(tmp_path / "b.csv", minutes(60, start=60)))
    assert materialize(resources(store, url, []), "2016-01-01", "2016-01-01").success
    assert rows_per_day(url) == {(1, "2016-01-01"): 120}
    fix = [row(m, use="9.5") for m in range(50, 70)]  # a correction across the two deltas
    store.put_file("incoming/live/fix.csv", write(tmp_path / "c.csv", fix))
    assert materialize(resources(store, url, []), "2016-01-01", "2016-01-01").success
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), count(*) FILTER (WHERE use_kw = 9.5) FROM energy_consuming_device")
        assert cur.fetchone() == (120, 20)


def test_the_cli_runs_the_days_a_shorter_redelivery_gave_up_and_withdraws_a_rejected_file(tmp_path):
    """`smarthome run --csv` goes through the zone: its run range includes the days the old version had."""
    from smarthome_assets.cli.run_command import _deliver_and_land
    from smarthome_assets.settings import Settings

    settings = Settings(env="local", home=tmp_path / "home", source_files=())
    store = LocalObjectStore(root=str(settings.object_store_root))
    source = write(tmp_path / "home.csv", minutes(2838))
    days, rejected = _deliver_and_land(store, [source], settings)
    assert [str(d) for d in days] == ["2016-01-01", "2016-01-02", "2016-01-03"] and rejected == []
    write(source, minutes(1000))
    days, _ = _deliver_and_land(store, [source], settings)
    assert [str(d) for d in days] == ["2016-01-01", "2016-01-02", "2016-01-03"]  # 01-02 and 01-03 must be emptied
    bad = write(tmp_path / "bad.csv", minutes(3), header=HEADER.replace("time,", "tick,", 1))
    days, rejected = _deliver_and_land(store, [bad], settings)
    assert days == [] and [o.delivery.path for o in rejected] == ["bad/bad.csv"]
    incoming.withdraw(store, rejected[0].delivery)
    assert store.list_keys("incoming/bad/") == [] and [h.name for h in HomeRegistry.load(store).homes] == ["home"]


def test_a_day_a_redelivery_no_longer_covers_loses_the_rows_even_in_a_run_of_its_own(tmp_path, fresh_database):
    """The sensor runs each contiguous stretch of touched days on its own. When a re-delivery moves a home's
    rows from day 1 to day 3, day 1's run has no staged rows of that home at all: its old rows must still go
    (PostgreSQL holds exactly the current deliveries, whatever range a run covers)."""
    url, _ = fresh_database
    store = LocalObjectStore(root=str(tmp_path / "store"))
    (tmp_path / "h").mkdir()
    source = write(tmp_path / "h" / "feed.csv", minutes(60))
    assert materialize(resources(store, url, [source]), "2016-01-01", "2016-01-01").success
    assert rows_per_day(url) == {(1, "2016-01-01"): 60}
    write(source, minutes(60, start=2 * 1440))  # the same delivery, now on day 3 only
    assert materialize(resources(store, url, [source]), "2016-01-03", "2016-01-03").success
    assert materialize(resources(store, url, []), "2016-01-01", "2016-01-01").success  # day 1 alone, no homes
    assert rows_per_day(url) == {(1, "2016-01-03"): 60}
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT weather_rows, energy_rows, first_reading::date::text FROM home")
        assert cur.fetchall() == [(60, 60, "2016-01-03")]
