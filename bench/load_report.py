"""The load benchmark's report: times, memory, the target ratios, and where the time and CPU go.

Separate from `load_benchmark.py` (which runs the methods) so each stays a readable size. Every method may
have run several interleaved rounds: ratios use the medians, and the spread is printed beside them.
"""

from __future__ import annotations

import statistics
from collections import Counter

import dagster as dg

from bench import targets as bench_targets
from bench.cpu_budget import CORES, describe
from bench.targets import Target
from smarthome_assets.homec import contract

LABELS = {
    "original": "original (pandas to_csv + copy_expert)",
    "project": "this project (land, then one pass to rds)",
    "floor": "floor (server-side COPY)",
    "dagster": "this project in one Dagster run",
    "dagster_floor": "Dagster's floor (same graph, no work)",
}
#: Peak RSS of N homes over 1 home counted as flat.
FLAT = 1.10


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


def _median_run(runs: list[dict]) -> dict:
    """The run with the median time (the lower middle of an even count), for its CPU and phases."""
    ordered = sorted(runs, key=lambda m: m["seconds"])
    return ordered[(len(ordered) - 1) // 2]


def _seconds(runs: list[dict]) -> float:
    return statistics.median(m["seconds"] for m in runs)


def _spread(runs: list[dict], unit: str = "s") -> str:
    values = sorted(m["seconds"] for m in runs)
    return f"{values[0]:.2f}-{values[-1]:.2f} {unit} over {len(values)} round(s)" if len(values) > 1 else "1 round"


def _ratio_spread(top: list[dict], bottom: list[dict]) -> str:
    """Ratios of the rounds taken pairwise (same round = same machine state)."""
    ratios = sorted(a["seconds"] / b["seconds"] for a, b in zip(top, bottom, strict=False))
    return f"{ratios[0]:.2f}-{ratios[-1]:.2f}x over {len(ratios)} round(s)"


def report(results: dict[str, list[dict]], homes: int) -> None:
    rows = contract.FULL_YEAR_ROWS
    print()
    print(f"Full synthetic year: {rows:,} rows per home into `weather` and `energy_consuming_device`")
    print(f"{'method':<44}{'seconds':>8}{'peak RSS MB':>13}{'CPU client s':>14}{'CPU server s':>14}  spread")
    labels = {**LABELS, "project_n": f"this project, {homes} homes"}
    for key, label in labels.items():
        if key in results:
            m = _median_run(results[key])
            print(
                f"{label:<44}{_seconds(results[key]):>8.2f}{m['peak_rss_mb']:>13.0f}"
                f"{m['cpu']['client']:>14.2f}{m['cpu']['postgres']:>14.2f}  {_spread(results[key])}"
            )
    project, floor = _seconds(results["project"]), _seconds(results["floor"])
    original = _seconds(results["original"])
    dagster, dagster_floor = _seconds(results["dagster"]), _seconds(results["dagster_floor"])
    bare_plus_floor = [
        {"seconds": p["seconds"] + f["seconds"]}
        for p, f in zip(results["project"], results["dagster_floor"], strict=False)
    ]
    peak = _median_run(results["project"])["peak_rss_mb"]
    targets = [
        Target(
            "load path: project / floor",
            project / floor,
            1.2,
            "x",
            moonshot=1.0,
            spread=_ratio_spread(results["project"], results["floor"]),
        ),
        Target("load path: original / project", original / project, 5.0, "x", at_most=False),
        Target("load path: project peak RSS", peak, 300, "MB"),
    ]
    if "project_n" in results:
        ratio = results["project_n"][0]["peak_rss_mb"] / peak
        targets.append(Target(f"load path: peak RSS {homes} homes / 1 home (flat)", ratio, FLAT, "x"))
    targets.append(
        Target(
            "Dagster run / (project + Dagster's floor)",
            dagster / (project + dagster_floor),
            1.1,
            "x",
            spread=_ratio_spread(results["dagster"], bare_plus_floor),
        )
    )
    bench_targets.report(targets)
    _where_it_goes(results, floor)


def _where_it_goes(results: dict[str, list[dict]], floor: float) -> None:
    """The profile behind the ratios: the project's phases, the CPU each method needed, and the least wall
    time that CPU allows on this machine's cores."""
    r = {key: _median_run(runs) for key, runs in results.items()}
    print()
    print(f"Where the time goes ({CORES} cores; median rounds):")
    phases = r["project"].get("phases", {})
    if phases:
        print(
            "  project phases (wall / CPU client): "
            + ", ".join(f"{name} {wall:.2f} s / {cpu:.2f} core-s" for name, (wall, cpu) in phases.items())
        )
    for key in ("floor", "project", "dagster", "dagster_floor"):
        print(f"  {key:<13} CPU {describe(r[key]['cpu'], r[key]['seconds'])}")
    need = sum(r["project"]["cpu"].values())
    least = need / CORES
    print(
        f"  the project's CPU alone needs >= {least:.2f} s on {CORES} cores = {least / floor:.2f}x the floor; "
        f"1.0x needs its work cut to <= {floor * CORES:.2f} core-s (floor x cores), now {need:.2f}"
    )
    ours = r["dagster"]["cpu"]["client"] - r["project"]["cpu"]["client"]
    theirs = r["dagster_floor"]["cpu"]["client"]
    extra = r["dagster"]["seconds"] - r["project"]["seconds"]
    print(
        f"  Dagster's share: +{extra:.2f} s wall and +{ours:.2f} core-s in the run's process over the bare path; "
        f"its floor alone {r['dagster_floor']['seconds']:.2f} s, {theirs:.2f} core-s. Records stored:"
    )
    ours_records, floor_records = r["dagster"].get("records", {}), r["dagster_floor"].get("records", {})
    print(f"    {'ours':>7} {'floor':>7}  record")
    for name in sorted(set(ours_records) | set(floor_records), key=lambda n: -ours_records.get(n, 0)):
        print(f"    {ours_records.get(name, 0):>7,} {floor_records.get(name, 0):>7,}  {name}")
