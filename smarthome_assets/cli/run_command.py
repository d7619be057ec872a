"""`smarthome run`: the whole pipeline for every day of the data, in one Dagster run, then a summary.

With no `--csv` (and no SMARTHOME_SOURCE_FILES) it generates a full synthetic year first, once.
The run is recorded in the local Dagster instance, so `make dev` shows it afterwards.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg

from smarthome_assets.cli import summary
from smarthome_assets.cli.errors import CommandError
from smarthome_assets.definitions import defs
from smarthome_assets.defs.resources import resources_for_env
from smarthome_assets.homec import contract
from smarthome_assets.homec.generator import generate_homes
from smarthome_assets.homec.reader import time_span
from smarthome_assets.lib.partitions import FIRST_DAY, range_tags
from smarthome_assets.services.dagster_instance import apply_dagster_process_env, local_instance
from smarthome_assets.settings import Settings, load_settings


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
    settings = dataclasses.replace(settings, source_files=tuple(str(p) for p in sources))
    first, last = _day_range(sources, settings, args)
    print(
        f"smarthome: {len(sources)} file(s), {first} .. {last} ({(last - first).days + 1} days), "
        f"environment {settings.env}, home {settings.home}",
        flush=True,
    )
    resources = resources_for_env(settings)
    apply_dagster_process_env()
    instance = local_instance(settings.dagster_home)
    result = dg.materialize(
        list(defs().assets or []),
        resources=resources,
        instance=instance,
        tags=range_tags(first, last),
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
    )
    seconds = time.perf_counter() - started
    print(summary.render(settings, resources, result, seconds), flush=True)
    return 0 if result.success else 1


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


def _day_range(sources: list[Path], settings: Settings, args: argparse.Namespace) -> tuple[date, date]:
    """The days the files cover (from each file's first and last `time`), within the partitions (from their
    first day to today, UTC)."""
    firsts, lasts = [], []
    for path in sources:
        if not path.is_file():
            sys.exit(f"smarthome: no such file: {path}")
        span = time_span(path)
        if span is None:
            continue  # unreadable or empty: raw_csv reports it properly
        origin = settings.timeframe_origin
        for value, days, given in ((span[0], firsts, args.first_day), (span[1], lasts, args.last_day)):
            try:
                days.append((origin + timedelta(minutes=value - contract.TIME_ORIGIN)).date())
            except OverflowError:
                if given:
                    continue  # the user chose the days; raw_csv quarantines the row
                raise CommandError(
                    f"{path}: `time` {value} is no HomeC minute (HomeC counts minutes from "
                    f"{contract.TIME_ORIGIN}, i.e. {origin:%Y-%m-%d %H:%M} UTC): fix or remove that row, or "
                    "give the days with --first-day/--last-day"
                ) from None
    today = datetime.now(UTC).date()
    first = max(min(firsts, default=FIRST_DAY), FIRST_DAY)
    last = min(max(lasts, default=today), today)
    first = max(first, args.first_day) if args.first_day else first
    last = min(last, args.last_day) if args.last_day else last
    if last < first:
        sys.exit(
            f"smarthome: the days asked for ({first} .. {last}) lie outside the files' days or the partitions "
            f"({FIRST_DAY} .. {today})"
        )
    return first, last
