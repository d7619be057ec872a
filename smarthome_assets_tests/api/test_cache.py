"""The API's cache of past days: keyed by the days' data versions, never answering from before a change.

Unit rules first (which timeframes are past, If-None-Match, the byte bound), then the handler on a real
database (ETag, 304, `no-store` for today, a write outside the loader), then the whole chain: a delivery
landed and loaded, its day served over real HTTP and cached, a corrected re-delivery of the same file landed
and loaded, and the same request answered with the corrected rows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import orjson
import psycopg2
import pytest
import requests

from lambda_api import cache
from lambda_api.config import ApiConfig
from lambda_api.handler import configure, handler
from smarthome_assets.database.connection import PostgresUrl
from smarthome_assets.defs.ingestion import assets as ingestion_assets
from smarthome_assets.ingestion.sources import HomeCSources
from smarthome_assets.lib.partitions import range_tags
from smarthome_assets.local_api.server import LocalApiServer, start_in_thread
from smarthome_assets.services import embedded_postgres
from smarthome_assets.storage.object_store import LocalObjectStore
from smarthome_assets_tests.support.api_database import READER, served_api_database, v2_event
from smarthome_assets_tests.support.homec_files import minutes, row, write

NOW = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


def test_only_a_closed_timeframe_that_ends_by_today_is_past():
    day = timedelta(days=1)
    today = datetime(2026, 12, 4, tzinfo=UTC)
    assert cache.past_days(today - day, today, NOW) == (date(2026, 12, 3), date(2026, 12, 3))
    assert cache.past_days(today - 3 * day, today - day + timedelta(hours=5), NOW) == (
        date(2026, 12, 1),
        date(2026, 12, 3),
    )
    assert cache.past_days(today - day, today + timedelta(seconds=1), NOW) is None  # reaches today
    assert cache.past_days(None, today, NOW) is None and cache.past_days(today - day, None, NOW) is None


def test_if_none_match_and_the_byte_bound():
    assert cache.matches('"a", W/"b"', '"b"') and cache.matches("*", '"x"') and not cache.matches('"a"', '"b"')
    store = cache.ResponseCache(max_bytes=3 * (100 + 512))
    for name in "abcd":
        store.put(name, cache.Answer("v1", 200, "x" * 100))
    assert len(store) == 3 and store.get("a", "v1") is None  # the least recently used went first
    assert store.get("b", "v2") is None and store.get("b", "v1") is not None  # another version is a miss
    store.put("huge", cache.Answer("v1", 200, "x" * 10_000))
    assert store.get("huge", "v1") is None and store.bytes <= store.max_bytes


def _get(query: str, headers: dict[str, str] | None = None) -> dict:
    return handler(v2_event("/energy", query, headers=headers), None)


@pytest.fixture
def api(pg_server):
    with served_api_database(pg_server, "pytest-cache") as db:
        yield db


def test_a_past_day_is_served_from_memory_with_an_etag_and_a_304(api):
    day = "start=2016-01-02&end=2016-01-03&device=use_kw&limit=5"
    first = _get(day)
    assert first["statusCode"] == 200 and first["headers"][cache.STATUS_HEADER] == "miss"
    assert first["headers"]["Cache-Control"] == cache.PAST_DAYS
    again = _get(day)
    assert again["headers"][cache.STATUS_HEADER] == "hit" and again["body"] == first["body"]
    assert again["headers"]["ETag"] == first["headers"]["ETag"] and again["headers"]["Link"] == first["headers"]["Link"]
    unchanged = _get(day, {"If-None-Match": f'W/"x", {first["headers"]["ETag"]}'})
    assert unchanged["statusCode"] == 304 and not unchanged["body"]
    assert unchanged["headers"]["ETag"] == first["headers"]["ETag"]
    as_csv = _get(day, {"Accept": "text/csv"})  # another representation, another entry
    assert as_csv["headers"][cache.STATUS_HEADER] == "miss" and as_csv["headers"]["ETag"] != first["headers"]["ETag"]


def test_today_and_open_timeframes_are_not_stored(api):
    today = datetime.now(UTC).date()
    for query in (f"start={today}&end={today + timedelta(days=1)}", "start=2016-01-02", "end=2016-01-03"):
        response = _get(query)
        assert response["statusCode"] == 200 and response["headers"]["Cache-Control"] == cache.NOT_CACHEABLE
        assert "ETag" not in response["headers"] and cache.STATUS_HEADER not in response["headers"]


def test_a_write_the_loader_did_not_make_is_never_answered_from_memory(api):
    day = "start=2016-01-02&end=2016-01-03&device=use_kw&limit=3"
    before = _get(day)
    assert _get(day)["headers"][cache.STATUS_HEADER] == "hit"
    with psycopg2.connect(api.admin_url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE energy_consuming_device SET use_kw = 42.5 WHERE timeframe >= '2016-01-02'")
    after = _get(day)
    assert after["headers"][cache.STATUS_HEADER] == "miss" and after["headers"]["ETag"] != before["headers"]["ETag"]
    assert {r["use_kw"] for r in orjson.loads(after["body"])["data"]} == {42.5}


# --- the whole chain: a corrected re-delivery ---------------------------------------------------------------

ASSETS = dg.load_assets_from_modules([ingestion_assets])


def test_a_corrected_redelivery_is_never_answered_from_the_old_cache(tmp_path, pg_server, fresh_database):
    url, name = fresh_database
    _, pgdata = pg_server
    source = write(tmp_path / "home.csv", minutes(2838))  # 2016-01-01 05:00 .. 2016-01-03
    store = LocalObjectStore(root=str(tmp_path / "store"))
    resources = {
        "object_store": store,
        "postgres": PostgresUrl(database_url=url),
        "sources": HomeCSources(paths=[str(source)]),
    }
    days = range_tags(date(2016, 1, 1), date(2016, 1, 3))
    assert dg.materialize(ASSETS, resources=resources, tags=days).success
    configure(ApiConfig(database_url=embedded_postgres.socket_url(str(pgdata), name, READER)))
    server = LocalApiServer(("127.0.0.1", 0), workers=2)
    start_in_thread(server)
    target = f"{server.url}/energy?start=2016-01-02&end=2016-01-03&device=use_kw"
    try:
        first = requests.get(target, timeout=30)
        cached = requests.get(target, timeout=30)
        assert cached.headers[cache.STATUS_HEADER] == "hit" and cached.content == first.content
        assert {r["use_kw"] for r in first.json()["data"]} == {1.5}

        # The same delivery again, corrected: 2016-01-02's readings are 2.25 kW now (the other days unchanged).
        corrected = [row(m, use="2.25") if 1140 <= m < 2580 else row(m) for m in range(2838)]
        write(source, corrected)
        assert dg.materialize(ASSETS, resources=resources, tags=days).success

        after = requests.get(target, headers={"If-None-Match": first.headers["ETag"]}, timeout=30)
        assert after.status_code == 200 and after.headers[cache.STATUS_HEADER] == "miss"
        assert {r["use_kw"] for r in after.json()["data"]} == {2.25} and after.json()["count"] == 1440
        assert after.headers["ETag"] != first.headers["ETag"]
        other_day = requests.get(f"{server.url}/energy?start=2016-01-03&end=2016-01-04&device=use_kw", timeout=30)
        assert {r["use_kw"] for r in other_day.json()["data"]} == {1.5}
    finally:
        server.shutdown()
        server.server_close()


def test_no_memory_turns_the_caching_off(api):
    configure(ApiConfig(database_url=api.reader_url, application_name="pytest-cache-off", cache_bytes=0))
    response = _get("start=2016-01-02&end=2016-01-03&device=use_kw&limit=2")
    assert response["statusCode"] == 200 and response["headers"]["Cache-Control"] == cache.NOT_CACHEABLE
    assert "ETag" not in response["headers"] and cache.STATUS_HEADER not in response["headers"]
