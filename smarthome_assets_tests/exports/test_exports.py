"""The API client and the export writer: pagination, retries, faults, file layout and content.

The API is the real Lambda handler (lambda_api), called in-process with API Gateway events or over HTTP
through the local server, reading a real PostgreSQL database filled with known rows.
"""

from __future__ import annotations

import csv
import io
import socket
from datetime import UTC, date, datetime

import orjson
import pytest

from smarthome_assets.database.connection import PostgresUrl
from smarthome_assets.database.migrate import apply_migrations
from smarthome_assets.defs.exports.checks import freshness_result
from smarthome_assets.exports import layout, reconcile
from smarthome_assets.exports.api_client import ApiClient, ApiError, ApiResponse, ApiSession, TransportError
from smarthome_assets.exports.writer import ExportError, day_bounds, export_days, fetch_csv, rows_to_table
from smarthome_assets.homec import contract
from smarthome_assets.lib.checks import reconciliation_result
from smarthome_assets.storage.object_store import LocalObjectStore, S3ObjectStore
from smarthome_assets_tests.support.whole_chain import HOMES, days, fill_operational, readings

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
DAY1 = date(2016, 1, 1)


class FakeTransport:
    """Answers from a script: a list of (status, body) or exceptions, per path."""

    def __init__(self, script: dict[str, list]):
        self.script = {path: list(answers) for path, answers in script.items()}
        self.calls: list[tuple[str, list[tuple[str, str]]]] = []

    def get(self, path, query, headers):
        self.calls.append((path, query))
        answer = self.script[path].pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return ApiResponse(status, {"content-type": "application/json"}, orjson.dumps(body))

    def close(self):
        pass


def _session(script, attempts=3, sleeps=None) -> tuple[ApiSession, FakeTransport]:
    transport = FakeTransport(script)
    waits = sleeps if sleeps is not None else []
    return ApiSession(transport, api_key="k", max_attempts=attempts, backoff_seconds=0.5, sleep=waits.append), transport


def _page(rows, cursor=None):
    return 200, {
        "data": rows,
        "count": len(rows),
        "next": f"https://x/weather?cursor={cursor}" if cursor else None,
        "next_cursor": cursor,
    }


UNAVAILABLE = (503, {"error": {"status": 503, "code": "unavailable", "message": "the database is unavailable"}})


def test_transient_failures_are_retried_with_exponential_backoff():
    waits: list[float] = []
    session, _transport = _session(
        {"/weather": [UNAVAILABLE, TransportError("reset"), _page([{"a": 1}])]}, sleeps=waits
    )
    pages = list(session.pages("/weather", {"limit": 5}))
    assert [p.rows for p in pages] == [[{"a": 1}]]
    assert waits == [0.5, 1.0] and (session.requests, session.retries) == (3, 2)


def test_retries_are_bounded_and_the_error_says_what_failed():
    session, transport = _session({"/energy": [UNAVAILABLE] * 3})
    with pytest.raises(
        ApiError,
        match=r"GET /energy\?start=2016.*still failing after 3 attempts: HTTP 503: "
        "the database is unavailable",
    ):
        list(session.pages("/energy", {"start": "2016-01-01"}))
    assert len(transport.calls) == 3


def test_client_errors_are_not_retried():
    bad = (400, {"error": {"status": 400, "code": "bad_parameter", "message": "limit: must be <= 10000"}})
    session, transport = _session({"/weather": [bad]})
    with pytest.raises(ApiError, match="HTTP 400: limit: must be <= 10000"):
        list(session.pages("/weather", {"limit": 99999}))
    assert len(transport.calls) == 1


def test_pages_follow_the_cursor_until_there_is_none():
    session, transport = _session({"/weather": [_page([{"a": 1}], "c1"), _page([{"a": 2}], "c2"), _page([{"a": 3}])]})
    assert [p.rows[0]["a"] for p in session.pages("/weather", {"limit": 1})] == [1, 2, 3]
    assert [dict(q).get("cursor") for _, q in transport.calls] == [None, "c1", "c2"]


def test_rows_of_an_unexpected_shape_are_refused():
    with pytest.raises(ExportError, match="columns"):
        rows_to_table("weather", [{"house_id": 1, "timeframe": "2016-01-01T00:00:00+00:00"}])


def test_a_page_with_rows_outside_the_requested_day_is_refused():
    """An API that answers another request's question must not produce a plausible file."""
    row = {name: None for name in layout.EXPORT_COLUMNS["energy"]} | {"house_id": 1, "time_raw": 1}
    session, _ = _session({"/energy": [_page([row | {"timeframe": "2016-01-02T00:00:00+00:00"}])]})
    with pytest.raises(ExportError, match=r"rows from 2016-01-02 00:00:00\+00:00 .* for \[2016-01-01"):
        fetch_csv(session, "energy", {"start": "2016-01-01"}, window=day_bounds(DAY1))
    fine, _ = _session({"/energy": [_page([row | {"timeframe": "2016-01-01T23:59:00+00:00"}])]})
    assert fetch_csv(fine, "energy", {}, window=day_bounds(DAY1)).rows == 1


