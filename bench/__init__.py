"""Benchmarks (`make bench`): each module runs as `python -m bench.<name>` and prints its ratios.

Dagster marks the single-run backfill policy (how a year is one run) as beta and warns on every import of
the assets; the reports stay readable without that line repeated for each asset (the CLI does the same).
"""

import warnings

warnings.filterwarnings("ignore", message="Parameter `backfill_policy` of function `asset` is currently in beta")
