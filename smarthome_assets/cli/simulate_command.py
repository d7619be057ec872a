"""`smarthome simulate`: homes delivering live readings into the incoming zone (see simulator/feed.py).

Writes the last `--days` complete days per home at once, then every `--interval` seconds a delta per home
with the minutes completed since its previous delivery, until Ctrl-C (or `--ticks`). With `make dev`
running in another terminal, the incoming sensor picks each file up.
"""

from __future__ import annotations

import argparse
import time

import dagster as dg

from smarthome_assets.defs.resources import resources_for_env
from smarthome_assets.settings import load_settings
from smarthome_assets.simulator.feed import MISHAPS, Feed


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "simulate",
        help="deliver live synthetic readings into the incoming zone (a feed simulator)",
        description="Simulate homes delivering HomeC-shaped files with real, recent timestamps into the "
        "incoming zone: the last --days days at once, then a delta every --interval seconds for today.",
    )
    parser.add_argument("--homes", type=int, default=3, help="number of homes (default 3)")
    parser.add_argument("--days", type=int, default=7, help="complete past days delivered at once (default 7)")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between deltas (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument(
        "--mishap",
        action="append",
        default=[],
        choices=(*MISHAPS, "all"),
        help="a real-world mishap, one per tick after the backlog (repeatable): duplicate (same bytes, another "
        "name), malformed (a line cut short), late (a day held back, then delivered), correction (a day "
        "delivered half, then re-delivered whole); all: every one",
    )
    parser.add_argument("--ticks", type=int, default=None, help="stop after this many ticks (default: run on)")
    return parser


def run(args: argparse.Namespace) -> int:
    if args.homes < 1 or args.days < 0 or args.interval <= 0:
        raise SystemExit("smarthome simulate: --homes must be at least 1, --days at least 0, --interval above 0")
    mishaps = MISHAPS if "all" in args.mishap else tuple(dict.fromkeys(args.mishap))
    settings = load_settings()
    with dg.build_resources({"object_store": resources_for_env(settings)["object_store"]}) as resources:
        store = resources.object_store
        feed = Feed(store=store, homes=args.homes, days=args.days, seed=args.seed, mishaps=mishaps)
        print(f"smarthome simulate: {args.homes} home(s) into {store.uri('incoming/')}", flush=True)
        backlog = feed.deliver(feed.backlog())
        print(f"backlog: {len(backlog)} file(s), the last {args.days} day(s) of each home", flush=True)
        ticks = 0
        try:
            while args.ticks is None or ticks < args.ticks:
                time.sleep(args.interval)
                for delivery in feed.deliver(feed.tick()):
                    note = f"  ({delivery.note})" if delivery.note else ""
                    print(f"delivered {delivery.key}  {len(delivery.body) / 1e3:.0f} kB{note}", flush=True)
                ticks += 1
        except KeyboardInterrupt:
            print("stopped", flush=True)
    return 0