@pytest.fixture
def operational(fresh_database) -> str:
    url, _ = fresh_database
    fill_operational(url, days(2))
    return url


def _rows_of(store, key) -> list[list[str]]:
    return list(csv.reader(io.StringIO(store.get_bytes(key).decode())))


def test_an_export_through_the_lambda_handler_is_the_database_rows(operational, tmp_path):
    store = LocalObjectStore(root=str(tmp_path))
    client = ApiClient(database=PostgresUrl(database_url=operational), page_rows=1000)
    session = client.open()
    report = export_days(session, store, days(2), page_rows=client.page_rows, concurrency=2, now=NOW)
    manifest = layout.DayManifest.load(store, DAY1)
    weather = manifest.files["weather"]
    assert weather.key == "exports/weather/date=2016-01-01/weather_2016-01-01_20261127T020000Z.csv"
    assert (weather.rows, weather.pages) == (2880, 3)  # two homes x 1,440 minutes, 1,000 rows a page
    assert manifest.files["homes"].key == "exports/homes/homes_20261127T020000Z.csv"
    rows = _rows_of(store, weather.key)
    assert tuple(rows[0]) == layout.EXPORT_COLUMNS["weather"]
    expected = readings("weather", DAY1, HOMES)
    assert len(rows) - 1 == len(expected)
    for got, want in zip(rows[1:], expected, strict=True):
        assert int(got[0]) == want[0] and datetime.fromisoformat(got[1]) == want[1] and int(got[2]) == want[2]
        assert [v or None for v in got[4:8:3]] == [want[4], want[7]]  # icon (may be missing), summary
        assert float(got[3]) == want[3] and float(got[-1]) == want[-1]
    energy = _rows_of(store, manifest.files["energy"].key)
    assert [float(v) for v in energy[1][3:]] == readings("energy", DAY1, HOMES)[0][3:]
    assert _rows_of(store, manifest.files["homes"].key)[1][:2] == ["1", "Home 1, Main St"]
    assert report.requests == 1 + 2 * (3 + 3) and report.total("energy", "rows") == 5760
    measures = {
        "postgres": reconcile.postgres_rows_per_day(PostgresUrl(database_url=operational), days(2)),
        "api": reconcile.fetched_rows_per_day(report),
        "file": reconcile.file_rows_per_day(store, report),
    }
    assert reconciliation_result("rows_match_postgres", measures).passed


def test_over_http_the_files_are_the_same(operational, tmp_path):
    """The deployed path: HTTP to the API (the local server in front of the same handler)."""
    from lambda_api.config import ApiConfig
    from lambda_api.handler import configure
    from smarthome_assets.local_api.server import LocalApiServer, start_in_thread

    configure(ApiConfig(database_url=operational))
    server = LocalApiServer(("127.0.0.1", 0), workers=4)
    start_in_thread(server)
    try:
        over_http = LocalObjectStore(root=str(tmp_path / "http"))
        http = ApiClient(base_url=server.url, page_rows=2000).open()
        export_days(http, over_http, [DAY1], page_rows=2000, concurrency=4, now=NOW)
        http.close()
    finally:
        server.shutdown()
        server.server_close()
    in_process = LocalObjectStore(root=str(tmp_path / "lambda"))
    export_days(
        ApiClient(database=PostgresUrl(database_url=operational)).open(),
        in_process,
        [DAY1],
        page_rows=10_000,
        concurrency=1,
        now=NOW,
    )
    for table in layout.DAY_TABLES:
        key = layout.export_key(table, DAY1, "20261127T020000Z")
        assert over_http.get_bytes(key) == in_process.get_bytes(key)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_api_that_is_down_fails_the_export_clearly_and_writes_nothing(tmp_path):
    store = LocalObjectStore(root=str(tmp_path))
    client = ApiClient(base_url=f"http://127.0.0.1:{_closed_port()}", max_attempts=3, backoff_seconds=0.01)
    with pytest.raises(ApiError, match=r"GET /homes.* still failing after 3 attempts: ConnectionError"):
        export_days(client.open(), store, [DAY1], page_rows=10, concurrency=1, now=NOW)
    assert store.list_keys("exports/") == []


def test_a_failing_day_keeps_its_previous_export_current(operational, tmp_path):
    store = LocalObjectStore(root=str(tmp_path))
    client = ApiClient(database=PostgresUrl(database_url=operational))
    first = export_days(client.open(), store, days(2), page_rows=10_000, concurrency=1, now=NOW)
    session = client.open()
    real_get = session._transport.get

    def energy_down(path, query, headers):
        if path == "/energy" and ("start", "2016-01-02T00:00:00Z") in query:
            return ApiResponse(502, {}, b"Bad Gateway")
        return real_get(path, query, headers)

    session._transport.get = energy_down
    session._sleep = lambda seconds: None
    later = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    with pytest.raises(ExportError, match=r"2016-01-02: GET /energy.*still failing after 5 attempts: HTTP 502: Bad"):
        export_days(session, store, days(2), page_rows=10_000, concurrency=1, now=later)
    assert layout.DayManifest.load(store, date(2016, 1, 2)) == first.days["2016-01-02"]
    assert store.list_keys("exports/weather/date=2016-01-02/") == [first.days["2016-01-02"].files["weather"].key]
    assert layout.DayManifest.load(store, DAY1).exported_at == later.isoformat()  # the day that worked moved on


