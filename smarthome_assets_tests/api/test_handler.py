"""The Lambda handler with REST (v1) and HTTP API (v2) events, against a real PostgreSQL: every route, every
error, time zones, CSV, request ids, the API key and CORS."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from openapi_spec_validator import validate

from lambda_api.config import ApiConfig
from lambda_api.handler import configure, handler
from smarthome_assets_tests.support.api_database import (
    HOME_2_DEVICES,
    MINUTES,
    ORIGIN,
    POWER,
    WEATHER,
    call,
    table_rows,
    v1_event,
    v2_event,
)

VERSIONS = ("v1", "v2")
KEYS = ["house_id", "timeframe", "time_raw"]


@pytest.fixture
def reconfigure(api_db):
    """Configure the handler differently for one test, then restore the module's configuration."""

    def apply(**changes):
        configure(ApiConfig(database_url=api_db.reader_url, application_name="test-api-handler", **changes))

    yield apply
    configure(ApiConfig(database_url=api_db.reader_url, application_name="test-api-handler"))


# --- routes ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_health(api_db, version):
    answer = call(version, "/health")
    assert (answer.status, answer.json()) == (200, {"status": "ok", "database": "ok"})


@pytest.mark.parametrize("version", VERSIONS)
def test_homes(api_db, version):
    body = call(version, "/homes").json()
    assert [h["house_id"] for h in body["data"]] == [1, 2]
    assert body["count"] == 2 and body["next"] is None
    home = body["data"][0]
    assert home["name"] == "Home 1" and home["energy_rows"] == MINUTES
    assert home["first_reading"] == ORIGIN.isoformat()
    assert "source_file" not in home  # an internal path stays internal


@pytest.mark.parametrize("version", VERSIONS)
def test_devices_of_a_home_in_contract_order(api_db, version):
    body = call(version, "/homes/2/devices").json()
    assert [d["device"] for d in body["data"]] == list(HOME_2_DEVICES)
    assert body["data"][3] == {
        "house_id": 2,
        "device": "fridge_kw",
        "name": "Fridge",
        "raw_column": "Fridge [kW]",
        "unit": "kW",
        "kind": "appliance",
    }
    assert [d["device"] for d in call(version, "/homes/1/devices").json()["data"]] == POWER


@pytest.mark.parametrize("version", VERSIONS)
def test_devices_of_an_unknown_home_is_404_and_a_bad_id_400(api_db, version):
    missing = call(version, "/homes/99/devices")
    assert missing.status == 404 and missing.json()["error"]["parameter"] == "house_id"
    malformed = call(version, "/homes/abc/devices")
    assert malformed.status == 400 and malformed.json()["error"]["parameter"] == "house_id"


@pytest.mark.parametrize("version", VERSIONS)
def test_weather_one_day_equals_the_table(api_db, version):
    query = {"start": "2016-01-02", "end": "2016-01-03", "house_id": 2}
    body = call(version, "/weather", query).json()
    expected = table_rows(
        api_db.admin_url,
        "weather",
        KEYS + WEATHER,
        "WHERE house_id = 2 AND timeframe >= '2016-01-02' AND timeframe < '2016-01-03'",
    )
    assert len(expected) == 1440
    assert body["data"] == expected and body["count"] == 1440 and body["next"] is None


@pytest.mark.parametrize("version", VERSIONS)
def test_energy_for_chosen_devices(api_db, version):
    query = "device=fridge_kw&device=use_kw&house_id=1&start=2016-01-01T05:00:00Z&end=2016-01-01T07:00:00Z"
    body = call(version, "/energy", query).json()
    expected = table_rows(
        api_db.admin_url,
        "energy_consuming_device",
        [*KEYS, "fridge_kw", "use_kw"],
        "WHERE house_id = 1 AND timeframe < '2016-01-01T07:00:00Z'",
    )
    assert body["data"] == expected and len(expected) == 120
    assert list(body["data"][0]) == [*KEYS, "fridge_kw", "use_kw"]  # the order asked for


@pytest.mark.parametrize("version", VERSIONS)
def test_energy_all_devices_by_default(api_db, version):
    body = call(version, "/energy", "limit=5").json()
    assert list(body["data"][0]) == KEYS + POWER
    assert [r["timeframe"] for r in body["data"]] == [(ORIGIN + timedelta(minutes=m)).isoformat() for m in range(5)]


