"""`smarthome status`: the days whose last run failed, with the run and its error, read from the local
instance's run history (lib/run_history.py); `smarthome backfill --failed` runs them again."""

from __future__ import annotations

import argparse
from collections import defaultdict

import dagster as dg

from smarthome_assets.lib.run_history import FailedDay, day_ranges, failed_days
from smarthome_assets.services.dagster_instance import embedded_storage_url, local_instance
from smarthome_assets.settings import Settings, load_settings


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "status",
        help="the days whose last run failed, and how to run them again",
        description="List every day whose newest finished run failed for one of its assets (from the local "
        "Dagster instance's run history), with the run and its error.",
    )
    return parser


def instance_for(settings: Settings) -> dg.DagsterInstance:
    storage = embedded_storage_url(settings.pgdata) if settings.env == "local" else None
    return local_instance(settings.dagster_home, storage)


def describe(days: list[FailedDay]) -> list[str]:
    if not days:
        return ["no day's last run failed"]
    ranges = ", ".join(str(a) if a == b else f"{a}..{b}" for a, b in day_ranges(d.day for d in days))
    lines = [f"{len(days)} day(s) whose last run failed: {ranges}"]
    for entry in days:
        for run_id, assets in _assets_by_run(entry).items():
            when = f" at {entry.failed_at:%Y-%m-%d %H:%M} UTC" if entry.failed_at else ""
            lines.append(f"  {entry.day}  {', '.join(assets)}: run {run_id[:8]} failed{when}: {entry.errors[run_id]}")
    lines.append("run them again: smarthome backfill --failed")
    return lines


def _assets_by_run(entry: FailedDay) -> dict[str, list[str]]:
    by_run: dict[str, list[str]] = defaultdict(list)
    for asset, run_id in sorted(entry.runs.items()):
        by_run[run_id].append(asset)
    return by_run


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    with instance_for(settings) as instance:
        days = failed_days(instance)
    print("\n".join(describe(days)), flush=True)
    return 1 if days else 0
