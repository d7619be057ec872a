"""The hostile probes of issue 12 against the handler (v1 and v2 events), each once a failure on main:
year-1 and year-9999 instants (500), a bare 8-digit date read as unix seconds, `device=a,b` on REST
events, HEAD (405), and `next`/`Link` copied from the client's Host header."""

from __future__ import annotations

import pytest

from lambda_api.config import ApiConfig
from lambda_api.handler import configure, handler
from smarthome_assets_tests.support.api_database import call, invoke, v1_event, v2_event

VERSIONS = ("v1", "v2")
GATEWAY = "abc123.execute-api.eu-west-1.amazonaws.com"


@pytest.fixture
def reconfigure(api_db):
    def apply(**changes):
        configure(ApiConfig(database_url=api_db.reader_url, application_name="test-api-probes", **changes))

    yield apply
    configure(ApiConfig(database_url=api_db.reader_url, application_name="test-api-probes"))


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("parameter", "value"),
    [("start", "0001-01-01T00:00:00+05:00"), ("start", "9999-12-31T23:00:00-05:00"), ("end", "0001-01-01T04:59+05:00")],
)
def test_instants_outside_the_calendar_are_400_not_500(api_db, version, parameter, value):
    for route in ("/energy", "/weather", "/energy/summary"):
        answer = call(version, route, {parameter: value})
        assert answer.status == 400, answer.body
        assert answer.json()["error"]["parameter"] == parameter


@pytest.mark.parametrize("version", VERSIONS)
def test_the_calendar_edges_themselves_still_work(api_db, version):
    assert call(version, "/energy", {"start": "0001-01-01T00:00:00Z", "limit": 1}).status == 200
    assert call(version, "/energy", {"end": "9999-12-31T23:00:00Z", "limit": 1}).status == 200


@pytest.mark.parametrize("version", VERSIONS)
def test_eight_digits_are_a_date_not_unix_seconds(api_db, version):
    body = call(version, "/energy", {"start": "20160102", "end": "20160103", "house_id": 1, "device": "use_kw"}).json()
    assert body["data"][0]["timeframe"] == "2016-01-02T00:00:00+00:00" and body["count"] == 1440
    bad = call(version, "/energy", {"start": "20161399"})
    assert bad.status == 400 and bad.json()["error"]["parameter"] == "start"
    assert "YYYYMMDD" in bad.json()["error"]["message"]


@pytest.mark.parametrize("version", VERSIONS)
def test_comma_separated_devices(api_db, version):
    answer = call(version, "/energy", "device=fridge_kw,use_kw&limit=2")
    assert answer.status == 200, answer.body
    assert list(answer.json()["data"][0]) == ["house_id", "timeframe", "time_raw", "fridge_kw", "use_kw"]
    mixed = call(version, "/energy/summary", "device=fridge_kw,use_kw&device=well_kw&interval=day")
    assert mixed.status == 200 and list(mixed.json()["data"][0])[3:] == ["fridge_kw", "use_kw", "well_kw"]
    unknown = call(version, "/energy", "device=fridge_kw,toaster_kw")
    assert unknown.status == 400 and unknown.json()["error"]["parameter"] == "device"


@pytest.mark.parametrize("version", VERSIONS)
def test_head_answers_like_get_without_a_body(api_db, version):
    for path, query in (("/health", ""), ("/energy", "limit=3"), ("/homes", ""), ("/openapi.json", "")):
        get = call(version, path, query)
        head = call(version, path, query, method="HEAD")
        assert head.status == get.status == 200
        assert head.body == "" and head.headers["content-length"] == str(len(get.body.encode()))
        assert head.headers["content-type"] == get.headers["content-type"]
    assert call(version, "/energy", "limit=0", method="HEAD").status == 400
    posted = call(version, "/energy", method="POST")
    assert posted.status == 405 and posted.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize("build", [v1_event, v2_event])
def test_links_use_the_gateways_domain_not_the_clients_host(api_db, build):
    event = build("/energy", "limit=1")
    event["headers"] = {**event["headers"], "host": "evil.example", "Host": "evil.example"}
    body = invoke(event).json()
    assert body["next"].startswith(f"https://{GATEWAY}/")
    assert "evil.example" not in body["next"]


@pytest.mark.parametrize("version", VERSIONS)
def test_links_use_the_configured_base_url(api_db, reconfigure, version):
    reconfigure(base_url="https://api.example.org/v1/")
    answer = call(version, "/energy", "limit=1", headers={"Host": "evil.example"})
    assert answer.json()["next"].startswith("https://api.example.org/v1/energy?limit=1&cursor=")
    assert answer.headers["link"].startswith("<https://api.example.org/v1/energy?limit=1&cursor=")


def test_an_event_without_any_domain_gets_a_relative_link(api_db):
    event = v2_event("/energy", "limit=1")
    del event["requestContext"]["domainName"]
    assert handler(event, None)["statusCode"] == 200
    assert invoke(event).json()["next"].startswith("/energy?limit=1&cursor=")