def _daily_kwh(url: str, house: int, device: str, tz_offset_hours: int) -> dict[str, tuple[int, float]]:
    """Independent of the API's SQL: sum the minutes in Python, per local day."""
    rows = table_rows(url, "energy_consuming_device", ["house_id", "timeframe", device], f"WHERE house_id = {house}")
    days: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        local = datetime.fromisoformat(row["timeframe"]) + timedelta(hours=tz_offset_hours)
        start = datetime(local.year, local.month, local.day, tzinfo=UTC) - timedelta(hours=tz_offset_hours)
        days[start.isoformat()].append(row[device])
    return {day: (len(v), sum(v) / 60) for day, v in days.items()}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("tz", "offset"), [("UTC", 0), ("America/New_York", -5)])
def test_energy_summary_daily_kwh_in_a_time_zone(api_db, version, tz, offset):
    query = {"house_id": 1, "interval": "day", "agg": "kwh", "device": "furnace_1_kw", "tz": tz}
    body = call(version, "/energy/summary", query).json()
    expected = _daily_kwh(api_db.admin_url, 1, "furnace_1_kw", offset)
    got = {r["period_start"]: (r["readings"], r["furnace_1_kw"]) for r in body["data"]}
    assert got.keys() == expected.keys()
    for day, (readings, kwh) in expected.items():
        assert got[day][0] == readings and got[day][1] == pytest.approx(kwh, rel=1e-12)
    if tz == "America/New_York":  # the data starts at local midnight: three whole days
        assert [r["readings"] for r in body["data"]] == [1440, 1440, 1440]
    else:  # 05:00-24:00 UTC, two whole days, then 00:00-05:00
        assert [r["readings"] for r in body["data"]] == [1140, 1440, 1440, 300]


@pytest.mark.parametrize("agg", ["avg", "min", "max", "sum"])
def test_energy_summary_hourly_aggregates(api_db, agg):
    query = {"house_id": 2, "interval": "hour", "agg": agg, "device": "solar_kw", "start": "2016-01-01T10:00Z",
             "end": "2016-01-01T12:00Z"}  # fmt: skip
    body = call("v2", "/energy/summary", query).json()
    rows = table_rows(
        api_db.admin_url,
        "energy_consuming_device",
        ["house_id", "timeframe", "solar_kw"],
        "WHERE house_id = 2 AND timeframe >= '2016-01-01T10:00Z' AND timeframe < '2016-01-01T12:00Z'",
    )
    for hour, bucket in zip(("10", "11"), (rows[:60], rows[60:]), strict=True):
        values = [r["solar_kw"] for r in bucket]
        expected = {"avg": sum(values) / 60, "min": min(values), "max": max(values), "sum": sum(values)}[agg]
        row = next(r for r in body["data"] if r["period_start"] == f"2016-01-01T{hour}:00:00+00:00")
        assert row["readings"] == 60 and row["solar_kw"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("version", VERSIONS)
def test_openapi_document_is_valid_and_lists_every_route(api_db, version):
    answer = call(version, "/openapi.json")
    document = answer.json()
    validate(document)
    assert set(document["paths"]) == {
        "/health",
        "/homes",
        "/homes/{house_id}/devices",
        "/weather",
        "/energy",
        "/energy/summary",
    }
    energy = document["paths"]["/energy"]["get"]
    assert {p["name"] for p in energy["parameters"]} == {"start", "end", "house_id", "device", "limit", "cursor"}
    assert {"200", "400", "503"} <= set(energy["responses"]) and "422" not in energy["responses"]


# --- time zones --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "start",
    ["2016-01-01T05:00:00Z", "2016-01-01T00:00:00-05:00", "2016-01-01T05:00", "2016-01-01 05:00:00", "1451624400",
     "2016-01-01T06:00:00+01:00"],
)  # fmt: skip
def test_every_notation_of_the_same_instant_gives_the_same_rows(api_db, version, start):
    body = call(version, "/energy", {"start": start, "house_id": 1, "limit": 3, "device": "use_kw"}).json()
    assert [r["timeframe"] for r in body["data"]] == [
        "2016-01-01T05:00:00+00:00",
        "2016-01-01T05:01:00+00:00",
        "2016-01-01T05:02:00+00:00",
    ]


