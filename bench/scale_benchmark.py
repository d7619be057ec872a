"""`make run` (a year through every asset, up to the dashboard) for 1, 3 and 10 homes: time and peak memory.

For each number of homes: a fresh home folder, the homes generated and the embedded server started and
migrated (not timed: "once the environment exists"), then `smarthome run` timed in its own process, its peak
RSS measured by a wrapper process. Targets: `make run` for one home <= 30 s; 10 homes (5 M rows per
table) <= 10x one home's time, with flat memory (peak RSS 10 homes / 1 home ~1.0x).

    python -m bench.scale_benchmark [--homes 1,3,10] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import targets

SMARTHOME = Path(sys.executable).parent / "smarthome"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMARTHOME_", "DAGSTER_HOME"))}
    return {**env, "SMARTHOME_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"), "PYTHONWARNINGS": "ignore"}


def _child(home: Path) -> None:
    """Run `smarthome run` once and print its seconds and peak RSS (this process waits for nothing else)."""
    started = time.perf_counter()
    done = subprocess.run([str(SMARTHOME), "run"], env=_env(home), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"smarthome run failed in {home}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak}))


def measure(base: Path, homes: int) -> dict:
    from smarthome_assets.homec.generator import generate_homes

    home = base / f"homes-{homes}"
    data = home / "data"
    if len(list(data.glob("*.csv"))) != homes:
        print(f"generating {homes} home(s) ...", flush=True)
        generate_homes(data, homes=homes, seed=0)
    subprocess.run([str(SMARTHOME), "db", "migrate"], env=_env(home), check=True, capture_output=True)
    print(f"smarthome run, {homes} home(s) ...", flush=True)
    out = subprocess.run(
        [sys.executable, "-m", "bench.scale_benchmark", "--child", str(home)], capture_output=True, text=True
    )
    if out.returncode != 0:
        sys.exit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", default="1,3,10", help="comma-separated numbers of homes (default 1,3,10)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    counts = [int(n) for n in args.homes.split(",") if n.strip()]
    base = args.keep or Path(tempfile.mkdtemp(prefix="smarthome-scale-"))
    results = {}
    try:
        for n in counts:
            results[n] = measure(base, n)
    finally:
        from smarthome_assets.services import embedded_postgres

        for n in counts:
            embedded_postgres.stop_server(base / f"homes-{n}" / "postgres")
        if not args.keep:  # 10 homes leave about 20 GB of files and databases
            shutil.rmtree(base, ignore_errors=True)
    one = results[counts[0]]
    print()
    print(f"{'homes':>6}{'seconds':>10}{'x 1 home':>10}{'peak RSS MB':>13}{'x 1 home':>10}")
    for n, r in results.items():
        print(
            f"{n:>6}{r['seconds']:>10.1f}{r['seconds'] / one['seconds']:>10.2f}"
            f"{r['peak_rss_mb']:>13.0f}{r['peak_rss_mb'] / one['peak_rss_mb']:>10.2f}"
        )
    found = [targets.Target("make run, a synthetic year, 1 home", one["seconds"], 30, "s")]
    if len(results) > 1:
        n = counts[-1]
        found.append(targets.Target(f"make run, {n} homes / 1 home", results[n]["seconds"] / one["seconds"], n, "x"))
        print(f"peak RSS {n} homes / 1 home: {results[n]['peak_rss_mb'] / one['peak_rss_mb']:.2f}x (flat means ~1.0x)")
    targets.report(found)


if __name__ == "__main__":
    main()