def test_a_rerun_writes_new_files_and_moves_the_manifest(operational, tmp_path):
    store = LocalObjectStore(root=str(tmp_path))
    client = ApiClient(database=PostgresUrl(database_url=operational))
    first = export_days(client.open(), store, [DAY1], page_rows=10_000, concurrency=1, now=NOW)
    again = export_days(client.open(), store, [DAY1], page_rows=10_000, concurrency=1, now=NOW)  # same second
    assert (first.stamp, again.stamp) == ("20261127T020000Z", "20261127T020001Z")
    keys = store.list_keys("exports/energy/date=2016-01-01/")
    assert keys == [first.days["2016-01-01"].files["energy"].key, again.days["2016-01-01"].files["energy"].key]
    assert store.get_bytes(keys[0]) == store.get_bytes(keys[1])
    assert layout.DayManifest.load(store, DAY1).files["energy"].key == keys[1]


def test_exports_to_s3(operational, s3_bucket):
    """The S3 object store (a moto server over HTTP): same keys under the bucket's prefix."""
    _endpoint, bucket, s3 = s3_bucket
    store = S3ObjectStore(bucket=bucket, prefix="smarthome", **s3)
    report = export_days(
        ApiClient(database=PostgresUrl(database_url=operational)).open(),
        store,
        days(2),
        page_rows=10_000,
        concurrency=2,
        now=NOW,
    )
    assert store.uri(report.days["2016-01-02"].files["energy"].key) == (
        f"s3://{bucket}/smarthome/exports/energy/date=2016-01-02/energy_2016-01-02_20261127T020000Z.csv"
    )
    assert reconcile.file_rows_per_day(store, report) == {
        t: {"2016-01-01": 2880, "2016-01-02": 2880} for t in layout.DAY_TABLES
    }
    assert reconcile.newest_exported_day(store) == date(2016, 1, 2)


def test_reconciliation_names_the_days_that_differ():
    measures = {
        "postgres": {"weather": {"2016-01-01": 1440}, "energy": {"2016-01-01": 1440}},
        "api": {"weather": {"2016-01-01": 1440}, "energy": {"2016-01-01": 1439}},
        "file": {"weather": {"2016-01-01": 1440}, "energy": {"2016-01-01": 1439}},
    }
    result = reconciliation_result("rows_match_postgres", measures)
    assert not result.passed
    assert result.metadata["mismatches"].value == {"energy 2016-01-01": {"postgres": 1440, "api": 1439, "file": 1439}}
    measures["api"]["energy"]["2016-01-01"] = measures["file"]["energy"]["2016-01-01"] = 1440
    assert reconciliation_result("rows_match_postgres", measures).passed


def test_freshness_compares_the_newest_export_with_the_newest_day_before_yesterday(tmp_path, fresh_database):
    url, _ = fresh_database
    apply_migrations(url)
    db = PostgresUrl(database_url=url)
    store = LocalObjectStore(root=str(tmp_path))
    with db.connect() as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO home (house_id, name, source_file) VALUES (1, 'h', 'h.csv')")
        cur.execute("SELECT ensure_month_partitions('2016-05-01', '2016-06-30')")
        for at in ("2016-05-30 12:00+00", "2016-05-31 23:59+00", "2016-06-02 00:01+00"):
            columns = ", ".join(c.name for c in contract.POWER_COLUMNS)
            zeros = ", ".join("0" for _ in contract.POWER_COLUMNS)
            cur.execute(
                f"INSERT INTO energy_consuming_device (house_id, timeframe, time_raw, {columns}) "
                f"VALUES (1, %s, 0, {zeros})",
                (at,),
            )
    assert freshness_result(store, db, datetime(2016, 6, 1, 2, 0, tzinfo=UTC)).passed is False  # nothing exported
    for day in ("2016-05-30", "2016-05-31"):
        layout.DayManifest(day=day, exported_at="2016-06-01T02:00:00+00:00").save(store)
    assert freshness_result(store, db, datetime(2016, 6, 1, 2, 0, tzinfo=UTC)).passed
    # Yesterday is the 02:00 export's: on 06-03 the exports must have reached 06-01 (none) or before: met.
    assert freshness_result(store, db, datetime(2016, 6, 3, 2, 0, tzinfo=UTC)).passed
    stale = freshness_result(store, db, datetime(2016, 6, 4, 2, 0, tzinfo=UTC))  # 2016-06-02 is two days old
    assert not stale.passed and stale.metadata["days_behind"].value == 2
    assert stale.metadata["expected_day"].value == "2016-06-02"
