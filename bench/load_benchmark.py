"""Load a full synthetic year into PostgreSQL several ways in one run and print the ratios (docs/BENCHMARKS.md).

Methods: the original (pandas + `to_csv` + `copy_expert`), this project's path called directly, the same
assets in one Dagster run, the floor (a server-side COPY of clean CSVs), and Dagster's floor (a run of the same
asset graph whose assets do nothing). Each runs in its own subprocess on a fresh database, so its peak RSS is
its own.

    python -m bench.load_benchmark [--homes 5] [--keep DIR]"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import psycopg2

from bench.cpu_budget import CpuMeter, own_seconds
from bench.load_report import report, run_records
from smarthome_assets.database.connection import PostgresUrl
from smarthome_assets.database.migrate import apply_migrations
from smarthome_assets.defs.ingestion import assets as ingestion_assets
from smarthome_assets.homec import contract
from smarthome_assets.homec.reader import TimeAxis
from smarthome_assets.ingestion import incoming
from smarthome_assets.ingestion.clean_days import load_days
from smarthome_assets.ingestion.landing import current_manifests, land_delivery
from smarthome_assets.ingestion.sources import HomeCSources
from smarthome_assets.lib.partitions import range_tags
from smarthome_assets.services import embedded_postgres
from smarthome_assets.services.dagster_instance import STORAGE_DATABASE, apply_bulk_run_env, run_instance
from smarthome_assets.storage.object_store import LocalObjectStore

ASSETS = dg.load_assets_from_modules([ingestion_assets])

YEAR = [date(2016, 1, 1) + timedelta(days=i) for i in range(351)]

WEATHER = [c.name for c in contract.WEATHER_COLUMNS]
POWER = [c.name for c in contract.POWER_COLUMNS]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _prepare_db(pgdata: Path, name: str) -> str:
    """A fresh, migrated database with the year's month partitions (every method COPYs into them; the
    project's loader would create them, the others would not)."""
    url = embedded_postgres.recreate_database(pgdata, name)
    apply_migrations(url)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT ensure_month_partitions('2016-01-01', '2016-12-31')")
    return url


def _seed_homes(url: str, homes: int) -> None:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for h in range(1, homes + 1):
            cur.execute(
                "INSERT INTO home (house_id, name, source_file) VALUES (%s, %s, %s)",
                (h, f"home_{h:02d}", f"home_{h:02d}.csv"),
            )


# --- the three methods, each run in a child process -------------------------------------------------


def method_original(files: list[Path], url: str, workdir: Path) -> dict:
    """The original project's cleaning and COPY, one file at a time."""
    _seed_homes(url, len(files))
    conn = psycopg2.connect(url)
    for house_id, path in enumerate(files, start=1):
        df = pd.read_csv(path, low_memory=False)
        df = df.iloc[:-1]  # the junk last row
        df.columns = [contract.BY_RAW[c].name for c in df.columns]
        df["timeframe"] = pd.date_range(contract.TIMEFRAME_ORIGIN, periods=len(df), freq="min")
        df["cloud_cover"] = pd.to_numeric(df["cloud_cover"], errors="coerce")
        numeric = [c.name for c in contract.COLUMNS if c.is_numeric]
        df[numeric] = df[numeric].apply(pd.to_numeric, errors="coerce").replace([np.inf, -np.inf], np.nan).fillna(0)
        df["house_id"] = house_id
        for table, cols in (("weather", WEATHER), ("energy_consuming_device", POWER)):
            ordered = df[["house_id", "timeframe", "time_raw", *cols]]
            buffer = io.StringIO()
            ordered.to_csv(buffer, index=False, header=False)
            buffer.seek(0)
            with conn.cursor() as cur:
                cur.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv)", buffer)
        conn.commit()
    conn.close()
    return {}


