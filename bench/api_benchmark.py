"""Latency of the API with a full synthetic year loaded (docs/BENCHMARKS.md): `python -m bench.api_benchmark`.

One-day `/energy` and `/weather` over HTTP at 1 and 8 clients (median, p95, requests per second), the
handler against the bare query + JSON encode, and a cold start. Figures move 10-20% between runs: the
ratios count."""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import orjson
import psycopg2

from bench.cpu_budget import CORES, CpuMeter
from smarthome_assets.homec import contract
from smarthome_assets.services import embedded_postgres
from smarthome_assets_tests.support.api_year import ROWS, prepare

READER = "smarthome_api_reader"
DAY = timedelta(days=1)
FIRST_DAY = datetime(2016, 1, 2, tzinfo=UTC)  # full days of the year: 2016-01-02 .. 2016-12-15
LAST_DAY = datetime(2016, 12, 15, tzinfo=UTC)
REPO = Path(__file__).resolve().parent.parent
P95_TARGET_MS = 20.0  # one day of /energy, 8 concurrent clients


# --- data ----------------------------------------------------------------------------------------------


def one_day_windows(count: int, seed: int = 7) -> list[tuple[str, str]]:
    """Random whole UTC days of the year, as start/end query values."""
    rng = random.Random(seed)
    days = (LAST_DAY - FIRST_DAY).days
    starts = [FIRST_DAY + DAY * rng.randrange(days) for _ in range(count)]
    return [(s.date().isoformat(), (s + DAY).date().isoformat()) for s in starts]


# --- statistics ------------------------------------------------------------------------------------------


