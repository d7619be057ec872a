"""The Lambda handler called by several threads at once, as the local server and the exports' in-process
API client do: every answer must be its own request's, cold (first call per route per thread) or warm.

Each round starts with `configure`, so every thread gets a fresh execution environment (new resolvers,
nothing cached on their routes yet) and its first call of each route takes the slow cold path. The
threads are released together by a barrier before every call, each asking for its own timeframe, home
and devices, and every answer is checked against what was asked: status, request id, rows, columns.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from lambda_api import queries, runtime
from lambda_api.config import ApiConfig
from lambda_api.handler import configure
from smarthome_assets_tests.support.api_database import (
    EVENT_BUILDERS,
    HOME_2_DEVICES,
    HOMES,
    ORIGIN,
    POWER,
    WEATHER,
    call,
    invoke,
)

THREADS = 8
ROUNDS = 4
WINDOW = timedelta(hours=3)  # 180 minutes per home
STEP = timedelta(hours=8)  # windows never overlap (the synthetic data spans 72 hours)
WAIT_SECONDS = 60
SWITCH_INTERVAL = 1e-5  # seconds
KEYS = ["house_id", "timeframe", "time_raw"]


def _configure(db) -> None:
    """A new configuration generation: every thread's next call starts a fresh (cold) environment."""
    configure(ApiConfig(database_url=db.reader_url, application_name="test-api-threads"))


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


class Ask:
    """One thread's request for one route, and what its answer must look like."""

    def __init__(self, version: str, thread: int, route: str):
        self.version = version
        self.route = route
        self.start = ORIGIN + thread * STEP
        self.end = self.start + WINDOW
        self.house = HOMES[thread % len(HOMES)]
        self.devices = [POWER[thread % len(POWER)], POWER[(thread + 3) % len(POWER)]]
        query: list[tuple[str, Any]] = [
            ("start", self.start.isoformat()),
            ("end", self.end.isoformat()),
            ("house_id", self.house),
        ]
        if route != "/weather":
            query += [("device", d) for d in self.devices]
        if route == "/energy/summary":
            query.append(("interval", "hour"))
        self.event = EVENT_BUILDERS[version](route, urlencode(query))
        self.request_id = self.event["requestContext"]["requestId"]

    def problems(self) -> list[str]:
        """Invoke the handler and list everything wrong with the answer (nothing: it was this request's)."""
        answer = invoke(self.event)
        shown = f"{self.version} {self.route} {self.start:%m-%dT%H}..{self.end:%H} home {self.house}"
        if answer.status != 200:
            return [f"{shown}: status {answer.status}: {answer.body[:200]}"]
        found: list[str] = []
        if answer.headers.get("x-request-id") != self.request_id:
            found.append(f"{shown}: request id {answer.headers.get('x-request-id')} != {self.request_id}")
        rows = answer.json()["data"]
        expected_rows = 3 if self.route == "/energy/summary" else int(WINDOW.total_seconds() // 60)
        if len(rows) != expected_rows:
            found.append(f"{shown}: {len(rows)} rows, expected {expected_rows}")
        time_key = "period_start" if self.route == "/energy/summary" else "timeframe"
        outside = [r[time_key] for r in rows if not self.start <= _parse(r[time_key]) < self.end]
        if outside:
            found.append(f"{shown}: rows outside the window, e.g. {outside[0]}")
        if any(r["house_id"] != self.house for r in rows):
            found.append(f"{shown}: rows of another home")
        if self.route == "/weather":
            columns = KEYS + WEATHER
        elif self.route == "/energy":
            columns = KEYS + self.devices
        else:
            columns = ["house_id", "period_start", "readings", *self.devices]
        if rows and list(rows[0]) != columns:
            found.append(f"{shown}: columns {list(rows[0])}, expected {columns}")
        return found


ROUTES = ("/weather", "/energy", "/energy/summary")


@pytest.fixture
def frequent_switches():
    """Let the interpreter switch threads every few microseconds instead of every 5 ms, so that a window
    between one thread's writing shared state and its reading it back is hit in a few rounds, not by luck."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    yield
    sys.setswitchinterval(before)


def _run_threads(api_db, version_of: Callable[[int], str]) -> list[str]:
    problems: list[str] = []
    lock = threading.Lock()
    new_round = threading.Barrier(THREADS, action=lambda: _configure(api_db), timeout=WAIT_SECONDS)
    go = threading.Barrier(THREADS, timeout=WAIT_SECONDS)

    def worker(thread: int) -> None:
        try:
            for _ in range(ROUNDS):
                new_round.wait()
                for calls in range(2):  # cold (first call of the route in this environment), then warm
                    for route in ROUTES:
                        ask = Ask(version_of(thread), thread, route)
                        go.wait()
                        found = ask.problems()
                        if found:
                            with lock:
                                problems.extend(f"thread {thread} ({'warm' if calls else 'cold'}): {p}" for p in found)
        except threading.BrokenBarrierError:
            pass
        except BaseException as exc:
            with lock:
                problems.append(f"thread {thread} raised {exc!r}")
            new_round.abort()
            go.abort()
        finally:
            runtime.current().db.close()

    workers = [threading.Thread(target=worker, args=(i,), name=f"api-thread-{i}") for i in range(THREADS)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=WAIT_SECONDS * ROUNDS * 2)
    assert not any(t.is_alive() for t in workers), "a worker thread hung"
    return problems


@pytest.mark.parametrize("mix", ["v2", "v1", "v1+v2"])
def test_concurrent_calls_get_their_own_answers(api_db, frequent_switches, mix):
    if mix == "v1+v2":
        problems = _run_threads(api_db, lambda thread: ("v1", "v2")[thread % 2])
    else:
        problems = _run_threads(api_db, lambda thread: mix)
    assert not problems, f"{len(problems)} wrong answers:\n" + "\n".join(problems[:20])


def test_configure_while_a_request_is_in_flight_leaves_it_its_environment(api_db, monkeypatch):
    """`configure` from another thread renews environments between requests, never in the middle of one."""
    _configure(api_db)
    in_route, configured = threading.Event(), threading.Event()
    home_exists = queries.home_exists

    def home_exists_after_configure(house_id: int):
        in_route.set()
        assert configured.wait(WAIT_SECONDS)
        return home_exists(house_id)

    monkeypatch.setattr(queries, "home_exists", home_exists_after_configure)
    answers: list[Any] = []
    request = threading.Thread(target=lambda: answers.append(call("v2", "/homes/2/devices")))
    request.start()
    assert in_route.wait(WAIT_SECONDS)
    _configure(api_db)
    configured.set()
    request.join(WAIT_SECONDS)
    (answer,) = answers
    assert answer.status == 200, answer.body
    assert [d["device"] for d in answer.json()["data"]] == list(HOME_2_DEVICES)
