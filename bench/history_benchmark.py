"""Years of history: does a one-day API read, and a one-day load, stay flat as the years add up? (docs/SCALE.md)

Three databases on one embedded server, filled by PostgreSQL itself (generate_series, like bench/api_benchmark):
`one_year` and `three_years` with the monthly partitions of migration 0006 (`--homes` homes, 10 by default),
and with `--compare` `three_years_flat`, the same three years in the tables as they were before 0006. Each
is read by the real Lambda handler in a process of its own (a warm Lambda environment), and requests
alternate between them (a random home and day each), so every database sees the same machine state.
The handler's cache of past days is off: every request reads PostgreSQL. Then one day of every home is loaded
again through the loader (database/loading.py: delete + binary COPY, row counts, statistics), alternating
between the partitioned databases in the same way (the loader needs the partitions' migrations).

Target (issue 19): the API's one-day p95 on three years <= 1.2x its p95 on one year.

    python -m bench.history_benchmark [--homes 10] [--requests 300] [--loads 5] [--compare] [--keep DIR]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import shutil
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg2

from bench.api_benchmark import _v2
from bench.api_http import summary
from smarthome_assets.database.connection import PostgresUrl
from smarthome_assets.database.loading import load_range
from smarthome_assets.database.migrate import MIGRATIONS_PACKAGE, available_migrations
from smarthome_assets.homec import contract
from smarthome_assets.services import embedded_postgres

FIRST = date(2016, 1, 1)
TARGET = 1.2


def _migrate(url: str, partitioned: bool) -> None:
    """All migrations, or those before the partitions (the tables as they were)."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, checksum text NOT NULL, "
            "applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for migration in available_migrations(MIGRATIONS_PACKAGE):
            if not partitioned and migration.version >= "0006":
                break
            cur.execute(migration.sql)
            cur.execute("INSERT INTO schema_migrations VALUES (%s, %s)", (migration.version, migration.checksum))


def _fill(url: str, homes: int, days: int, partitioned: bool) -> float:
    """`homes` homes, a reading a minute for `days` days from 2016-01-01, in SQL; returns seconds taken."""
    started = time.perf_counter()
    power = ", ".join(c.name for c in contract.POWER_COLUMNS)
    power_values = ", ".join(f"((i * {7 + k} + h * 13) % 1000) / 400.0" for k in range(len(contract.POWER_COLUMNS)))
    numbers = [c for c in contract.WEATHER_COLUMNS if c.name not in ("icon", "summary")]
    weather_values = ", ".join(f"{(c.low or 0.0) + 1} + ((i / 58 + {k}) % 20)" for k, c in enumerate(numbers))
    minutes = days * contract.MINUTES_PER_DAY
    origin = "timestamptz '2016-01-01 00:00:00+00'"
    source = f"FROM generate_series(1, {homes}) AS h, generate_series(0, {minutes - 1}) AS i"
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        if partitioned:
            cur.execute("SELECT ensure_month_partitions(%s, %s)", (FIRST, FIRST + timedelta(days=days - 1)))
        cur.execute(
            "INSERT INTO home (house_id, name, source_file) "
            f"SELECT h, 'home ' || h, 'generate_series' FROM generate_series(1, {homes}) AS h"
        )
        cur.execute(
            f"INSERT INTO energy_consuming_device (house_id, timeframe, time_raw, {power}) "
            f"SELECT h, {origin} + i * interval '1 minute', i, {power_values} {source}"
        )
        cur.execute(
            f"INSERT INTO weather (house_id, timeframe, time_raw, icon, summary, {', '.join(c.name for c in numbers)}) "
            f"SELECT h, {origin} + i * interval '1 minute', i, 'clear-day', 'Clear', {weather_values} {source}"
        )
        cur.execute("VACUUM ANALYZE")
    conn.close()
    return time.perf_counter() - started


def _size(url: str) -> str:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database())), count(*) FROM pg_inherits")
        size, partitions = cur.fetchone()
    return f"{size}, {partitions} partitions"


def _api_worker(url: str, pipe) -> None:
    """The Lambda handler configured for one database, in a process of its own (a warm Lambda environment):
    for each (home, day) received, one day of /energy; sends back the milliseconds it took."""
    from lambda_api.config import ApiConfig
    from lambda_api.handler import configure, handler

    configure(ApiConfig(database_url=url, application_name="bench-history", cache_bytes=0))
    while (job := pipe.recv()) is not None:
        house, day = job
        query = f"house_id={house}&start={day}&end={day + timedelta(days=1)}&limit=2000"
        started = time.perf_counter()
        result = handler(_v2("/energy", query), None)
        elapsed = (time.perf_counter() - started) * 1000
        assert result["statusCode"] == 200 and '"count":1440' in result["body"], result["statusCode"]
        pipe.send(elapsed)