def test_start_is_inclusive_and_end_exclusive(api_db):
    body = call("v2", "/weather", {"start": "2016-01-01T06:00:00Z", "end": "2016-01-01T06:02:00Z", "house_id": 1})
    assert [r["timeframe"] for r in body.json()["data"]] == ["2016-01-01T06:00:00+00:00", "2016-01-01T06:01:00+00:00"]


def test_a_date_means_midnight_utc(api_db):
    body = call("v2", "/energy", {"start": "2016-01-02", "house_id": 1, "limit": 1}).json()
    assert body["data"][0]["timeframe"] == "2016-01-02T00:00:00+00:00"


# --- CSV ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_csv_has_the_same_rows_as_json(api_db, version):
    query = {"start": "2016-01-01T12:00Z", "end": "2016-01-01T13:00Z", "device": ["fridge_kw", "solar_kw"]}
    as_json = call(version, "/energy", query).json()["data"]
    answer = call(version, "/energy", query, headers={"Accept": "text/csv"})
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.body)))
    assert list(rows[0]) == [*KEYS, "fridge_kw", "solar_kw"]
    assert len(rows) == len(as_json) == 120
    for text, typed in zip(rows, as_json, strict=True):
        assert text["timeframe"] == typed["timeframe"]
        assert int(text["house_id"]) == typed["house_id"] and int(text["time_raw"]) == typed["time_raw"]
        assert float(text["fridge_kw"]) == typed["fridge_kw"] and float(text["solar_kw"]) == typed["solar_kw"]


@pytest.mark.parametrize(
    ("path", "header"),
    [
        ("/homes", "house_id,name,first_reading,last_reading,weather_rows,energy_rows,updated_at"),
        ("/homes/2/devices", "house_id,device,name,raw_column,unit,kind"),
        ("/weather?limit=1", ",".join(KEYS + WEATHER)),
        ("/energy/summary?device=well_kw&interval=day", "house_id,period_start,readings,well_kw"),
    ],
)
def test_csv_on_every_table_route(api_db, path, header):
    route, _, query = path.partition("?")
    answer = call("v2", route, query, headers={"Accept": "text/csv"})
    assert answer.status == 200
    assert answer.body.splitlines()[0] == header and len(answer.body.splitlines()) > 1


def test_errors_stay_json_when_csv_is_asked_for(api_db):
    answer = call("v2", "/energy", "limit=0", headers={"Accept": "text/csv"})
    assert answer.status == 400 and answer.json()["error"]["parameter"] == "limit"


# --- errors ------------------------------------------------------------------------------------------------

BAD_REQUESTS = [
    ("/energy", "start=2016-01-02&end=2016-01-01", "end", "after start"),
    ("/energy", "start=2016-01-02&end=2016-01-02", "end", "after start"),
    ("/energy", "start=yesterday", "start", "ISO-8601"),
    ("/energy", "end=2016-13-45", "end", "calendar"),
    ("/weather", "start=2016-02-30", "start", "calendar"),
    ("/energy", "start=999999999999", "start", "out of range"),
    ("/energy", "end=99999999999999999999", "end", "ISO-8601"),
    ("/energy", "limit=0", "limit", "greater than or equal to 1"),
    ("/energy", "limit=10001", "limit", "less than or equal to 10000"),
    ("/energy", "limit=ten", "limit", "integer"),
    ("/energy", "limit=1&limit=2", "limit", "more than once"),
    ("/energy", "device=toaster_kw", "device", "unknown device"),
    ("/energy/summary", "device=fridge_kw&device=toaster_kw", "device", "unknown device"),
    ("/energy", "house_id=0", "house_id", "greater than or equal to 1"),
    ("/energy", "house_id=1.5", "house_id", "integer"),
    ("/energy", "cursor=not-a-cursor", "cursor", "cursor"),
    ("/energy/summary", "interval=week", "interval", "hour"),
    ("/energy/summary", "agg=median", "agg", "avg"),
    ("/energy/summary", "tz=Mars/Olympus_Mons", "tz", "unknown time zone"),
    ("/energy/summary", "tz=UTC;DROP", "tz", "IANA"),
    ("/weather", "start=2016-01-01&start=2016-01-02", "start", "more than once"),
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("path", "query", "parameter", "message"), BAD_REQUESTS)
def test_bad_requests_name_the_parameter(api_db, version, path, query, parameter, message):
    answer = call(version, path, query)
    assert answer.status == 400, answer.body
    body = answer.json()
    assert body["error"]["parameter"] == parameter
    assert message in body["error"]["message"]
    assert body["request_id"] == answer.headers["x-request-id"]