def summary(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": statistics.median(ordered), "p95": p95, "n": len(ordered)}


# --- the handler, directly -------------------------------------------------------------------------------


def _v2(path: str, query: str) -> dict:
    """An HTTP API event as API Gateway sends it (both the raw and the parsed query)."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "queryStringParameters": dict(parse_qsl(query)),
        "headers": {"host": "bench.local", "x-forwarded-proto": "http"},
        "requestContext": {
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "b"},
            "requestId": "bench",
            "routeKey": "$default",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def measure_handler(reader_url: str, iterations: int) -> dict[str, dict[str, float]]:
    """Handler vs bare query + orjson, interleaved so both see the same cache and machine state."""
    from lambda_api.config import ApiConfig
    from lambda_api.handler import configure, handler

    configure(ApiConfig(database_url=reader_url, application_name="bench-handler"))
    columns = ["house_id", "timeframe", "time_raw", *(c.name for c in contract.POWER_COLUMNS)]
    sql = (
        f"SELECT {', '.join(columns)} FROM energy_consuming_device WHERE timeframe >= %s AND timeframe < %s "
        "ORDER BY house_id, timeframe"
    )
    baseline_conn = psycopg2.connect(reader_url)
    windows = one_day_windows(iterations + 5, seed=11)
    handler_ms, query_ms, encode_ms = [], [], []
    sizes = set()
    for index, (start, end) in enumerate(windows):
        t0 = time.perf_counter()
        result = handler(_v2("/energy", f"start={start}&end={end}"), None)
        t1 = time.perf_counter()
        with baseline_conn.cursor() as cur:
            cur.execute(sql, (start, end))
            rows = cur.fetchall()
        t2 = time.perf_counter()
        body = orjson.dumps([dict(zip(columns, row, strict=True)) for row in rows])
        t3 = time.perf_counter()
        assert result["statusCode"] == 200 and len(rows) == contract.MINUTES_PER_DAY, result["statusCode"]
        sizes.add((len(result["body"]), len(body)))
        if index >= 5:  # warm-up: first connection, first route resolution
            handler_ms.append((t1 - t0) * 1000)
            query_ms.append((t2 - t1) * 1000)
            encode_ms.append((t3 - t2) * 1000)
    baseline_conn.close()
    bare = [q + e for q, e in zip(query_ms, encode_ms, strict=True)]
    return {
        "handler": summary(handler_ms),
        "bare query": summary(query_ms),
        "orjson encode": summary(encode_ms),
        "bare query + encode": summary(bare),
    }


# --- cold start ------------------------------------------------------------------------------------------

_COLD = """
import json, sys, time
t0 = time.perf_counter()
from lambda_api.handler import configure, handler
from lambda_api.config import ApiConfig
t1 = time.perf_counter()
configure(ApiConfig(database_url=sys.argv[1], application_name="bench-cold"))
status = handler(json.loads(sys.argv[2]), None)["statusCode"]
t2 = time.perf_counter()
assert status == 200, status
print(f"{(t1 - t0) * 1000:.1f} {(t2 - t1) * 1000:.1f}")
"""


def measure_cold_start(reader_url: str, python: str, path: Path, runs: int) -> dict[str, dict[str, float]] | None:
    """Import + first one-day request in fresh interpreters; `path` is what they import lambda_api from."""
    imports, firsts, totals = [], [], []
    for _ in range(runs):
        env = {**os.environ, "PYTHONPATH": str(path), "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("PYENV_VERSION", None)
        event = orjson.dumps(_v2("/energy", "start=2016-06-01&end=2016-06-02")).decode()
        done = subprocess.run(
            [python, "-c", _COLD, reader_url, event], capture_output=True, text=True, env=env, check=False
        )
        if done.returncode != 0:
            print(f"cold start with {python} failed: {done.stderr.strip()[-400:]}")
            return None
        imported, first = (float(x) for x in done.stdout.split())
        imports.append(imported)
        firsts.append(first)
        totals.append(imported + first)
    return {"import": summary(imports), "first request": summary(firsts), "cold start": summary(totals)}


# --- over HTTP -------------------------------------------------------------------------------------------


def _client(url: str, requests: list[str], latencies: list[float], errors: list[str]) -> None:
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
    conn.close()


def measure_http(url: str, route: str, clients: int, per_client: int, cpu: CpuMeter | None = None) -> dict:
    """`clients` keep-alive connections, each sending `per_client` one-day requests back to back; with a
    `cpu` meter, also the CPU per request of each process taking part (clients = this process)."""
    windows = one_day_windows(clients * per_client, seed=clients * 1000 + len(route))
    targets = [f"{route}?start={s}&end={e}" for s, e in windows]
    latencies: list[float] = []
    errors: list[str] = []
    # warm every worker (its connection and resolvers) before timing, as a warm Lambda would be
    warm = [threading.Thread(target=_client, args=(url, targets[:3], [], errors)) for _ in range(clients)]
    for thread in warm:
        thread.start()
    for thread in warm:
        thread.join()
    threads = [
        threading.Thread(target=_client, args=(url, targets[i * per_client : (i + 1) * per_client], latencies, errors))
        for i in range(clients)
    ]
    if cpu is not None:
        cpu.start()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[0]}")
    result = {**summary(latencies), "rps": len(latencies) / wall}
    if cpu is not None:
        cpu.stop()
        result["cpu_ms"] = {k: v * 1000 / len(latencies) for k, v in cpu.seconds.items()}
    return result


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


def start_server(home: Path, database: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "SMARTHOME_HOME": str(home)}
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


# --- main ------------------------------------------------------------------------------------------------


def _print(title: str, results: dict[str, dict[str, float]]) -> None:
    print(title)
    for name, stats in results.items():
        extra = f", {stats['rps']:.0f} req/s" if "rps" in stats else ""
        print(f"  {name:<28} median {stats['median']:7.2f} ms   p95 {stats['p95']:7.2f} ms   (n={stats['n']}){extra}")


def _python312() -> str | None:
    for candidate in ("python3.12", str(Path.home() / ".pyenv/versions/3.12.1/bin/python3.12")):
        found = shutil.which(candidate) or (candidate if Path(candidate).exists() else None)
        if found and subprocess.run([found, "--version"], capture_output=True, check=False).returncode == 0:
            return found
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="reuse this SMARTHOME_HOME (kept, year loaded once)")
    parser.add_argument("--database", default="smarthome_bench")
    parser.add_argument("--requests", type=int, default=400, help="requests per route and concurrency level")
    parser.add_argument("--iterations", type=int, default=200, help="direct handler invocations")
    parser.add_argument(
        "--zip",
        type=Path,
        default=REPO / "build" / "lambda_api.zip",
        help="deployment zip for the python3.12 cold start (skipped when absent)",
    )
    args = parser.parse_args(argv)

    temporary = args.home is None
    home = Path(tempfile.mkdtemp(prefix="api-bench-")) if temporary else args.home.resolve()
    try:
        prepare(home, args.database)
        reader_url = embedded_postgres.socket_url(str(home / "postgres"), args.database, READER)
        process, url = start_server(home, args.database)
        try:
            p95 = {}
            meter = CpuMeter(pgdata=home / "postgres", processes={"API server": process.pid})
            for route in ("/energy", "/weather"):
                results = {
                    f"{n} client(s)": measure_http(
                        url, route, n, max(10, args.requests // n), meter if n == 8 else None
                    )
                    for n in (1, 8)
                }
                _print(f"HTTP, one day of {route} (1,440 rows), local server {url}", results)
                p95[route] = results["8 client(s)"]["p95"]
                print(cpu_bound(8, results["8 client(s)"]["cpu_ms"], P95_TARGET_MS))
            ratio = p95["/energy"] / P95_TARGET_MS
            print(f"  /energy p95 at 8 clients / {P95_TARGET_MS:.0f} ms: {ratio:.2f}x (target <= 1.0x)")
            year = page_through_year(url)
            print(
                f"HTTP, the whole year of /energy?device=use_kw by next links: {year['rows']:,} rows in "
                f"{year['pages']:.0f} pages, {year['seconds']:.1f} s, no gap or repeat"
            )
        finally:
            stop_server(process)
        direct = measure_handler(reader_url, args.iterations)
        _print("Direct, one day of /energy (1,440 rows x 18 devices)", direct)
        ratio = direct["handler"]["median"] / direct["bare query + encode"]["median"]
        print(f"  handler / (bare query + encode), medians: {ratio:.2f}x (target <= 1.0x)")
        cold = measure_cold_start(reader_url, sys.executable, REPO, runs=5)
        if cold:
            _print(f"Cold start, {Path(sys.executable).name} {sys.version.split()[0]}, from the source tree", cold)
        python312 = _python312()
        if python312 and args.zip.exists():
            with tempfile.TemporaryDirectory(prefix="lambda-zip-") as unpacked:
                shutil.unpack_archive(args.zip, unpacked)
                cold = measure_cold_start(reader_url, python312, Path(unpacked), runs=5)
                if cold:
                    _print(f"Cold start, python3.12 from {args.zip.name} (manylinux wheels)", cold)
        else:
            print("Cold start from the zip skipped: run `make lambda-zip` (and have python3.12) first")
    finally:
        if temporary:
            embedded_postgres.stop_server(home / "postgres")
            shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
