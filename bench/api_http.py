"""The API benchmark over HTTP: keep-alive clients against local servers (`smarthome api`), the cache's three
cases (no cache, cold, warm) measured in interleaved rounds, and the CPU behind each p95.

Separate from `api_benchmark.py` (the data, the handler and the cold start) so each stays a readable size.
"""

from __future__ import annotations

import http.client
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import orjson

from bench.cpu_budget import CORES, CpuMeter
from smarthome_assets_tests.support.api_year import ROWS

DAY = timedelta(days=1)
FIRST_DAY = datetime(2016, 1, 2, tzinfo=UTC)  # full days of the year: 2016-01-02 .. 2016-12-15
LAST_DAY = datetime(2016, 12, 15, tzinfo=UTC)
REPO = Path(__file__).resolve().parent.parent
#: Days the warm case asks for, over and over (all in the cache after one pass).
HOT_DAYS = 20


def summary(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": statistics.median(ordered), "p95": p95, "n": len(ordered)}


def _window(start: datetime) -> tuple[str, str]:
    return start.date().isoformat(), (start + DAY).date().isoformat()


def one_day_windows(count: int, seed: int = 7) -> list[tuple[str, str]]:
    """Random whole UTC days of the year, as start/end query values."""
    rng = random.Random(seed)
    days = (LAST_DAY - FIRST_DAY).days
    return [_window(FIRST_DAY + DAY * rng.randrange(days)) for _ in range(count)]


def dealt_days(seed: int = 3) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The year's days shuffled: HOT_DAYS for the warm case, and the others."""
    days = [FIRST_DAY + DAY * i for i in range((LAST_DAY - FIRST_DAY).days + 1)]
    random.Random(seed).shuffle(days)
    return [_window(d) for d in days[:HOT_DAYS]], [_window(d) for d in days[HOT_DAYS:]]


def _client(url: str, requests: list[str], latencies: list[float], errors: list[str], served=None) -> None:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    for target in requests:
        t0 = time.perf_counter()
        conn.request("GET", target)
        response = conn.getresponse()
        body = response.read()
        latencies.append((time.perf_counter() - t0) * 1000)
        if response.status != 200:
            errors.append(f"{response.status} {body[:200]!r}")
        if served is not None:
            served[response.getheader("X-Api-Cache") or "not cached"] += 1
    conn.close()


def _run_clients(url: str, lists: list[list[str]], latencies=None, served=None) -> list[str]:
    errors: list[str] = []
    threads = [
        threading.Thread(target=_client, args=(url, t, latencies if latencies is not None else [], errors, served))
        for t in lists
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def measure_http(
    url: str, route: str, clients: int, per_client: int, cpu: CpuMeter | None = None, windows=None, extra: str = ""
) -> dict:
    """`clients` keep-alive connections, each sending `per_client` one-day requests back to back (`windows`:
    the days, in order; random days by default; `extra`: more query parameters), after each client's connection
    and a server worker are warmed on the year's last, partial day (which no measured request asks for, so a
    cold case stays cold). With a `cpu` meter, also the CPU per request of each process taking part (clients =
    this process)."""
    windows = windows or one_day_windows(clients * per_client, seed=clients * 1000 + len(route))
    wanted = [f"{route}?start={s}&end={e}{extra}" for s, e in windows[: clients * per_client]]
    errors = _run_clients(url, [[f"{route}?start=2016-12-16&end=2016-12-17"] * 3 for _ in range(clients)])
    latencies: list[float] = []
    served: Counter[str] = Counter()
    if cpu is not None:
        cpu.start()
    started = time.perf_counter()
    errors += _run_clients(
        url, [wanted[i * per_client : (i + 1) * per_client] for i in range(clients)], latencies, served
    )
    wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[0]}")
    result = {**summary(latencies), "rps": len(latencies) / wall, "served": dict(served)}
    if cpu is not None:
        cpu.stop()
        result["cpu_ms"] = {k: v * 1000 / len(latencies) for k, v in cpu.seconds.items()}
    return result


def cache_rounds(no_cache: tuple, cached: tuple, pgdata: Path, requests: int, rounds: int) -> dict[str, list[dict]]:
    """One day of /energy at 8 clients, interleaved: `no cache` (today's path, another server), `cold` (answers
    the cached server does not hold) and `warm` (HOT_DAYS days it holds); plus `warm, 1 client`. `no_cache`,
    `cached`: (process, url) of the two servers.

    The cold case asks for the same days as the no-cache one, in the same order, with `limit=1441+round`
    added: the same rows and the same work (a day has 1,440), but a request the cache has never seen, whatever
    the earlier rounds asked."""
    hot, others = dealt_days()
    per_client = max(5, min(requests, len(others)) // 8)
    (plain, plain_url), (server, url) = no_cache, cached
    results: dict[str, list[dict]] = {}
    for number in range(rounds):
        rng = random.Random(number)
        days = rng.sample(others, 8 * per_client)
        cases = {
            "no cache": (plain_url, plain, days, ""),
            "cold": (url, server, days, f"&limit={1441 + number}"),
            "warm": (url, server, [rng.choice(hot) for _ in range(8 * per_client)], ""),
        }
        for case, (target, process, windows, extra) in cases.items():
            if case == "warm":  # the hot days into the cache (the cold round's answers may have pushed them out)
                warm_up(url, "/energy", hot)
            meter = CpuMeter(pgdata=pgdata, processes={"API server": process.pid})
            results.setdefault(case, []).append(measure_http(target, "/energy", 8, per_client, meter, windows, extra))
        one = [rng.choice(hot) for _ in range(per_client * 4)]
        results.setdefault("warm, 1 client", []).append(measure_http(url, "/energy", 1, len(one), None, one))
    return results


def warm_up(url: str, route: str, days: list[tuple[str, str]]) -> None:
    """Ask for each day once (not timed), so that the cache holds them."""
    _run_clients(url, [[f"{route}?start={s}&end={e}" for s, e in days]])


def cpu_bound(clients: int, cpu_ms: dict[str, float], target_ms: float) -> str:
    """The profile behind the p95: CPU per request by process, and the mean latency that CPU forces.

    With every client always waiting and the cores the bottleneck, throughput is at most cores / CPU per
    request, so by Little's law the mean latency is at least clients x CPU per request / cores.
    """
    total = sum(cpu_ms.values())
    parts = ", ".join(f"{k} {v:.2f}" for k, v in cpu_ms.items())
    return (
        f"  CPU per request at {clients} clients: {total:.2f} ms ({parts}); on {CORES} cores the mean latency is "
        f">= {clients} x {total:.2f} / {CORES} = {clients * total / CORES:.1f} ms; a {target_ms:.0f} ms p95 needs "
        f"< {target_ms * CORES / clients:.1f} ms of CPU per request"
    )


def page_through_year(url: str, limit: int = 10_000) -> dict[str, float]:
    """Follow `next` links over the whole year (one device): rows, pages, seconds, and that the minutes
    come back strictly increasing with no gap."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    target: str | None = f"/energy?device=use_kw&limit={limit}"
    rows = pages = 0
    previous: datetime | None = None
    started = time.perf_counter()
    while target:
        conn.request("GET", target)
        body = orjson.loads(conn.getresponse().read())
        pages += 1
        for row in body["data"]:
            at = datetime.fromisoformat(row["timeframe"])
            if previous is not None and at - previous != timedelta(minutes=1):
                raise RuntimeError(f"gap or repeat between {previous} and {at}")
            previous = at
        rows += body["count"]
        target = urlsplit(body["next"])._replace(scheme="", netloc="").geturl() if body["next"] else None
    conn.close()
    if rows != ROWS:
        raise RuntimeError(f"paged {rows} rows, the table has {ROWS}")
    return {"rows": rows, "pages": pages, "seconds": time.perf_counter() - started}


def start_server(home: Path, database: str, cache_bytes: int | None = None) -> tuple[subprocess.Popen, str]:
    """`smarthome api` in a process of its own; `cache_bytes`: its SMARTHOME_API_CACHE_BYTES (None: the default)."""
    env = {**os.environ, "SMARTHOME_HOME": str(home)}
    if cache_bytes is not None:
        env["SMARTHOME_API_CACHE_BYTES"] = str(cache_bytes)
    cmd = [sys.executable, "-m", "smarthome_assets.cli.main", "api", "--port", "0", "--database", database]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
    line = process.stdout.readline() if process.stdout else ""
    if " on http://" not in line:
        process.kill()
        raise RuntimeError(f"the local server did not start: {line!r}")
    return process, line.rsplit(" on ", 1)[1].strip()


def stop_server(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