class Api:
    """A handler process per database, asked one request at a time."""

    def __init__(self, url: str):
        self.pipe, theirs = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("spawn").Process(target=_api_worker, args=(url, theirs))
        self.process.start()

    def day(self, house: int, day: date) -> float:
        self.pipe.send((house, day))
        return self.pipe.recv()

    def close(self) -> None:
        self.pipe.send(None)
        self.process.join(timeout=30)


def _arrow_day(url: str, day: date):
    """Every home's rows of one day, as the loader's batch readers (read back from the database)."""
    import pyarrow as pa

    from smarthome_assets.cleaning.rules import ENERGY_SCHEMA, WEATHER_SCHEMA

    tables = {}
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for dataset, table, schema in (
            ("weather", "weather", WEATHER_SCHEMA),
            ("energy", "energy_consuming_device", ENERGY_SCHEMA),
        ):
            columns = ", ".join(schema.names)
            cur.execute(
                f"SELECT {columns} FROM {table} WHERE timeframe >= %s AND timeframe < %s ORDER BY house_id, timeframe",
                (day, day + timedelta(days=1)),
            )
            rows = cur.fetchall()
            tables[dataset] = pa.Table.from_pylist([dict(zip(schema.names, r, strict=True)) for r in rows], schema)
    return {d: (lambda t=t: pa.RecordBatchReader.from_batches(t.schema, t.to_batches())) for d, t in tables.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--homes", type=int, default=10)
    parser.add_argument("--requests", type=int, default=300, help="one-day requests per database")
    parser.add_argument("--loads", type=int, default=5, help="one-day loads per database")
    parser.add_argument("--compare", action="store_true", help="also three years in unpartitioned tables")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (the data is made once)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="smarthome-history-"))
    pgdata = work / "postgres"
    variants = {"one_year": (365, True), "three_years": (3 * 365, True)}
    if args.compare:
        variants["three_years_flat"] = (3 * 365, False)
    apis: dict[str, Api] = {}
    urls: dict[str, str] = {}
    try:
        for name, (days, partitioned) in variants.items():
            url = urls[name] = embedded_postgres.server_url(pgdata, name)
            with psycopg2.connect(url) as conn, conn.cursor() as cur:
                cur.execute("SELECT to_regclass('home') IS NOT NULL")
                migrated = cur.fetchone()[0]
            if not migrated:
                _migrate(url, partitioned)
                seconds = _fill(url, args.homes, days, partitioned)
                print(f"{name}: {args.homes} homes x {days} days made in {seconds:.0f} s")
            print(f"{name}: {_size(url)}", flush=True)
            apis[name] = Api(url)
        rng = random.Random(7)
        latencies: dict[str, list[float]] = {name: [] for name in variants}
        for i in range(args.requests + 10):
            for name, (days, _) in variants.items():
                ms = apis[name].day(rng.randint(1, args.homes), FIRST + timedelta(days=rng.randrange(days)))
                if i >= 10:  # warm-up
                    latencies[name].append(ms)
        loads: dict[str, list[float]] = {name: [] for name, (_, partitioned) in variants.items() if partitioned}
        for i in range(args.loads):
            for name, (days, partitioned) in variants.items():
                if not partitioned:
                    continue  # the loader needs the migrations after the partitions; the API is compared alone
                day = FIRST + timedelta(days=days - 1 - i)  # the newest days, as a live load would
                readers = _arrow_day(urls[name], day)
                started = time.perf_counter()
                load_range(PostgresUrl(database_url=urls[name]), readers, list(range(1, args.homes + 1)), [day])
                loads[name].append(time.perf_counter() - started)
    finally:
        for api in apis.values():
            api.close()
        embedded_postgres.stop_server(pgdata)
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    _report(args, latencies, loads)


def _report(args: argparse.Namespace, latencies: dict[str, list[float]], loads: dict[str, list[float]]) -> None:
    print()
    print(f"One day of /energy (1,440 rows, one home), the Lambda handler, {args.requests} requests each, interleaved:")
    stats = {name: summary(values) for name, values in latencies.items()}
    for name, s in stats.items():
        print(f"  {name:18} p50 {s['median']:6.1f} ms  p95 {s['p95']:6.1f} ms  max {max(latencies[name]):6.1f} ms")
    ratio = stats["three_years"]["p95"] / stats["one_year"]["p95"]
    print(
        f"  three years / one year, p95: {ratio:.2f}x (target <= {TARGET}x: {'met' if ratio <= TARGET else 'NOT met'})"
    )
    if "three_years_flat" in stats:
        flat = stats["three_years_flat"]["p95"] / stats["one_year"]["p95"]
        print(f"  three years unpartitioned / one year, p95: {flat:.2f}x")
    print(f"One day of {args.homes} homes loaded again (delete + COPY + statistics), {args.loads} times each:")
    for name, values in loads.items():
        print(f"  {name:18} median {statistics.median(values):.2f} s  max {max(values):.2f} s")
    growth = statistics.median(loads["three_years"]) / statistics.median(loads["one_year"])
    print(f"  three years / one year: {growth:.2f}x")


if __name__ == "__main__":
    main()
