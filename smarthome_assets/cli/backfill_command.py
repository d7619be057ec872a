"""`smarthome backfill --failed`: run again exactly the days whose last run failed (`smarthome status`).

In this process and recorded in the local instance, so the UI shows it and the writer pool keeps it from
colliding with the daemon's runs: one run per contiguous range of failed days and set of assets that failed
on them. Like a run from the UI it first lands whatever is pending in the incoming zone, so the current
deliveries win.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from datetime import date

import dagster as dg

from smarthome_assets.cli.status_command import instance_for
from smarthome_assets.definitions import defs
from smarthome_assets.defs.resources import resources_for_env
from smarthome_assets.lib.partitions import range_tags
from smarthome_assets.lib.run_history import FailedDay, day_ranges, failed_days
from smarthome_assets.settings import load_settings

BACKFILL_TAG = "smarthome/backfill"


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "backfill",
        help="run again the days whose last run failed",
        description="Run again, in this process, exactly the days whose last run failed and the assets that "
        "failed on them: one run per contiguous range of days (see `smarthome status`).",
    )
    parser.add_argument("--failed", action="store_true", required=True, help="the days `smarthome status` lists")
    parser.add_argument("--dry-run", action="store_true", help="print the runs it would start, start none")
    return parser


def plan(days: list[FailedDay]) -> list[tuple[tuple[str, ...], tuple[date, date]]]:
    """(assets, (first, last)) for each run the backfill starts: days grouped by the assets that failed."""
    by_assets: dict[tuple[str, ...], list] = defaultdict(list)
    for entry in days:
        by_assets[tuple(sorted(entry.runs))].append(entry.day)
    return [(assets, span) for assets, spread in sorted(by_assets.items()) for span in day_ranges(spread)]


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    with instance_for(settings) as instance:
        days = failed_days(instance)
        runs = plan(days)
        if not runs:
            print("no day's last run failed: nothing to backfill", flush=True)
            return 0
        definitions = defs()
        assets = list(definitions.assets or [])
        resources = resources_for_env(settings)
        failures = 0
        for selected, (first, last) in runs:
            print(f"backfill {first}..{last}: {', '.join(selected)}", flush=True)
            if args.dry_run:
                continue
            # A failed step's assets, with the rest of any multi-asset they belong to (the ingestion pass
            # materializes its five assets together).
            selection = dg.AssetSelection.assets(*[dg.AssetKey.from_user_string(a) for a in selected])
            result = dg.materialize(
                assets,
                selection=selection.required_multi_asset_neighbors(),
                resources=resources,
                instance=instance,
                tags={**range_tags(first, last), BACKFILL_TAG: "failed-days"},
                raise_on_error=False,
            )
            print(f"  run {result.run_id[:8]}: {'succeeded' if result.success else 'FAILED'}", flush=True)
            failures += not result.success
    return 1 if failures else 0
