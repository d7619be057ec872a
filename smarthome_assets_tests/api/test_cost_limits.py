"""Cost limits of /energy/summary: each page aggregates a bounded number of raw rows (and paging through
bounded pages gives exactly the buckets of one unbounded page), a database-wide budget of summaries
running at once answers 429 with Retry-After beyond it, and a burst of whole-year hourly summaries
from a second process on loopback leaves the database answering (no 503, /health fine)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from urllib.parse import urlsplit

import psycopg2
import pytest
import requests

from lambda_api.config import ApiConfig
from lambda_api.handler import configure
from lambda_api.queries import SUMMARY_LOCK_SPACE
from smarthome_assets.local_api.server import LocalApiServer, start_in_thread
from smarthome_assets_tests.support.api_database import (
    POWER,
    call,
    create_api_database,
    drop_api_database,
)


def _configure(db, **changes) -> None:
    configure(ApiConfig(database_url=db.reader_url, application_name="test-api-cost", **changes))


def _all_pages(version: str, query: str, accept: str | None = None) -> tuple[list, int]:
    rows, pages, path = [], 0, "/energy/summary"
    while True:
        answer = call(version, path, query, headers={"Accept": accept} if accept else None)
        assert answer.status == 200, answer.body
        pages += 1
        if accept:
            lines = answer.body.splitlines()
            rows += lines[1:]
            link = answer.headers.get("link")
            if not link:
                return rows, pages
            url = urlsplit(link[1 : link.index(">")])
        else:
            body = answer.json()
            rows += body["data"]
            if body["next"] is None:
                return rows, pages
            url = urlsplit(body["next"])
        path, query = url.path.removeprefix("/prod"), url.query


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize(
    "query",
    [
        "interval=hour&agg=avg&limit=1000",
        "interval=day&agg=kwh&tz=America/New_York&limit=10",
        "interval=hour&agg=max&device=fridge_kw,well_kw&start=2016-01-01T07:30Z&end=2016-01-04T01:00Z&limit=200",
    ],
)
@pytest.mark.parametrize("accept", [None, "text/csv"])
def test_bounded_pages_give_exactly_the_unbounded_buckets(api_db, version, query, accept):
    _configure(api_db)
    whole, pages = _all_pages(version, query.rsplit("&limit=", 1)[0] + "&limit=10000", accept)
    assert pages == 1
    _configure(api_db, summary_max_rows=500)  # a page may aggregate 500 raw rows: many more pages
    try:
        bounded, pages = _all_pages(version, query, accept)
    finally:
        _configure(api_db)
    assert bounded == whole and pages > len(whole) // 1000 + 1


def test_a_summary_page_reads_at_most_its_bound(api_db):
    """EXPLAIN ANALYZE of the statement the route runs: rows read from the table stay within the bound."""
    from lambda_api.params import parse_timeframe
    from lambda_api.queries import PageRequest, summary_page, summary_scan_rows

    frame = parse_timeframe("2016-01-01", "2017-01-01")
    page = PageRequest(frame.start, frame.end, None, None, None, 24)
    scan = summary_scan_rows("hour", 24, 600_000)
    statement = summary_page(tuple(POWER), "hour", "avg", "UTC", page, "json", scan)
    with psycopg2.connect(api_db.admin_url) as conn, conn.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement.sql, statement.params)
        plan = cur.fetchone()[0][0]["Plan"]

    def aggregated(node) -> int:  # rows fed into the bucket aggregation
        if node.get("Node Type") == "Aggregate" and node.get("Strategy") in ("Hashed", "Sorted", "Mixed"):
            return sum(c["Actual Rows"] for c in node["Plans"] if c.get("Parent Relationship") == "Outer")
        return max([aggregated(child) for child in node.get("Plans", [])] + [0])

    assert scan == 25 * 60 and 0 < aggregated(plan) <= scan  # the table holds 2 homes x 3 days = 8,640 rows


@pytest.fixture
def all_slots_taken(api_db):
    """Another session holds every summary slot (as concurrent summaries would)."""
    _configure(api_db, summary_concurrency=2)
    conn = psycopg2.connect(api_db.admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s, 1), pg_advisory_lock(%s, 2)", (SUMMARY_LOCK_SPACE,) * 2)
    yield conn
    conn.close()
    _configure(api_db)


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_over_the_budget_a_summary_is_429_with_retry_after(api_db, all_slots_taken, version):
    answer = call(version, "/energy/summary", "interval=hour")
    assert answer.status == 429 and answer.headers["retry-after"] == "1"
    assert answer.json()["error"]["code"] == "too_many_requests"
    assert call(version, "/energy", "limit=1").status == 200  # readings are bounded by limit: not budgeted
    with all_slots_taken.cursor() as cur:
        cur.execute("SELECT pg_advisory_unlock(%s, 2)", (SUMMARY_LOCK_SPACE,))
    assert call(version, "/energy/summary", "interval=hour").status == 200
    assert call(version, "/energy/summary", "interval=hour").status == 200  # the slot was given back


# --- a burst from another process ---------------------------------------------------------------------------

YEAR_SQL = f"""
INSERT INTO home (house_id, name, source_file) VALUES (1, 'Home 1', 'x');
SELECT ensure_month_partitions('2016-01-01', '2016-12-31');
INSERT INTO energy_consuming_device (house_id, timeframe, time_raw, {", ".join(POWER)})
SELECT 1, timestamptz '2016-01-01 05:00+00' + n * interval '1 minute', 1451624400 + n,
       {", ".join(f"((n * {7 + i}) % 1000) / 1000.0" for i in range(len(POWER)))}
