"""Hostile inputs never reach SQL as text and never cause a 5xx: injection strings in every parameter,
huge numbers, unicode and control characters, repeated parameters and very long query strings."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

import psycopg2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_api.config import ApiConfig
from lambda_api.handler import configure
from smarthome_assets_tests.support.api_database import (
    MINUTES,
    POWER,
    WEATHER,
    call,
    create_api_database,
    drop_api_database,
)

ROUTES = {
    "/weather": ["start", "end", "house_id", "limit", "cursor"],
    "/energy": ["start", "end", "house_id", "device", "limit", "cursor"],
    "/energy/summary": ["start", "end", "house_id", "device", "interval", "agg", "tz", "limit", "cursor"],
    "/homes": [],
    "/health": [],
}
INJECTIONS = [
    "1; DROP TABLE weather; --",
    "' OR '1'='1",
    "'; DELETE FROM energy_consuming_device; --",
    "1) UNION SELECT usename, passwd FROM pg_shadow --",
    "use_kw, (SELECT version())",
    "$$; DROP TABLE home; $$",
    "UTC'); DROP TABLE device; --",
    "2016-01-01'::timestamptz; DROP TABLE weather; --",
    '" OR ""="',
    "\\x00",
    "%00",
    "../../etc/passwd",
]
WEIRD = [
    "9" * 400,
    "-" + "9" * 40,
    "1e308",
    "NaN",
    "Infinity",
    "0x7fffffff",
    "２０１６-01-01",
    "2016-01-01T05:00:00+99:99",
    "Ｔ",
    "𝟐𝟎𝟏𝟔",
    "\u202e2016-01-01",
    "\x00",
    "\n\r\t",
    "",
    " ",
    "😀" * 50,
]


@pytest.fixture(scope="module", autouse=True)
def nothing_was_written(api_db):
    """After every hostile request of the module, the database still holds exactly what it was given."""
    yield
    with psycopg2.connect(api_db.admin_url) as conn, conn.cursor() as cur:
        for table, rows in (("weather", 2 * MINUTES), ("energy_consuming_device", 2 * MINUTES), ("home", 2)):
            cur.execute(f"SELECT count(*) FROM {table}")
            assert cur.fetchone()[0] == rows


def _assert_handled(answer) -> None:
    assert answer.status in (200, 400), (answer.status, answer.body[:300])
    body = answer.json()
    assert ("data" in body or body.get("status") == "ok") if answer.status == 200 else body["error"]["status"] == 400
    assert "Traceback" not in answer.body and "psycopg2" not in answer.body and "syntax error" not in answer.body


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("value", INJECTIONS + WEIRD)
def test_every_parameter_of_every_route_survives(api_db, version, value):
    for route, parameters in ROUTES.items():
        for parameter in parameters or ["anything"]:
            answer = call(version, route, f"{parameter}={quote(value, safe='')}")
            _assert_handled(answer)
            if parameter in ("house_id", "limit", "cursor", "interval", "agg", "device") and value.strip():
                assert answer.status == 400 and answer.json()["error"]["parameter"] == parameter


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_in_the_path(api_db, value):
    answer = call("v2", f"/homes/{quote(value, safe='')}/devices")
    assert answer.status in (400, 404)


def test_repeated_parameters(api_db):
    for parameter, value in (("start", "2016-01-01"), ("end", "2016-01-02"), ("house_id", "1"), ("tz", "UTC"),
                             ("cursor", "x"), ("interval", "day"), ("agg", "avg")):  # fmt: skip
        answer = call("v1", "/energy/summary", f"{parameter}={value}&{parameter}={value}")
        assert answer.status == 400 and answer.json()["error"]["parameter"] == parameter
    repeated_devices = "&".join(["device=use_kw"] * 500)  # a list parameter: repeats are fine (deduplicated)
    body = call("v2", "/energy", repeated_devices + "&limit=1").json()
    assert list(body["data"][0]) == ["house_id", "timeframe", "time_raw", "use_kw"]


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_very_long_query_strings(api_db, version):
    _assert_handled(call(version, "/energy", "start=" + "2" * 100_000))
    _assert_handled(call(version, "/energy", "&".join(f"p{i}={i}" for i in range(5_000))))
    _assert_handled(call(version, "/energy", "device=" + ",".join(["use_kw"] * 10_000)))
    many_devices = "&".join(f"device={d}" for d in ["use_kw", "gen_kw"] * 2_000)
    assert call(version, "/energy", many_devices + "&limit=2").status == 200


def test_huge_limits_and_ids_are_400_not_overflows(api_db):
    for query, parameter in (("limit=" + "9" * 50, "limit"), ("house_id=" + "9" * 50, "house_id"),
                             ("house_id=2147483648", "house_id"), ("limit=-1", "limit")):  # fmt: skip
        answer = call("v2", "/energy", query)
        assert answer.status == 400 and answer.json()["error"]["parameter"] == parameter


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    route=st.sampled_from(sorted(ROUTES)),
    parameter=st.sampled_from(["start", "end", "house_id", "device", "limit", "cursor", "tz", "interval", "agg"]),
    value=st.text(min_size=0, max_size=60),
)
def test_arbitrary_text_in_any_parameter_is_never_a_server_error(api_db, route, parameter, value):
    _assert_handled(call("v2", route, f"{parameter}={quote(value, safe='')}"))


# --- hostile values in the table itself ----------------------------------------------------------------------


@pytest.fixture
def odd_db(pg_server):
    """A database whose rows hold what JSON and CSV must escape, and floats JSON cannot represent."""
    db = create_api_database(pg_server, load=False)
    weather_columns = [c for c in WEATHER if c not in ("icon", "summary")]
    with psycopg2.connect(db.admin_url) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO home (house_id, name, source_file) VALUES (7, 'Odd \"home\"', 'x')")
        cur.execute("SELECT ensure_month_partitions('2016-01-01', '2016-01-01')")
        cur.execute(
            f"INSERT INTO energy_consuming_device (house_id, timeframe, time_raw, {', '.join(POWER)}) "
            f"VALUES (7, '2016-01-01T05:00Z', 1, 'NaN', 'Infinity', '-Infinity', 1e-300, 1.7976931348623157e308, "
            f"{', '.join(['0.5'] * (len(POWER) - 5))})"
        )
        cur.execute(
            f"INSERT INTO energy_consuming_device (house_id, timeframe, time_raw, {', '.join(POWER)}) "
            f"VALUES (7, '2016-01-01T05:01:00.123456Z', 2, {', '.join(['-0.25'] * len(POWER))})"
        )
        cur.execute(
            f"INSERT INTO weather (house_id, timeframe, time_raw, icon, summary, {', '.join(weather_columns)}) "
            f"VALUES (7, '2016-01-01T05:00Z', 1, NULL, %s, {', '.join(['1.5'] * len(weather_columns))})",
            ('He said "hi"\\ \n\t:NaN, ünïcødé 😀 </script>',),
        )
    configure(ApiConfig(database_url=db.reader_url, application_name="test-api-odd"))
    yield db
    drop_api_database(db, pg_server)


def test_special_floats_fall_back_to_valid_json(odd_db):
    answer = call("v2", "/energy", "house_id=7")
    assert answer.status == 200
    first, second = answer.json()["data"]  # parses: no bare NaN/Infinity
    assert (first["use_kw"], first["gen_kw"], first["house_overall_kw"]) == ("NaN", "Infinity", "-Infinity")
    assert first["dishwasher_kw"] == 1e-300 and first["furnace_1_kw"] == 1.7976931348623157e308
    assert second["timeframe"] == "2016-01-01T05:01:00.123456+00:00" and second["use_kw"] == -0.25
    csv_answer = call("v2", "/energy", "house_id=7", headers={"Accept": "text/csv"})
    assert csv_answer.body.splitlines()[1].split(",")[3:6] == ["nan", "inf", "-inf"]


def test_text_is_escaped_in_json_and_csv(odd_db):
    row = call("v1", "/weather", "house_id=7").json()["data"][0]
    assert row["icon"] is None
    assert row["summary"] == 'He said "hi"\\ \n\t:NaN, ünïcødé 😀 </script>'
    answer = call("v1", "/weather", "house_id=7", headers={"Accept": "text/csv"})
    parsed = list(csv.DictReader(io.StringIO(answer.body)))
    assert parsed[0]["summary"] == row["summary"] and parsed[0]["icon"] == ""
    assert call("v2", "/homes").json()["data"][0]["name"] == 'Odd "home"'
