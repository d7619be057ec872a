"""`smarthome run`: the whole pipeline for every day of the data, in one Dagster run, then a summary.

With no `--csv` (and no SMARTHOME_SOURCE_FILES) it generates a full synthetic year first, once.
The run is recorded in the local Dagster instance, so `make dev` shows it afterwards.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg

from smarthome_assets.cli import summary
from smarthome_assets.dashboard import page
from smarthome_assets.definitions import defs
from smarthome_assets.defs.resources import resources_for_env
from smarthome_assets.homec.generator import generate_homes
from smarthome_assets.ingestion import incoming, watch
from smarthome_assets.ingestion.landing import deliver_local
from smarthome_assets.ingestion.watch import LANDED_BY_TAG
from smarthome_assets.lib.partitions import FIRST_DAY, range_tags
from smarthome_assets.services.dagster_instance import (
    apply_bulk_run_env,
    local_instance,
    run_instance,
)
from smarthome_assets.settings import Settings, load_settings
from smarthome_assets.storage.object_store import ObjectStore


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "run",
        help="run the whole pipeline on every day of the data (what `make run` calls)",
        description="Land, clean and load HomeC files (and everything downstream) for every day they cover, "
        "in one Dagster run. Without --csv, generates a synthetic year once (see `smarthome generate`).",
    )
    parser.add_argument(
        "--csv",
        action="append",
        default=[],
        metavar="PATH",
        help="a HomeC-shaped CSV, one per home (repeatable); default: generated data",
    )
    parser.add_argument("--homes", type=int, default=1, help="homes to generate when there is no data (default 1)")
    parser.add_argument("--days", type=int, default=None, help="days to generate (default: the full year)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument("--first-day", type=date.fromisoformat, help="only from this day (YYYY-MM-DD)")
    parser.add_argument("--last-day", type=date.fromisoformat, help="only up to this day, inclusive")
    return parser


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    settings = load_settings()
    sources = _source_files(args, settings)
    for path in sources:
        if not path.is_file():
            sys.exit(f"smarthome: no such file: {path}")
    settings = dataclasses.replace(settings, source_files=tuple(str(p) for p in sources))
    resources = resources_for_env(settings)
    store = resources["object_store"]
    days, rejected = _deliver_and_land(store, sources, settings)
    refused = [f"{o.error or o.reason}" for o in rejected]
    for outcome in rejected:  # a rejected file leaves no trace: not even in the incoming zone
        incoming.withdraw(store, outcome.delivery)
    if not days:
        for line in refused:
            print(f"smarthome run: rejected {line}", file=sys.stderr, flush=True)
        if not refused:
            print("smarthome: nothing changed (every file is already landed, or a duplicate): no run", flush=True)
        return 1 if refused else 0
    first, last = _day_range(days, args)
    print(
        f"smarthome: {len(sources)} file(s), {first} .. {last} ({(last - first).days + 1} days), "
        f"environment {settings.env}, home {settings.home}",
        flush=True,
    )
    apply_bulk_run_env()
    if settings.env == "local":
        instance = run_instance(settings.dagster_home, settings.pgdata)
    else:
        instance = local_instance(settings.dagster_home)
    page.warm_up()  # the dashboard is rendered last: its script bundle is built meanwhile, off the GIL
    # Everything loaded so far (Dagster, the definitions) lives as long as the process: kept out of the cyclic
    # collector's sight, a year's run spends a third less time in it (docs/DESIGN_NOTES.md).
    gc.freeze()
    result = dg.materialize(
        list(defs().assets or []),
        resources=resources,
        instance=instance,
        tags={**range_tags(first, last), LANDED_BY_TAG: "cli"},  # landed above: the run lands nothing again
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
    )
    seconds = time.perf_counter() - started
    print(summary.render(settings, resources, result, seconds, rejected=refused), flush=True)
    return 0 if result.success and not refused else 1


def _source_files(args: argparse.Namespace, settings: Settings) -> list[Path]:
    if args.csv:
        return [Path(p).expanduser().resolve() for p in args.csv]
    if settings.source_files:
        return [Path(p).expanduser().resolve() for p in settings.source_files]
    existing = sorted(settings.generated_data_dir.glob("*.csv"))
    if existing:
        return existing
    print(f"no data given: generating {args.homes} home(s) into {settings.generated_data_dir} ...", flush=True)
    t = time.perf_counter()
    files = generate_homes(settings.generated_data_dir, homes=args.homes, days=args.days, seed=args.seed)
    print(f"generated {len(files)} file(s) in {time.perf_counter() - t:.1f}s", flush=True)
    return files


def _deliver_and_land(
    store: ObjectStore, sources: list[Path], settings: Settings
) -> tuple[list[date], list[watch.Outcome]]:
    """The one way in: copy the files into the incoming zone (incoming/<home>/), land what is pending
    there, and return the days the landings touched (a shorter re-delivery's lost days included).

    A rejected file is not landed (no trace of it); its outcome carries the reader's one-line error (file,
    line, column, reason), which the command prints."""
    delivered = {deliver_local(store, path, settings.timeframe_origin).path for path in sources}
    try:
        outcomes = watch.land_pending(
            store, watch.pending(incoming.list_deliveries(store), watch.Cursor()), FIRST_DAY, log=None
        )
    except OSError as exc:
        sys.exit(f"smarthome: cannot land the files: {exc}")
    for outcome in outcomes:
        if outcome.delivery.path in delivered or outcome.status != watch.UNCHANGED:
            print(f"  {outcome.delivery.path}: {outcome.status} ({outcome.reason})", flush=True)
    days = sorted({date.fromisoformat(d) for o in outcomes if o.delivery.path in delivered for d in o.days})
    return days, [o for o in outcomes if o.status == watch.REJECTED and o.delivery.path in delivered]


def _day_range(days: list[date], args: argparse.Namespace) -> tuple[date, date]:
    """The days the landings touched, within the partitions (from their first day to today, UTC)."""
    today = datetime.now(UTC).date()
    first = max(min(days, default=FIRST_DAY), FIRST_DAY)
    last = min(max(days, default=today), today)
    first = max(first, args.first_day) if args.first_day else first
    last = min(last, args.last_day) if args.last_day else last
    if last < first:
        files = f"{min(days)}..{max(days)}" if days else "none"
        sys.exit(
            f"smarthome: the days asked for ({first} .. {last}) lie outside the files' days ({files}) or the "
            f"partitions ({FIRST_DAY} .. {today})"
        )
    return first, last
