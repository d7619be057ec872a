"""The live platform's two speeds (docs/BENCHMARKS.md): a delta's way from the incoming zone to the API with
the real daemon, and the cost of re-running one day on a short and on a 10x longer history.

  python -m bench.live_benchmark [--deltas 3] [--short 30] [--long 300] [--skip-daemon]"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from smarthome_assets.homec import contract
from smarthome_assets.homec.generator import generate_homes
from smarthome_assets.services import embedded_postgres
from smarthome_assets.services.dagster_instance import DAGSTER_PROCESS_ENV
from smarthome_assets_tests.support.daemon import operational_url, start_daemon
from smarthome_assets_tests.support.processes import stop_group

HISTORY_DAYS = 3
DELTA_ROWS = 60


def _split(source: Path, start: int, stop: int) -> str:
    header, *lines = source.read_text().splitlines()
    return "\n".join([header, *lines[start:stop]]) + "\n"


def _drop(folder: Path, name: str, text: str) -> None:
    part = folder / f".{name}.part"
    part.write_text(text)
    part.rename(folder / name)


def _served_rows(url: str, first_row: int, rows: int) -> int:
    from smarthome_assets.exports.api_client import LambdaTransport

    start = contract.TIMEFRAME_ORIGIN + timedelta(minutes=first_row)
    end = start + timedelta(minutes=rows)
    query = [("start", start.isoformat()), ("end", end.isoformat()), ("limit", "1000"), ("device", "use_kw")]
    try:
        reply = LambdaTransport(database_url=url).get("/energy", query, {})
    except Exception:
        return 0
    return json.loads(reply.body).get("count", 0) if reply.status == 200 else 0


def latency(deltas: int, work: Path) -> list[float]:
    home = work / "home"
    url = operational_url(home)
    (source,) = generate_homes(work / "data", days=HISTORY_DAYS + 1, seed=7)
    folder = home / "object_store" / "incoming" / "bench"
    folder.mkdir(parents=True)
    history_rows = HISTORY_DAYS * contract.MINUTES_PER_DAY
    _drop(folder, "history.csv", _split(source, 0, history_rows))
    daemon = start_daemon(home, work / "daemon.log")
    figures = []
    try:
        started = time.monotonic()
        _wait(lambda: _served_rows(url, 0, 1000) == 1000, started, 180, "the history")
        print(f"  history ({HISTORY_DAYS} days) served {time.monotonic() - started:.1f}s after the daemon started")
        for k in range(deltas):
            first = history_rows + k * DELTA_ROWS
            dropped, wall = time.monotonic(), time.time()
            _drop(folder, f"delta-{k:03d}.csv", _split(source, first, first + DELTA_ROWS))
            _wait(lambda f=first: _served_rows(url, f, DELTA_ROWS) == DELTA_ROWS, dropped, 180, f"delta {k}")
            figures.append(time.monotonic() - dropped)
            phases = _phases(home / "dagster", wall)
            print(f"  delta {k}: {DELTA_ROWS} rows served by the API {figures[-1]:.1f}s after the drop{phases}")
    finally:
        stop_group(daemon)
        embedded_postgres.stop_server(home / "postgres")
    return figures


def _phases(dagster_home: Path, dropped: float) -> str:
    """Where the time went, from the instance: until the sensor's run existed, until it started, its run time."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        records = instance.get_run_records(dg.RunsFilter(job_name="ingestion_job"), limit=1)
    if not records or records[0].start_time is None:
        return ""
    r = records[0]
    created = r.create_timestamp.timestamp()
    return (
        f" (drop -> run queued by the sensor {created - dropped:.1f}s, queued -> run process started "
        f"{r.start_time - created:.1f}s, rows served {time.time() - r.start_time:.1f}s after the start)"
    )


def _wait(done, since: float, limit: float, what: str) -> None:
    while not done():
        if time.monotonic() - since > limit:
            sys.exit(f"{what} was not served within {limit:.0f}s (see the daemon log)")
        time.sleep(0.5)


def rerun_cost(days: int, work: Path) -> float:
    """Seconds to land a one-day correction and run that day, on a home with `days` of history."""
    import dagster as dg

    from smarthome_assets.database.connection import PostgresUrl
    from smarthome_assets.defs.ingestion import assets as ingestion_assets
    from smarthome_assets.ingestion import incoming, watch
    from smarthome_assets.ingestion.sources import HomeCSources
    from smarthome_assets.lib.partitions import range_tags
    from smarthome_assets.storage.object_store import LocalObjectStore

    os.environ.update(DAGSTER_PROCESS_ENV)
    url = embedded_postgres.server_url(work / "pg", f"rerun_{days}")
    store = LocalObjectStore(root=str(work / f"store-{days}"))
    (source,) = generate_homes(work / f"data-{days}", days=days, seed=1)
    incoming.deliver(store, source, home="bench")
    res = {"object_store": store, "postgres": PostgresUrl(database_url=url), "sources": HomeCSources()}
    assets = dg.load_assets_from_modules([ingestion_assets])
    last = (contract.TIMEFRAME_ORIGIN + timedelta(minutes=days * contract.MINUTES_PER_DAY - 1)).date()
    instance = dg.DagsterInstance.ephemeral()
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    history = range_tags(date(2016, 1, 1), last)
    assert dg.materialize(assets, resources=res, tags=history, instance=instance, run_config=quiet).success
    day = date(2016, 1, 10)
    start = 1140 + 8 * contract.MINUTES_PER_DAY  # the first row of 2016-01-10
    (fix,) = generate_homes(work / f"fix-{days}", days=10, seed=2)
    cursor = watch.Cursor(seen={d.path: fp for d, fp in incoming.list_deliveries(store).items()})  # the sensor's
    started = time.perf_counter()
    store.put_bytes("incoming/bench/fix-2016-01-10.csv", _split(fix, start, start + contract.MINUTES_PER_DAY).encode())
    outcomes = watch.land_pending(store, watch.pending(incoming.list_deliveries(store), cursor), watch.FIRST_DAY)
    ranges, _ = watch.day_ranges(outcomes, datetime.now(UTC).date())
    assert [(r.first, r.last) for r in ranges] == [(day, day)], ranges
    tags = {**range_tags(day, day), watch.LANDED_BY_TAG: "sensor"}
    assert dg.materialize(assets, resources=res, tags=tags, instance=instance, run_config=quiet).success
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deltas", type=int, default=3)
    parser.add_argument("--short", type=int, default=30, help="days of history for the short home")
    parser.add_argument("--long", type=int, default=300, help="days of history for the long home")
    parser.add_argument("--skip-daemon", action="store_true", help="only the re-run cost")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="smarthome-live-bench-") as tmp:
        work = Path(tmp)
        if not args.skip_daemon:
            print("latency: delta dropped in incoming/ -> rows served by the API (daemon, default intervals)")
            figures = latency(args.deltas, work / "latency")
            print(
                f"  median {statistics.median(figures):.1f}s, max {max(figures):.1f}s over {len(figures)} deltas "
                f"(target <= 60 s: {'met' if max(figures) <= 60 else 'NOT met'})"
            )
        print("re-run: a one-day correction landed and run for that day")
        short, long = rerun_cost(args.short, work / "rerun"), rerun_cost(args.long, work / "rerun")
        print(f"  {args.short}-day history: {short:.2f}s; {args.long}-day history: {long:.2f}s")
        print(f"  ratio {long / short:.2f}x for {args.long / args.short:.0f}x the history (target: close to 1)")
        embedded_postgres.stop_server(work / "rerun" / "pg")


if __name__ == "__main__":
    main()
