"""The load benchmark's report: times, memory, the target ratios, and where the time and CPU go.

Separate from `load_benchmark.py` (which runs the methods) so each stays a readable size.
"""

from __future__ import annotations

from collections import Counter

import dagster as dg

from bench.cpu_budget import CORES, describe
from smarthome_assets.homec import contract

LABELS = {
    "original": "original (pandas to_csv + copy_expert)",
    "project": "this project (raw->clean->rds)",
    "floor": "floor (server-side COPY)",
    "dagster": "this project in one Dagster run",
}


def run_records(instance: dg.DagsterInstance, run_id: str) -> dict[str, int]:
    """What Dagster stored for the run: events by type, and the per-partition rows of planned checks
    (one ASSET_CHECK_EVALUATION_PLANNED event is stored as one row per partition of the run)."""
    counts: Counter[str] = Counter()
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            counts["log lines"] += 1
            continue
        counts[event.event_type_value] += 1
        if event.event_type_value == "ASSET_CHECK_EVALUATION_PLANNED":
            subset = event.event_specific_data.partitions_subset
            counts["planned check rows (one per check and day)"] += len(subset) if subset is not None else 1
    return dict(counts)


def report(r: dict, homes: int) -> None:
    rows = contract.FULL_YEAR_ROWS
    print()
    print(f"Full synthetic year: {rows:,} rows per home into `weather` and `energy_consuming_device`")
    print(f"{'method':<40}{'seconds':>8}{'peak RSS MB':>13}{'rows/table':>12}{'CPU client s':>14}{'CPU server s':>14}")
    labels = {**LABELS, "project_n": f"this project, {homes} homes"}
    for key, label in labels.items():
        if key in r:
            m = r[key]
            print(
                f"{label:<40}{m['seconds']:>8.2f}{m['peak_rss_mb']:>13.0f}{m['weather']:>12,}"
                f"{m['cpu']['client']:>14.2f}{m['cpu']['postgres']:>14.2f}"
            )
    project, floor, original = r["project"]["seconds"], r["floor"]["seconds"], r["original"]["seconds"]
    print()
    print(f"project / floor      = {project / floor:.2f}x   (target <= 1.0x)")
    print(f"original / project   = {original / project:.2f}x   (target >= 6x)")
    print(f"dagster run / project = {r['dagster']['seconds'] / project:.2f}x  (target <= 1.2x)")
    print(f"project peak RSS     = {r['project']['peak_rss_mb']:.0f} MB (target <= 300 MB)")
    if "project_n" in r:
        ratio = r["project_n"]["peak_rss_mb"] / r["project"]["peak_rss_mb"]
        print(f"peak RSS {homes} homes / 1 home = {ratio:.2f}x (flat means ~1.0x)")
    _where_it_goes(r, floor)


def _where_it_goes(r: dict, floor: float) -> None:
    """The profile behind the ratios: the project's phases, the CPU each method needed, and the least wall
    time that CPU allows on this machine's cores."""
    print()
    print(f"Where the time goes ({CORES} cores):")
    phases = r["project"].get("phases", {})
    if phases:
        print(
            "  project phases (wall / CPU client): "
            + ", ".join(f"{name} {wall:.2f} s / {cpu:.2f} core-s" for name, (wall, cpu) in phases.items())
        )
    for key in ("floor", "project", "dagster"):
        print(f"  {key:<8} CPU {describe(r[key]['cpu'], r[key]['seconds'])}")
    need = sum(r["project"]["cpu"].values())
    least = need / CORES
    print(
        f"  the project's CPU alone needs >= {least:.2f} s on {CORES} cores = {least / floor:.2f}x the floor; "
        f"1.0x needs its work cut to <= {floor * CORES:.2f} core-s (floor x cores), now {need:.2f}"
    )
    dagster_cpu = r["dagster"]["cpu"]["client"] - r["project"]["cpu"]["client"]
    extra = r["dagster"]["seconds"] - r["project"]["seconds"]
    print(f"  Dagster's own share: +{extra:.2f} s wall, +{dagster_cpu:.2f} core-s in the run's process; it stored:")
    for name, count in sorted(r["dagster"].get("records", {}).items(), key=lambda kv: -kv[1]):
        print(f"    {count:>7,}  {name}")
