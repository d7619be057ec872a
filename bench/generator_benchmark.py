"""How long the HomeC generator takes for a full year: `python -m bench.generator_benchmark [--repeat N]`.

Prints seconds, megabytes and rows per second for each run and the process's peak RSS. The first run
also builds the generator's one-off kW text table (cached for the rest of the process).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from smarthome_assets.homec import contract, generator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=contract.FULL_YEAR_ROWS, help="valid rows per file")
    parser.add_argument("--repeat", type=int, default=1, help="how many times to generate the file")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="generator-bench-") as tmp:
        path = Path(tmp) / generator.home_file_name(0)
        for run in range(1, args.repeat + 1):
            started = time.perf_counter()
            rows = generator.generate_home(path, rows=args.rows, seed=args.seed)
            seconds = time.perf_counter() - started
            megabytes = path.stat().st_size / 1e6
            print(
                f"run {run}: {rows:,} rows, {megabytes:.1f} MB in {seconds:.2f} s "
                f"({rows / seconds:,.0f} rows/s, {megabytes / seconds:.0f} MB/s)"
            )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"peak RSS: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