def method_project(files: list[Path], url: str, workdir: Path) -> dict:
    """The functions the assets call, in their order, for the whole range (homes seeded as `homes` does)."""
    _seed_homes(url, len(files))
    store = LocalObjectStore(root=str(workdir / "store-project"))
    phases: dict[str, tuple[float, float]] = {}  # phase -> (wall s, CPU s in this process)
    clock = (time.perf_counter(), own_seconds())

    def lap(name: str) -> None:
        nonlocal clock
        now = (time.perf_counter(), own_seconds())
        phases[name] = (now[0] - clock[0], now[1] - clock[1])
        clock = now

    for path in files:
        land_delivery(store, incoming.deliver(store, path), TimeAxis())
    manifests = current_manifests(store)
    lap("land + stage")
    load_days(PostgresUrl(database_url=url), store, manifests, YEAR)
    lap("clean + load (one pass)")
    return {"phases": phases}


#: make run's Dagster instance (storage in the embedded server, event batches), created before the clock.
_INSTANCE: dict[str, dg.DagsterInstance] = {}


def method_dagster(files: list[Path], url: str, workdir: Path) -> dict:
    """raw -> clean -> rds_tables for the whole range, in one in-process Dagster run."""
    res = {
        "object_store": LocalObjectStore(root=str(workdir / "store-dagster")),
        "postgres": PostgresUrl(database_url=url),
        "sources": HomeCSources(paths=[str(f) for f in files]),
    }
    result = dg.materialize(ASSETS, resources=res, instance=_INSTANCE["dagster"], tags=range_tags(YEAR[0], YEAR[-1]))
    assert result.success
    return {"run_id": result.run_id}