@pytest.mark.parametrize("version", VERSIONS)
def test_unknown_route_is_404_and_other_methods_405(api_db, version):
    missing = call(version, "/energy/forecast")
    assert missing.status == 404 and missing.json()["error"]["code"] == "not_found"
    posted = call(version, "/energy", method="POST")
    assert posted.status == 405 and posted.headers["allow"] == "GET, HEAD"  # HEAD mirrors every GET


def test_an_event_that_is_not_from_api_gateway_is_refused():
    result = handler({"detail-type": "Scheduled Event"}, None)
    assert result["statusCode"] == 400 and "x-request-id" in {k.lower() for k in result["headers"]}


@pytest.mark.parametrize("build", [v1_event, v2_event])
def test_request_id_is_api_gateways_on_every_response(api_db, build):
    for path, query in (("/health", ""), ("/energy", "limit=1"), ("/energy", "limit=0"), ("/nowhere", "")):
        event = build(path, query)
        result = handler(event, None)
        headers = result.get("headers") or {}
        found = headers.get("X-Request-Id") or (result.get("multiValueHeaders") or {}).get("X-Request-Id", [None])[0]
        assert found == event["requestContext"]["requestId"]


def test_stage_prefixes_are_kept_in_next_links(api_db):
    body = call("v1", "/energy", "limit=1").json()
    assert body["next"].startswith("https://abc123.execute-api.eu-west-1.amazonaws.com/prod/energy?")
    event = v2_event("/energy", "limit=1", stage="live")
    result = handler(event, None)
    assert result["statusCode"] == 200
    assert '"next":"https://abc123.execute-api.eu-west-1.amazonaws.com/live/energy?limit=1&cursor=' in result["body"]


def test_unknown_query_parameters_are_ignored(api_db):
    assert call("v2", "/energy", "limit=1&colour=blue").status == 200


# --- API key and CORS ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_api_key_is_required_when_configured(api_db, reconfigure, version):
    reconfigure(api_key="s3cret-key")
    assert call(version, "/energy", "limit=1").status == 403
    assert call(version, "/energy", "limit=1", headers={"x-api-key": "wrong"}).status == 403
    assert call(version, "/energy", "limit=1", headers={"X-Api-Key": "s3cret-key"}).status == 200
    assert call(version, "/health").status == 200  # health checks need no key
    document = call(version, "/openapi.json", headers={"x-api-key": "s3cret-key"}).json()
    assert document["components"]["securitySchemes"]["ApiKey"]["name"] == "x-api-key"


def test_without_a_configured_key_none_is_needed(api_db):
    assert call("v2", "/energy", "limit=1").status == 200


@pytest.mark.parametrize("version", VERSIONS)
def test_cors_when_configured(api_db, reconfigure, version):
    reconfigure(cors_origins=("https://dashboard.example",))
    allowed = call(version, "/energy", "limit=1", headers={"Origin": "https://dashboard.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://dashboard.example"
    assert "x-request-id" in allowed.headers["access-control-expose-headers"].lower()
    other = call(version, "/energy", "limit=1", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = call(
        version,
        "/energy",
        headers={"Origin": "https://dashboard.example", "Access-Control-Request-Method": "GET"},
        method="OPTIONS",
    )
    assert preflight.status == 204
    assert "x-api-key" in preflight.headers["access-control-allow-headers"].lower()


def test_no_cors_headers_by_default(api_db):
    answer = call("v2", "/energy", "limit=1", headers={"Origin": "https://dashboard.example"})
    assert "access-control-allow-origin" not in answer.headers
