"""HTTP-level tests of the local server: requests become API Gateway events for the real handler.

Also: static pages, the `smarthome api` command itself, and every curl example of docs/API.md run as
printed (only the port differs)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys

import orjson
import psycopg2
import pytest
import requests

from smarthome_assets.local_api.server import LocalApiServer, start_in_thread
from smarthome_assets.services import embedded_postgres
from smarthome_assets_tests.support.api_database import (
    MINUTES,
    POWER,
    load_synthetic,
    table_rows,
)
from smarthome_assets_tests.support.paths import REPO
from smarthome_assets_tests.support.processes import ctrl_c_reaches_it

KEYS = ["house_id", "timeframe", "time_raw"]


@pytest.fixture(scope="module", params=["2.0", "1.0"])
def server(request, api_db, tmp_path_factory):
    page = tmp_path_factory.mktemp("static") / "dashboard.html"
    page.write_text("<!doctype html><title>dashboard</title>")
    pages = {"/dashboard": page, "/missing": page.parent / "nope.html"}
    srv = LocalApiServer(("127.0.0.1", 0), payload_version=request.param, static_pages=pages)
    start_in_thread(srv)
    yield srv
    srv.shutdown()
    srv.server_close()


def test_a_day_of_energy_over_http(server, api_db):
    response = requests.get(f"{server.url}/energy", params={"start": "2016-01-02", "end": "2016-01-03"}, timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Request-Id"]
    body = response.json()
    assert body["count"] == 1440 and body["next"].startswith(f"{server.url}/energy?")
    expected = table_rows(
        api_db.admin_url,
        "energy_consuming_device",
        KEYS + POWER,
        "WHERE timeframe >= '2016-01-02' AND timeframe < '2016-01-03'",
    )
    assert body["data"] == expected[:1440]


def test_following_link_headers_over_http_returns_every_row(server, api_db):
    rows: list[dict] = []
    url = f"{server.url}/energy?device=kitchen_12_kw&limit=2000"
    with requests.Session() as session:  # one keep-alive connection, like a real client
        while url:
            response = session.get(url, timeout=10)
            assert response.status_code == 200
            rows.extend(response.json()["data"])
            url = response.links.get("next", {}).get("url")
    assert rows == table_rows(api_db.admin_url, "energy_consuming_device", [*KEYS, "kitchen_12_kw"])
    assert len(rows) == 2 * MINUTES


def test_csv_and_errors_over_http(server):
    csv = requests.get(f"{server.url}/weather?limit=2", headers={"Accept": "text/csv"}, timeout=10)
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert len(csv.text.strip().splitlines()) == 3 and "Link" in csv.headers
    bad = requests.get(f"{server.url}/energy?start=2016-01-02&end=2016-01-01", timeout=10)
    assert bad.status_code == 400 and bad.json()["error"]["parameter"] == "end"
    assert bad.json()["request_id"] == bad.headers["X-Request-Id"]
    assert requests.get(f"{server.url}/nope", timeout=10).status_code == 404
    assert requests.post(f"{server.url}/energy", data=b"x", timeout=10).status_code == 405
    head = requests.head(f"{server.url}/health", timeout=10)  # HEAD mirrors GET (it was 405)
    assert head.status_code == 200 and head.content == b"" and int(head.headers["Content-Length"]) > 0


def test_a_query_string_too_long_for_any_gateway_is_refused_not_crashed(server):
    response = requests.get(f"{server.url}/energy?start=" + "2" * 70_000, timeout=10)
    assert response.status_code == 414 and response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]["status"] == 414  # the API's error format, not http.server's HTML page
    assert requests.get(f"{server.url}/health", timeout=10).status_code == 200


def test_forged_forwarding_and_host_headers_do_not_reach_the_links(server):
    response = requests.get(
        f"{server.url}/energy?limit=1", headers={"X-Forwarded-Proto": "gopher", "Host": "evil.example"}, timeout=10
    )
    assert response.json()["next"].startswith(f"{server.url}/energy?")  # the server's own address and scheme


def test_static_pages_are_served_from_files(server):
    page = requests.get(f"{server.url}/dashboard", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html"
    assert "<title>dashboard</title>" in page.text
    assert requests.get(f"{server.url}/missing", timeout=10).status_code == 404


# --- the command and the documented examples ---------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_server(tmp_path_factory):
    """`smarthome api --port 0` in its own process, on its own embedded server with synthetic rows."""
    home = tmp_path_factory.mktemp("smarthome-home")
    url = embedded_postgres.server_url(home / "postgres", "smarthome")
    process = None
    try:
        env = {**os.environ, "SMARTHOME_HOME": str(home)}
        command = [sys.executable, "-m", "smarthome_assets.cli.main", "api", "--port", "0"]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO, preexec_fn=ctrl_c_reaches_it
        )
        banner = [process.stdout.readline() for _ in range(2)]
        match = re.search(r" on (http://127\.0\.0\.1:\d+)", banner[0])
        assert match, banner
        load_synthetic(url)  # the command applied the migrations; the loader's job is faked here
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM weather")
            assert cur.fetchone()[0] > 0
        yield match.group(1), banner
    finally:
        if process is not None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=10)
        embedded_postgres.stop_server(home / "postgres")


def test_the_command_serves_the_api_as_the_reader_role(cli_server):
    base, banner = cli_server
    assert "smarthome_api_reader" in banner[1]
    assert requests.get(f"{base}/health", timeout=10).json() == {"status": "ok", "database": "ok"}
    assert requests.get(f"{base}/homes", timeout=10).json()["count"] == 2


def _documented_curl_commands() -> list[str]:
    text = (REPO / "docs" / "API.md").read_text()
    return [line.strip() for line in text.splitlines() if line.strip().startswith("curl ")]


def test_docs_list_curl_examples():
    assert len(_documented_curl_commands()) >= 8


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("command", _documented_curl_commands())
def test_documented_curl_examples_work_as_printed(cli_server, command):
    base, _ = cli_server
    argv = shlex.split(command.replace("http://127.0.0.1:8080", base))
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    output = done.stdout
    if "-i" in argv:
        assert output.startswith("HTTP/1.1 400") and '"parameter":"end"' in output
    elif "Accept: text/csv" in command:
        assert output.splitlines()[0].startswith("house_id,timeframe,time_raw,")
        assert len(output.splitlines()) == 11
    else:
        body = orjson.loads(output)
        assert "error" not in body
        if "data" in body:
            assert body["data"], command
