"""How long the `dashboard` asset takes on a full synthetic year: `python -m bench.dashboard_benchmark`.

Fills a warehouse (the documented tables, on a throw-away embedded PostgreSQL) with a year of hourly facts
per home from smarthome_assets_tests.support.synthetic_facts, then materializes the real `dashboard` asset with
the local resources, `--repeat` times in one process. The first run pays for building the JavaScript
bundle (vl-convert, about a second); later runs reuse it, as a long-lived Dagster code server does.
Prints, per run, the asset's own figures (query, spec, HTML, PNG and total seconds) and the page size.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import dagster as dg

from smarthome_assets.database.connection import PostgresUrl
from smarthome_assets.lake.engine import Lake
from smarthome_assets.services import embedded_postgres
from smarthome_assets.storage.object_store import LocalObjectStore
from smarthome_assets.warehouse.resource import PostgresWarehouse
from smarthome_assets_tests.support import synthetic_facts as warehouse_synth


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, default=1, help="homes in the warehouse (default 1, like `make run`)")
    parser.add_argument("--days", type=int, default=351, help="local days of facts (default 351: the whole year)")
    parser.add_argument("--repeat", type=int, default=3, help="how many times to materialize the asset")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="dashboard-bench-") as tmp:
        root = Path(tmp)
        pgdata = root / "pg"
        try:
            url = embedded_postgres.server_url(pgdata, "warehouse")
            started = time.perf_counter()
            facts = warehouse_synth.synthesize(homes=args.homes, days=args.days, seed=0)
            warehouse_synth.create_warehouse(url)
            warehouse_synth.fill_warehouse(url, facts)
            print(
                f"warehouse: {args.homes} home(s) x {args.days} days = {len(facts.hourly):,} device-hour facts, "
                f"filled in {time.perf_counter() - started:.1f}s"
            )
            resources = {
                "object_store": LocalObjectStore(root=str(root / "store")),
                "warehouse": PostgresWarehouse(database=PostgresUrl(database_url=url)),
                "dashboard_dir": str(root / "home" / "dashboard"),
                "postgres": PostgresUrl(database_url=url),  # the stores table shows it as unavailable
                "lake": Lake(LocalObjectStore(root=str(root / "store"))),
            }
            for run in range(1, args.repeat + 1):
                _materialize_once(run, resources)
        finally:
            embedded_postgres.stop_server(pgdata)
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def _materialize_once(run: int, resources: dict) -> None:
    from smarthome_assets.defs.dashboard.assets import dashboard

    started = time.perf_counter()
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}  # the report, not the run's log
    result = dg.materialize([dashboard], resources=resources, run_config=quiet)
    wall = time.perf_counter() - started
    meta = {k: v.value for k, v in result.asset_materializations_for_node("dashboard")[0].metadata.items()}
    print(
        f"run {run}: asset {meta['render_seconds']:.2f}s (query {meta['query_seconds']:.2f}, spec "
        f"{meta['spec_seconds']:.2f}, html {meta['html_seconds']:.2f}, png {meta['png_seconds']:.2f}); "
        f"Dagster run {wall:.2f}s; page {meta['page_bytes'] / 1e6:.2f} MB "
        f"(data {meta['data_bytes'] / 1e3:.0f} kB, libraries {meta['library_bytes'] / 1e3:.0f} kB)"
    )


if __name__ == "__main__":
    main()
