"""`smarthome generate`: realistic HomeC-shaped files, one per home, with all the real file's quirks."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from smarthome_assets.homec.generator import generate_homes
from smarthome_assets.settings import load_settings


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "generate",
        help="write synthetic HomeC-shaped CSV files (one per home)",
        description="Generate HomeC-shaped data: the same 32 columns and quirks as the Kaggle file, with daily "
        "and seasonal cycles, furnaces in the cold, solar by day and appliance spikes.",
    )
    parser.add_argument("--homes", type=int, default=1, help="number of homes, one file each (default 1)")
    parser.add_argument("--days", type=int, default=None, help="days of data (default: the full year, 503,910 rows)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same bytes")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: $SMARTHOME_HOME/data, where `smarthome run` looks)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    if args.homes < 1 or (args.days is not None and args.days < 1):
        raise SystemExit("smarthome generate: --homes and --days must be at least 1")
    out = args.out or load_settings().generated_data_dir
    started = time.perf_counter()
    files = generate_homes(out, homes=args.homes, days=args.days, seed=args.seed)
    seconds = time.perf_counter() - started
    for path in files:
        print(f"{path}  {path.stat().st_size / 1e6:.1f} MB")
    print(f"generated {len(files)} file(s) in {seconds:.1f}s")
    return 0