def floor_assets(assets: list[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """The same asset graph with steps that do nothing: the same specs (keys, deps, groups), checks, partitions,
    backfill policy and pool; each step materializes its assets and passes their checks, nothing else."""

    def nothing(definition: dg.AssetsDefinition) -> dg.AssetsDefinition:
        specs, check_specs = list(definition.specs), list(definition.check_specs)

        @dg.multi_asset(
            name=definition.node_def.name,
            specs=specs,
            check_specs=check_specs,
            partitions_def=definition.partitions_def,
            backfill_policy=definition.backfill_policy,
            pool=definition.node_def.pool,
        )
        def step(context):  # (unannotated: this module has `from __future__ import annotations`)
            for spec in specs:
                checked = [c for c in check_specs if c.asset_key == spec.key]
                yield dg.MaterializeResult(
                    asset_key=spec.key,
                    check_results=[
                        dg.AssetCheckResult(asset_key=c.asset_key, check_name=c.name, passed=True) for c in checked
                    ],
                )

        return step

    return [nothing(a) for a in assets]


def method_dagster_floor(files: list[Path], url: str, workdir: Path) -> dict:
    """Dagster's own cost for the range: the same graph, the same instance, steps that do nothing."""
    result = dg.materialize(floor_assets(ASSETS), instance=_INSTANCE["dagster"], tags=range_tags(YEAR[0], YEAR[-1]))
    assert result.success
    return {"run_id": result.run_id}


def _export_clean_csvs(url: str, workdir: Path) -> list[str]:
    """Clean CSVs for the floor, written by the server itself (not timed)."""
    out = []
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for table in ("weather", "energy_consuming_device"):
            path = workdir / f"{table}.csv"
            with open(path, "w") as handle:
                cur.copy_expert(f"COPY (SELECT * FROM {table}) TO STDOUT WITH (FORMAT csv)", handle)
            path.chmod(0o644)
            out.append(str(path))
    return out


def method_floor(files: list[Path], url: str, workdir: Path) -> dict:
    """Server-side COPY of the already-clean CSVs (what no client can beat)."""
    _seed_homes(url, len(files))
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for table in ("weather", "energy_consuming_device"):
            cur.execute(f"COPY {table} FROM %s WITH (FORMAT csv)", (str(workdir / f"{table}.csv"),))
    return {}


METHODS = {
    "original": method_original,
    "project": method_project,
    "dagster": method_dagster,
    "floor": method_floor,
    "dagster_floor": method_dagster_floor,
}


def _open_run_instance(pgdata: Path, workdir: Path) -> None:
    """A fresh instance as `smarthome run` opens it (its schema created here, not on the clock)."""
    apply_bulk_run_env()
    embedded_postgres.drop_database(pgdata, STORAGE_DATABASE)
    shutil.rmtree(workdir / "dagster", ignore_errors=True)
    _INSTANCE["dagster"] = run_instance(workdir / "dagster", pgdata)


#: Untimed work around a method: its setup, and the floor's input files the project's load leaves behind.
BEFORE_CLOCK = {"dagster": _open_run_instance, "dagster_floor": _open_run_instance}
AFTER_CLOCK = {
    "project": lambda url, workdir, extra: {"export_clean_csvs": _export_clean_csvs(url, workdir)},
    "dagster": lambda url, workdir, extra: {"records": run_records(_INSTANCE["dagster"], extra["run_id"])},
    "dagster_floor": lambda url, workdir, extra: {"records": run_records(_INSTANCE["dagster"], extra["run_id"])},
}


def _child(args: argparse.Namespace) -> None:
    files = [Path(f) for f in args.files]
    workdir = Path(args.workdir)
    for store in workdir.glob("store-*"):  # start empty: a kept store would skip landing unchanged files
        shutil.rmtree(store)
    url = _prepare_db(Path(args.pgdata), f"bench_{args.method}")
    if before := BEFORE_CLOCK.get(args.method):
        before(Path(args.pgdata), workdir)
    meter = CpuMeter(pgdata=Path(args.pgdata)).start()
    started = time.perf_counter()
    extra = METHODS[args.method](files, url, workdir)
    seconds = time.perf_counter() - started
    extra["cpu"] = meter.stop().seconds  # client (this process), postgres
    if after := AFTER_CLOCK.get(args.method):
        extra.update(after(url, workdir, extra))
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM weather), (SELECT count(*) FROM energy_consuming_device)")
        weather, energy = cur.fetchone()
    print(
        json.dumps({"seconds": seconds, "peak_rss_mb": _peak_rss_mb(), "weather": weather, "energy": energy, **extra})
    )


def _run_child(method: str, files: list[Path], pgdata: Path, workdir: Path) -> dict:
    command = [
        sys.executable,
        "-m",
        "bench.load_benchmark",
        "--child",
        method,
        "--pgdata",
        str(pgdata),
        "--workdir",
        str(workdir),
        *[str(f) for f in files],
    ]
    out = subprocess.run(
        command, check=True, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"}
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--homes", type=int, default=5, help="homes for the memory-flatness run (default 5)")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved rounds of the timed methods (default 2)")
    parser.add_argument("--keep", type=Path, help="reuse/keep generated data in this folder")
    parser.add_argument("--child", choices=METHODS)
    parser.add_argument("--pgdata")
    parser.add_argument("--workdir")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    if args.child:
        args.method = args.child
        _child(args)
        return

    from smarthome_assets.homec.generator import generate_homes

    base = args.keep or Path(tempfile.mkdtemp(prefix="smarthome-bench-"))
    data = base / "data"
    if not (data / "home_01.csv").exists() or len(list(data.glob("*.csv"))) < args.homes:
        print(f"generating {args.homes} full synthetic year(s) in {data} ...", flush=True)
        generate_homes(data, homes=args.homes, seed=0)
    all_files = sorted(data.glob("home_*.csv"))[: args.homes]
    one = all_files[:1]
    pgdata = base / "pg"
    results: dict[str, list[dict]] = {}
    try:
        # The project's run first (the floor COPYs the clean CSVs it leaves), the slow original once, then the
        # other rounds interleaved, so that each ratio compares methods measured under the same load.
        rounds = [["project", "floor", "original", "dagster", "dagster_floor"]]
        rounds += [["project", "floor", "dagster", "dagster_floor"]] * (args.repeats - 1)
        for number, methods in enumerate(rounds, start=1):
            for method in methods:
                workdir = base / "work-1"
                workdir.mkdir(exist_ok=True)
                print(f"running {method} (1 home, round {number}) ...", flush=True)
                results.setdefault(method, []).append(_run_child(method, one, pgdata, workdir))
        if args.homes > 1:
            workdir = base / f"work-{args.homes}"
            workdir.mkdir(exist_ok=True)
            print(f"running project ({args.homes} homes) ...", flush=True)
            results["project_n"] = [_run_child("project", all_files, pgdata, workdir)]
    finally:
        embedded_postgres.stop_server(pgdata)
        if not args.keep:  # five generated years and their databases: several GB
            shutil.rmtree(base, ignore_errors=True)
    report(results, args.homes)


if __name__ == "__main__":
    main()
