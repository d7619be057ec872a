"""The lake's speed target: a year's `select date, sum(use_kw) from energy group by 1` in DuckDB over the lake, no
slower than the same query on the warehouse's minute fact (`make bench`; printed as a ratio, both measured here).

Setup (not timed): a generated home-year ingested into PostgreSQL, exported through the API (in-process handler),
loaded into the warehouse, written to the lake. Then both queries run interleaved, medians compared; each fetches
its 351 rows. Ratio = lake / warehouse: 1.0x or lower meets the target.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import psycopg2

from bench.export_warehouse_benchmark import YEAR_DAYS, _days, _fresh_database, prepare

LAKE_SQL = "select date, sum(use_kw) from energy group by 1"
WAREHOUSE_SQL = "select date_key, sum(use_kw) from fact_energy_minute group by 1"


def build(work: Path) -> tuple[Path, str]:
    """The year in every store; returns the lake's folder and the warehouse URL."""
    from smarthome_assets.database.connection import PostgresUrl
    from smarthome_assets.exports.api_client import ApiClient
    from smarthome_assets.exports.writer import export_days
    from smarthome_assets.lake.engine import Lake
    from smarthome_assets.lake.writer import write_days
    from smarthome_assets.storage.object_store import LocalObjectStore
    from smarthome_assets.warehouse.loader import load_days
    from smarthome_assets.warehouse.resource import PostgresWarehouse

    url = prepare(work)
    days = _days(YEAR_DAYS)
    store = LocalObjectStore(root=str(work / "store"))
    client = ApiClient(database=PostgresUrl(database_url=url))
    session = client.open()
    try:
        export_days(session, store, days, page_rows=client.page_rows, concurrency=client.concurrency)
    finally:
        session.close()
    warehouse_url = _fresh_database(work / "pg", "bench_lake_warehouse")
    load_days(PostgresWarehouse(database=PostgresUrl(database_url=warehouse_url)), store, days)
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute("ANALYZE fact_energy_minute")
    write_days(store, days)
    return Lake(store).root(), warehouse_url


def measure(lake_root: Path, warehouse_url: str, repeat: int) -> dict[str, float]:
    from smarthome_assets.lake import query

    lake = query.sandboxed(lake_root)
    timings: dict[str, list[float]] = {"lake": [], "warehouse": []}
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        for _ in range(repeat):
            started = time.perf_counter()
            lake_rows = query.run(lake, LAKE_SQL).rows
            timings["lake"].append(time.perf_counter() - started)
            started = time.perf_counter()
            cur.execute(WAREHOUSE_SQL)
            warehouse_rows = cur.fetchall()
            timings["warehouse"].append(time.perf_counter() - started)
    if len(lake_rows) != len(warehouse_rows):
        raise SystemExit(f"the stores disagree: {len(lake_rows)} lake days, {len(warehouse_rows)} warehouse days")
    return {name: statistics.median(values) for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lake-bench-") as tmp:
        work = Path(tmp)
        try:
            started = time.perf_counter()
            lake_root, warehouse_url = build(work)
            print(f"lake benchmark: a year in every store in {time.perf_counter() - started:.1f}s (setup)")
            medians = measure(lake_root, warehouse_url, args.repeat)
        finally:
            from smarthome_assets.services import embedded_postgres

            embedded_postgres.stop_server(work / "pg")
    ratio = medians["lake"] / medians["warehouse"]
    print(f"  lake (DuckDB over Parquet): {LAKE_SQL!r}  median {medians['lake'] * 1e3:.1f} ms")
    print(f"  warehouse (PostgreSQL):     {WAREHOUSE_SQL!r}  median {medians['warehouse'] * 1e3:.1f} ms")
    print(f"  ratio lake / warehouse = {ratio:.2f}x [target <= 1.0x: {'met' if ratio <= 1.0 else 'NOT met'}]")


if __name__ == "__main__":
    main()