FROM generate_series(0, 503909) AS n;
ANALYZE energy_consuming_device;
"""

BURST = textwrap.dedent(
    """
    import json, sys, time
    from concurrent.futures import ThreadPoolExecutor
    import requests
    base, clients = sys.argv[1], int(sys.argv[2])
    url = base + "/energy/summary?start=2016-01-01&end=2017-01-01&interval=hour&limit=10000"
    def one(_):
        began = time.monotonic()
        try:
            r = requests.get(url, timeout=30)
            return [r.status_code, r.headers.get("Retry-After"), time.monotonic() - began]
        except requests.RequestException as exc:
            return [repr(exc), None, time.monotonic() - began]
    with ThreadPoolExecutor(clients) as pool:
        print(json.dumps(list(pool.map(one, range(clients)))))
    """
)


@pytest.fixture(scope="module")
def year_server(pg_server):
    db = create_api_database(pg_server, load=False)
    with psycopg2.connect(db.admin_url) as conn, conn.cursor() as cur:
        cur.execute(YEAR_SQL)
    server = LocalApiServer(("127.0.0.1", 0), workers=32)
    start_in_thread(server)
    yield db, server
    server.shutdown()
    server.server_close()
    drop_api_database(db, pg_server)


def test_a_burst_of_whole_year_summaries_is_turned_away_not_piled_up(year_server):
    db, server = year_server
    # An admitted whole-year summary takes about 3 s on two busy cores; 10 s leaves room for a loaded machine,
    # while 32 summaries let in at once would need several times that and end in 503s.
    configure(ApiConfig(database_url=db.reader_url, application_name="test-api-burst", statement_timeout_ms=10_000))
    burst = subprocess.Popen(
        [sys.executable, "-c", BURST, server.url, "32"], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        time.sleep(0.3)
        began = time.monotonic()
        health = requests.get(f"{server.url}/health", timeout=10)
        health_seconds = time.monotonic() - began
        out, _ = burst.communicate(timeout=90)
    finally:
        if burst.poll() is None:
            burst.kill()
    results = json.loads(out)
    statuses = [status for status, _, _ in results]
    assert len(results) == 32 and set(statuses) <= {200, 429}, statuses  # no 503 (statement timeouts), no errors
    assert statuses.count(200) >= 1 and statuses.count(429) >= 1
    assert all(retry == "1" for status, retry, _ in results if status == 429)
    assert health.status_code == 200 and health_seconds < 2.0
