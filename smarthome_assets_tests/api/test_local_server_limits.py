"""The local server under hostile clients, over real sockets on loopback: what it refuses itself is JSON
(414, 431, 408), idle keep-alive clients and clients that send their headers slowly do not starve the
others, and with an API key configured the dashboard page needs it too."""

from __future__ import annotations

import base64
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import orjson
import pytest
import requests

from lambda_api.config import ApiConfig
from lambda_api.handler import configure
from smarthome_assets.local_api.server import LocalApiServer, start_in_thread

WORKERS = 4


@pytest.fixture
def server(api_db, tmp_path):
    page = tmp_path / "dashboard.html"
    page.write_text("<!doctype html><title>dashboard</title>")
    srv = LocalApiServer(("127.0.0.1", 0), static_pages={"/dashboard": page}, workers=WORKERS, header_timeout=2.0)
    start_in_thread(srv)
    yield srv
    srv.shutdown()
    srv.server_close()


def _raw(server, data: bytes, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes on a new connection; read one response (status, lower-case headers, body)."""
    with socket.create_connection(server.server_address[:2], timeout=timeout) as conn:
        conn.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = conn.recv(65_536)
            if not chunk:
                break
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        while len(body) < int(headers.get("content-length", 0)):
            chunk = conn.recv(65_536)
            if not chunk:
                break
            body += chunk
        return int(lines[0].split()[1]), headers, body


def _is_json_error(status: int, headers: dict[str, str], body: bytes, expected: int) -> None:
    assert status == expected and headers["content-type"] == "application/json", (status, body[:200])
    document = orjson.loads(body)
    assert document["error"]["status"] == expected and document["request_id"] == headers["x-request-id"]


def test_a_request_line_too_long_is_a_json_414(server):
    _is_json_error(*_raw(server, b"GET /energy?start=" + b"2" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"), 414)


def test_headers_too_large_or_too_many_are_a_json_431(server):
    huge = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n"
    _is_json_error(*_raw(server, huge), 431)
    many = b"GET /health HTTP/1.1\r\n" + b"".join(b"X-H%d: 1\r\n" % i for i in range(150)) + b"\r\n"
    _is_json_error(*_raw(server, many), 431)
    assert requests.get(f"{server.url}/health", timeout=5).status_code == 200


def test_a_malformed_request_line_is_a_json_400(server):
    _is_json_error(*_raw(server, b"GARBAGE\r\n\r\n"), 400)


def test_idle_keep_alive_clients_beyond_the_pool_do_not_starve_others(server):
    sessions = [requests.Session() for _ in range(WORKERS * 3)]  # each keeps its connection open, idle
    try:
        with ThreadPoolExecutor(len(sessions)) as pool:
            assert all(s == 200 for s in pool.map(lambda s: s.get(f"{server.url}/health", timeout=10).status_code,
                                                  sessions))  # fmt: skip
        began = time.monotonic()
        assert requests.get(f"{server.url}/energy?limit=5", timeout=10).status_code == 200
        assert time.monotonic() - began < 1.5  # http.server: a worker per idle connection, about 5 s here
        assert all(s.get(f"{server.url}/health", timeout=10).status_code == 200 for s in sessions)  # still alive
    finally:
        for session in sessions:
            session.close()


def test_the_issue_probe_48_keep_alive_clients_on_32_workers(api_db):
    """The probe as filed: 48 keep-alive clients, each pausing between requests, on the default pool of 32
    (one request took 19 s on a thread per connection)."""
    srv = LocalApiServer(("127.0.0.1", 0), workers=32)
    start_in_thread(srv)

    def client(_: int) -> float:
        worst = 0.0
        with requests.Session() as session:
            for _ in range(10):
                began = time.monotonic()
                assert session.get(f"{srv.url}/energy?limit=10", timeout=30).status_code == 200
                worst = max(worst, time.monotonic() - began)
                time.sleep(0.3)  # idle on a kept-alive connection
        return worst

    try:
        with ThreadPoolExecutor(48) as pool:
            worst = max(pool.map(client, range(48)))
    finally:
        srv.shutdown()
        srv.server_close()
    assert worst < 2.0, worst  # a thread per connection: the last 16 wait for whole sessions (> 3 s)


def _slow_client(server, stop: threading.Event) -> None:
    """Sends a request head one byte at a time, never finishing it (slowloris)."""
    try:
        with socket.create_connection(server.server_address[:2], timeout=10) as conn:
            conn.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            while not stop.wait(0.2):
                conn.sendall(b"X")
    except OSError:
        return  # the server closed it: what should happen after header_timeout


def test_slow_header_clients_do_not_block_health_and_are_cut_off(server):
    stop = threading.Event()
    slow = [threading.Thread(target=_slow_client, args=(server, stop)) for _ in range(WORKERS * 2)]
    for thread in slow:
        thread.start()
    try:
        time.sleep(0.5)
        began = time.monotonic()
        assert requests.get(f"{server.url}/health", timeout=10).status_code == 200
        assert time.monotonic() - began < 1.0
        with socket.create_connection(server.server_address[:2], timeout=10) as conn:
            conn.sendall(b"GET /health HTTP/1.1\r\n")
            began = time.monotonic()
            answer = conn.recv(65_536)  # nothing more is sent: the server gives up after header_timeout
        assert answer.startswith(b"HTTP/1.1 408") and time.monotonic() - began < 4
    finally:
        stop.set()
        for thread in slow:
            thread.join(15)


def test_head_over_http_has_the_get_length_and_no_body(server):
    get = requests.get(f"{server.url}/energy?limit=3", timeout=10)
    status, headers, body = _raw(server, b"HEAD /energy?limit=3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status == 200 and body == b"" and headers["content-length"] == str(len(get.content))


@pytest.fixture
def keyed(api_db):
    configure(ApiConfig(database_url=api_db.reader_url, application_name="test-api-limits", api_key="k3y-local"))
    yield "k3y-local"
    configure(ApiConfig(database_url=api_db.reader_url, application_name="test-api-limits"))


def test_the_dashboard_needs_the_api_key_when_one_is_configured(server, keyed):
    refused = requests.get(f"{server.url}/dashboard", timeout=10)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Basic ")
    assert refused.json()["error"]["status"] == 401 and "dashboard" not in refused.text
    assert requests.get(f"{server.url}/dashboard", headers={"x-api-key": "wrong"}, timeout=10).status_code == 401
    by_header = requests.get(f"{server.url}/dashboard", headers={"x-api-key": keyed}, timeout=10)
    assert by_header.status_code == 200 and "<title>dashboard</title>" in by_header.text
    basic = base64.b64encode(f"any:{keyed}".encode()).decode()
    by_browser = requests.get(f"{server.url}/dashboard", headers={"Authorization": f"Basic {basic}"}, timeout=10)
    assert by_browser.status_code == 200
    assert requests.get(f"{server.url}/energy?limit=1", timeout=10).status_code == 403
    assert requests.get(f"{server.url}/health", timeout=10).status_code == 200


def test_without_a_key_the_dashboard_is_open(server):
    assert requests.get(f"{server.url}/dashboard", timeout=10).status_code == 200
