"""Export a full synthetic year through the API and load it into the warehouse, against direct COPYs
(docs/BENCHMARKS.md): the baseline moves the same bytes with COPY out and COPY in, the pipeline is what
`daily_exports` + `redshift_tables` do, and the reload replaces every day again. Each measurement runs in
its own subprocess; fewer days show that memory does not grow with them.

    python -m bench.export_warehouse_benchmark [--days 351] [--memory-days 30,120] [--keep DIR]"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg2

from bench import targets
from bench.cpu_budget import CORES, CpuMeter, describe

YEAR_DAYS = 351
FIRST_DAY = date(2016, 1, 1)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fresh_database(pgdata: Path, name: str) -> str:
    from smarthome_assets.services import embedded_postgres

    return embedded_postgres.recreate_database(pgdata, name)


def _days(count: int) -> list[date]:
    return [FIRST_DAY + timedelta(days=i) for i in range(count)]


# --- setup ------------------------------------------------------------------------------------------


def prepare(work: Path) -> str:
    """A generated year in the operational database `smarthome` (reused when --keep finds it)."""
    import dagster as dg

    from smarthome_assets.defs.ingestion import assets as ingestion_assets
    from smarthome_assets.homec.generator import generate_homes

    ASSETS = dg.load_assets_from_modules([ingestion_assets])
    from smarthome_assets.database.connection import PostgresUrl
    from smarthome_assets.ingestion.sources import HomeCSources
    from smarthome_assets.lib.partitions import range_tags
    from smarthome_assets.services import embedded_postgres
    from smarthome_assets.storage.object_store import LocalObjectStore

    pgdata = work / "pg"
    marker = work / "ingested"
    url = embedded_postgres.server_url(pgdata, "smarthome")
    if marker.exists():
        return url
    files = generate_homes(work / "data", homes=1)
    resources = {
        "object_store": LocalObjectStore(root=str(work / "ingest-store")),
        "postgres": PostgresUrl(database_url=url),
        "sources": HomeCSources(paths=[str(f) for f in files]),
    }
    result = dg.materialize(
        ASSETS,
        resources=resources,
        tags=range_tags(FIRST_DAY, _days(YEAR_DAYS)[-1]),
        instance=dg.DagsterInstance.ephemeral(),
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},  # setup: no step chatter
    )
    if not result.success:
        sys.exit("ingesting the generated year failed")
    marker.touch()
    return url


# --- the measurements, each in a child process ------------------------------------------------------


def run_baseline(work: Path, source_url: str, days: int) -> dict:
    """COPY TO STDOUT (spooled to a file) then COPY FROM STDIN into the staging tables, both tables."""
    from smarthome_assets.database.connection import PostgresUrl
    from smarthome_assets.exports.layout import EXPORT_COLUMNS
    from smarthome_assets.storage.object_store import LocalObjectStore
    from smarthome_assets.warehouse.loader import ensure_schema
    from smarthome_assets.warehouse.resource import PostgresWarehouse

    target = _fresh_database(work / "pg", "bench_baseline")
    ensure_schema(PostgresWarehouse(database=PostgresUrl(database_url=target)), LocalObjectStore(root=str(work)))
    start, end = f"{FIRST_DAY}T00:00:00Z", f"{FIRST_DAY + timedelta(days=days)}T00:00:00Z"
    sources = {"weather": ("weather", "stg_weather"), "energy": ("energy_consuming_device", "stg_energy")}
    meter = CpuMeter(pgdata=work / "pg").start()
    started = time.perf_counter()
    with psycopg2.connect(source_url) as src, psycopg2.connect(target) as dst:
        for table, (source, staging) in sources.items():
            columns = ", ".join(EXPORT_COLUMNS[table])
            spool = work / f"baseline_{table}.csv"
            with open(spool, "w+b") as handle, src.cursor() as out, dst.cursor() as into:
                out.copy_expert(
                    f"COPY (SELECT {columns} FROM {source} WHERE timeframe >= '{start}' AND timeframe < "
                    f"'{end}' ORDER BY house_id, timeframe) TO STDOUT WITH (FORMAT csv)",
                    handle,
                )
                handle.seek(0)
                into.copy_expert(f"COPY {staging} ({columns}) FROM STDIN WITH (FORMAT csv)", handle, size=1 << 20)
            spool.unlink()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_rss_mb": _peak_rss_mb(), "cpu": meter.stop().seconds}


def run_pipeline(work: Path, source_url: str, days: int) -> dict:
    """daily_exports + redshift_tables for `days`, on a fresh store and an empty warehouse; then a reload."""
    from smarthome_assets.database.connection import PostgresUrl
    from smarthome_assets.exports.api_client import ApiClient
    from smarthome_assets.exports.writer import export_days
    from smarthome_assets.storage.object_store import LocalObjectStore
    from smarthome_assets.warehouse.loader import load_days
    from smarthome_assets.warehouse.resource import PostgresWarehouse

    store_dir = work / f"store-{days}"
    subprocess.run(["rm", "-rf", str(store_dir)], check=True)
    store = LocalObjectStore(root=str(store_dir))
    warehouse = PostgresWarehouse(database=PostgresUrl(database_url=_fresh_database(work / "pg", f"bench_wh_{days}")))
    client = ApiClient(database=PostgresUrl(database_url=source_url))
    span = _days(days)
    export_cpu = CpuMeter(pgdata=work / "pg").start()
    started = time.perf_counter()
    session = client.open()
    report = export_days(session, store, span, page_rows=client.page_rows, concurrency=client.concurrency)
    session.close()
    exported = time.perf_counter()
    export_cpu.stop()
    load_cpu = CpuMeter(pgdata=work / "pg").start()
    load_started = time.perf_counter()
    loaded = load_days(warehouse, store, span)
    finished = time.perf_counter()
    load_cpu.stop()
    reload_started = time.perf_counter()
    reloaded = load_days(warehouse, store, span)
    return {
        "export_seconds": exported - started,
        "load_seconds": finished - load_started,
        "copy_seconds": loaded.seconds["copy"],
        "merge_seconds": loaded.seconds["merge"],
        "seconds": (exported - started) + (finished - load_started),
        "reload_seconds": time.perf_counter() - reload_started,
        "export_cpu": export_cpu.seconds,
        "load_cpu": load_cpu.seconds,
        "reload_merge_seconds": reloaded.seconds["merge"],
        "rows": report.total("weather", "rows") + report.total("energy", "rows"),
        "requests": report.requests,
        "megabytes": (report.total("weather", "bytes") + report.total("energy", "bytes")) / 1e6,
        "peak_rss_mb": _peak_rss_mb(),
    }


CHILDREN = {"baseline": run_baseline, "pipeline": run_pipeline}


def _child(method: str, work: Path, source_url: str, days: int) -> dict:
    command = [
        sys.executable,
        "-m",
        "bench.export_warehouse_benchmark",
        "--child",
        method,
        "--work",
        str(work),
        "--source-url",
        source_url,
        "--days",
        str(days),
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{method} ({days} days) failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(work: Path, source_url: str, days: int, memory_days: list[int]) -> None:
    baseline = _child("baseline", work, source_url, days)
    pipeline = _child("pipeline", work, source_url, days)
    smaller = {n: _child("pipeline", work, source_url, n) for n in memory_days}
    ratio = pipeline["seconds"] / baseline["seconds"]
    print(
        f"days: {days}; rows: {pipeline['rows']:,} (weather + energy); API requests: {pipeline['requests']:,}; "
        f"export files: {pipeline['megabytes']:.0f} MB"
    )
    print(f"baseline  COPY TO STDOUT + COPY FROM STDIN        {baseline['seconds']:6.2f} s")
    print(f"pipeline  export through the API + warehouse load  {pipeline['seconds']:6.2f} s  = {ratio:.2f}x baseline")
    print(
        f"            export {pipeline['export_seconds']:.2f} s; load {pipeline['load_seconds']:.2f} s "
        f"(COPY to staging {pipeline['copy_seconds']:.2f} s, merge {pipeline['merge_seconds']:.2f} s)"
    )
    print(
        f"reload    every day replaced                       {pipeline['reload_seconds']:6.2f} s "
        f"(merge {pipeline['reload_merge_seconds']:.2f} s)"
    )
    print(f"CPU ({CORES} cores):")
    print(f"  baseline  {describe(baseline['cpu'], baseline['seconds'])}")
    print(f"  export    {describe(pipeline['export_cpu'], pipeline['export_seconds'])}")
    print(f"  load      {describe(pipeline['load_cpu'], pipeline['load_seconds'])}")
    need = sum(pipeline["export_cpu"].values()) + sum(pipeline["load_cpu"].values())
    print(
        f"  export + load need >= {need / CORES:.2f} s on {CORES} cores = {need / CORES / baseline['seconds']:.2f}x "
        f"baseline; 3x needs their work cut to <= {3 * baseline['seconds'] * CORES:.2f} core-s, now {need:.2f}"
    )
    print("peak RSS of the export + load process, by days:")
    for n, figures in sorted({**smaller, days: pipeline}.items()):
        print(f"  {n:4d} days: {figures['peak_rss_mb']:6.0f} MB  ({figures['seconds']:.2f} s)")
    targets.report([targets.Target("exports + warehouse / direct COPY out + in", ratio, 3.0, "x")])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=YEAR_DAYS, help="days to export and load (default: the year)")
    parser.add_argument("--memory-days", default="30,120", help="smaller runs for the memory comparison")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (reuses an ingested year)")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--source-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(CHILDREN[args.child](args.work, args.source_url, args.days)))
        return
    memory_days = [int(n) for n in args.memory_days.split(",") if n.strip()]
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        work = args.keep
        report(work, prepare(work), args.days, memory_days)
        return
    with tempfile.TemporaryDirectory(prefix="export-warehouse-bench-") as tmp:
        work = Path(tmp)
        print("setup: generating and ingesting a year (not timed) ...", flush=True)
        url = prepare(work)
        try:
            report(work, url, args.days, memory_days)
        finally:
            from smarthome_assets.services import embedded_postgres

            embedded_postgres.stop_server(work / "pg")


if __name__ == "__main__":
    main()
