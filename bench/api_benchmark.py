"""Latency of the API with a full synthetic year loaded (docs/BENCHMARKS.md): `python -m bench.api_benchmark`.

One-day `/energy` over HTTP at 1 and 8 clients: without the cache (today's path), cold (days the cache has
not seen) and warm (days it holds), in interleaved rounds on two servers; `/weather` warm; the handler
against the bare query + JSON encode; and a cold start. Figures move 10-20% between runs: the ratios count."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qsl

import orjson
import psycopg2

from bench import targets
from bench.api_http import (
    REPO,
    cache_rounds,
    cpu_bound,
    measure_http,
    one_day_windows,
    page_through_year,
    start_server,
    stop_server,
    summary,
    warm_up,
)
from smarthome_assets.homec import contract
from smarthome_assets.services import embedded_postgres
from smarthome_assets_tests.support.api_year import prepare

READER = "smarthome_api_reader"
P95_TARGET_MS = 20.0  # one day of /energy, 8 concurrent clients


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

    configure(ApiConfig(database_url=reader_url, application_name="bench-handler", cache_bytes=0))
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


def _report_cache(results: dict[str, list[dict]]) -> None:
    """Every case's latencies (the median round's), the targets with the spread over rounds, the CPU behind."""

    def median_round(runs: list[dict]) -> dict:
        return sorted(runs, key=lambda r: r["p95"])[(len(runs) - 1) // 2]

    print("HTTP, one day of /energy (1,440 rows x 18 devices), interleaved rounds (the median round's figures):")
    for case, runs in results.items():
        r = median_round(runs)
        p95s = ", ".join(f"{x['p95']:.1f}" for x in runs)
        print(
            f"  {case:<16} median {r['median']:6.2f} ms  p95 {r['p95']:6.2f} ms  {r['rps']:5.0f} req/s  "
            f"p95 by round: {p95s} ms; answered: {r['served']}"
        )
    warm = median_round(results["warm"])["p95"]
    ratios = sorted(c["p95"] / n["p95"] for c, n in zip(results["cold"], results["no cache"], strict=True))
    cold = statistics.median(ratios)
    cpu = sorted(
        sum(c["cpu_ms"].values()) / sum(n["cpu_ms"].values())
        for c, n in zip(results["cold"], results["no cache"], strict=True)
    )
    print(f"  CPU per request, cold / no cache, by round: {', '.join(f'{x:.2f}x' for x in cpu)}")
    targets.report(
        [
            targets.Target("API /energy one day, 8 clients, p95 warm", warm, P95_TARGET_MS, "ms"),
            targets.Target(
                "API /energy p95 cold / no cache (today's path)",
                cold,
                1.0,
                "x",
                spread=f"{ratios[0]:.2f}-{ratios[-1]:.2f}x over {len(ratios)} round(s); no-cache p95 "
                + ", ".join(f"{n['p95']:.1f}" for n in results["no cache"])
                + " ms",
            ),
        ]
    )
    for case in ("no cache", "cold", "warm"):
        print(f"  {case}:" + cpu_bound(8, median_round(results[case])["cpu_ms"], P95_TARGET_MS)[1:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="reuse this SMARTHOME_HOME (kept, year loaded once)")
    parser.add_argument("--database", default="smarthome_bench")
    parser.add_argument("--requests", type=int, default=320, help="requests per case and round at 8 clients")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the cache's cases")
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
        plain = start_server(home, args.database, cache_bytes=0)
        cached = start_server(home, args.database)
        try:
            _report_cache(cache_rounds(plain, cached, home / "postgres", args.requests, args.rounds))
            weather_days = one_day_windows(20, seed=5)
            warm_up(cached[1], "/weather", weather_days)
            weather = measure_http(cached[1], "/weather", 8, 20, windows=weather_days * 8)
            _print("HTTP, one day of /weather, 8 clients, 20 days over and over (warm)", {"warm": weather})
            year = page_through_year(cached[1])
            print(
                f"HTTP, the whole year of /energy?device=use_kw by next links (open timeframe: never cached): "
                f"{year['rows']:,} rows in {year['pages']:.0f} pages, {year['seconds']:.1f} s, no gap or repeat"
            )
        finally:
            stop_server(plain[0])
            stop_server(cached[0])
        direct = measure_handler(reader_url, args.iterations)
        _print("Direct, one day of /energy (1,440 rows x 18 devices), no cache", direct)
        ratio = direct["handler"]["median"] / direct["bare query + encode"]["median"]
        print(f"  handler / (bare query + encode), medians: {ratio:.2f}x (issue 11's target <= 1.0x)")
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
