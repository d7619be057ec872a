"""Paging through whole multi-day ranges reproduces exactly the table's rows: no gaps, no repeats, any
page size, across homes, in JSON (following `next`, `next_cursor` or the Link header) and CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import psycopg2
import pytest

from lambda_api.config import ApiConfig
from lambda_api.handler import configure
from smarthome_assets_tests.support.api_database import (
    HOMES,
    MINUTES,
    POWER,
    WEATHER,
    call,
    create_api_database,
    drop_api_database,
    table_rows,
)

KEYS = ["house_id", "timeframe", "time_raw"]


def _follow_next_urls(version: str, path: str, query: str) -> tuple[list[dict], int]:
    """Follow the `next` URL of each body, as a client would; return all rows and the page count."""
    rows: list[dict] = []
    pages = 0
    while True:
        answer = call(version, path, query)
        assert answer.status == 200, answer.body
        body = answer.json()
        pages += 1
        assert body["count"] == len(body["data"])
        rows.extend(body["data"])
        if body["next"] is None:
            assert "link" not in answer.headers and body["next_cursor"] is None
            return rows, pages
        assert answer.headers["link"] == f'<{body["next"]}>; rel="next"'
        next_url = urlsplit(body["next"])
        path, query = next_url.path.removeprefix("/prod"), next_url.query


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("limit", [1000, 1440, 4321])
def test_paging_all_homes_over_three_days_reproduces_the_table(api_db, version, limit):
    rows, pages = _follow_next_urls(version, "/energy", f"limit={limit}&start=2016-01-01&end=2016-01-05")
    expected = table_rows(api_db.admin_url, "energy_consuming_device", KEYS + POWER)
    assert len(expected) == len(HOMES) * MINUTES
    assert rows == expected
    assert pages == -(-len(expected) // limit)


def test_paging_one_home_from_mid_day_to_mid_day_with_odd_page_size(api_db):
    query = "house_id=2&start=2016-01-01T17:17:00Z&end=2016-01-03T09:09:00Z&limit=777"
    rows, _ = _follow_next_urls("v2", "/weather", query)
    expected = table_rows(
        api_db.admin_url,
        "weather",
        KEYS + WEATHER,
        "WHERE house_id = 2 AND timeframe >= '2016-01-01T17:17:00Z' AND timeframe < '2016-01-03T09:09:00Z'",
    )
    assert rows == expected and len(rows) == (24 + 15) * 60 + 52


def test_paging_with_the_cursor_parameter_and_chosen_devices(api_db):
    rows: list[dict] = []
    cursor = None
    while True:
        query = {"device": ["barn_kw", "well_kw"], "limit": 2500, **({"cursor": cursor} if cursor else {})}
        body = call("v1", "/energy", query).json()
        rows.extend(body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert rows == table_rows(api_db.admin_url, "energy_consuming_device", [*KEYS, "barn_kw", "well_kw"])


def test_paging_csv_through_link_headers(api_db):
    path, query = "/energy", "device=dishwasher_kw&limit=3000"
    lines: list[dict] = []
    while True:
        answer = call("v2", path, query, headers={"Accept": "text/csv"})
        assert answer.status == 200
        lines.extend(csv.DictReader(io.StringIO(answer.body)))
        if "link" not in answer.headers:
            break
        link = answer.headers["link"]
        assert link.endswith('>; rel="next"')
        next_url = urlsplit(link[1 : link.index(">")])
        path, query = next_url.path, next_url.query
    expected = table_rows(api_db.admin_url, "energy_consuming_device", [*KEYS, "dishwasher_kw"])
    assert [(int(r["house_id"]), r["timeframe"], float(r["dishwasher_kw"])) for r in lines] == [
        (r["house_id"], r["timeframe"], r["dishwasher_kw"]) for r in expected
    ]


def test_paging_the_hourly_summary_equals_one_big_page(api_db):
    query = "interval=hour&agg=avg&device=use_kw&tz=America/New_York"
    whole = call("v2", "/energy/summary", query + "&limit=10000").json()
    assert whole["next"] is None and whole["count"] == len(HOMES) * 72
    rows, pages = _follow_next_urls("v2", "/energy/summary", query + "&limit=10")
    assert rows == whole["data"] and pages == -(-len(rows) // 10)


def test_an_empty_range_is_one_empty_last_page(api_db):
    body = call("v2", "/energy", "start=2017-01-01&end=2017-02-01").json()
    assert body == {"data": [], "count": 0, "next": None, "next_cursor": None}


def test_the_largest_page_holds_everything(api_db):
    body = call("v2", "/energy", "limit=10000").json()
    assert body["count"] == len(HOMES) * MINUTES and body["next"] is None


@pytest.mark.slow
def test_a_client_pages_through_a_whole_year_without_gaps_or_repeats(pg_server):
    """The full synthetic year of the benchmark (503,910 minutes), 10,000 rows a page, by `next_cursor`."""
    from smarthome_assets_tests.support.api_year import ROWS, year_sql

    db = create_api_database(pg_server, load=False)
    try:
        with psycopg2.connect(db.admin_url) as conn, conn.cursor() as cur:
            for statement in year_sql():
                cur.execute(statement)
            cur.execute("SELECT sum(use_kw), min(timeframe) FROM energy_consuming_device")
            total_use, first = cur.fetchone()
        configure(ApiConfig(database_url=db.reader_url, application_name="test-api-year"))
        count = pages = 0
        use = 0.0
        previous = first - timedelta(minutes=1)
        cursor = None
        while True:
            body = call(
                "v2", "/energy", {"device": "use_kw", "limit": 10_000, **({"cursor": cursor} if cursor else {})}
            )
            page = body.json()
            pages += 1
            for row in page["data"]:
                at = datetime.fromisoformat(row["timeframe"])
                assert at - previous == timedelta(minutes=1), (previous, at)
                previous = at
                use += row["use_kw"]
            count += page["count"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert count == ROWS and pages == -(-ROWS // 10_000)
        assert use == pytest.approx(total_use, rel=1e-9)
    finally:
        drop_api_database(db, pg_server)
