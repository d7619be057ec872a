"""The live scale benchmark's report: every phase's verdict and figures, the largest N that held, CPU and memory
per part, Dagster's storage per hour, the runs, the downstream lag, and the plot's path."""

from __future__ import annotations

import os
import platform

from bench import live_scale_probes as probes
from bench.live_scale_report import TARGET_P95_SECONDS, Phase, phase_lines, write_plot


def _resources(samples: list[probes.Sample], phase: Phase) -> list[str]:
    """Cores each part kept busy over the phase (CPU seconds / wall seconds) and its peak memory."""
    inside = [s for s in samples if phase.started <= s.at <= phase.ended]
    if len(inside) < 2:
        return ["  (too few samples for CPU figures)"]
    first, last = inside[0], inside[-1]
    wall = last.at - first.at
    cores = {role: (last.cpu[role] - first.cpu[role]) / wall for role in probes.ROLES}
    peak = {role: max(s.rss_mb[role] for s in inside) for role in probes.ROLES}
    load = [s.load for s in inside]
    lines = [
        "  CPU (cores busy): "
        + ", ".join(f"{role} {cores[role]:.2f}" for role in probes.ROLES)
        + f"; all {sum(cores.values()):.2f} of {os.cpu_count()}",
        "  memory (peak MB; runs: the largest worker; PostgreSQL: PSS): "
        + ", ".join(f"{role} {peak[role]:.0f}" for role in probes.ROLES),
        f"  machine load average (1 min) during the phase: min {min(load):.1f}, max {max(load):.1f}",
        f"  run workers alive at once: max {max(s.workers for s in inside)}",
    ]
    return lines


def _storage(storage: list[probes.StorageSample]) -> list[str]:
    if len(storage) < 2:
        return ["Dagster storage: too few samples"]
    first, last = storage[0], storage[-1]
    hours = (last.at - first.at) / 3600
    grew = {t: last.bytes_by_table.get(t, 0) - first.bytes_by_table.get(t, 0) for t in last.bytes_by_table}
    top = sorted(grew.items(), key=lambda kv: -kv[1])[:5]
    rows = ", ".join(f"{t} {(last.rows[t] - first.rows[t]) / hours:,.0f}/h" for t in last.rows)
    per_hour = (last.total_bytes - first.total_bytes) / 1e6 / hours
    return [
        f"Dagster storage (PostgreSQL `dagster` database): {first.total_bytes / 1e6:.1f} MB -> "
        f"{last.total_bytes / 1e6:.1f} MB in {hours * 60:.0f} min = {per_hour:.1f} MB/h",
        f"  rows added: {rows}",
        "  largest growth: " + ", ".join(f"{t} {b / 1e6 / hours:.1f} MB/h" for t, b in top),
    ]


def _plot(bench, phases: list[Phase]):
    t0 = bench.started
    points = [
        {"minute": (d.dropped - t0) / 60, "latency": d.latency, "homes": d.homes_active}
        for d in bench.homes.snapshot()
        if d.kind == "delta" and d.latency is not None
    ]
    backlog = [
        {"minute": (t - t0) / 60, "deliveries not served": s, "files not landed": n, "runs queued": q}
        for t, n, s, q in bench.backlog
    ]
    return write_plot(_plot_path(bench), points, backlog, phases)


def _plot_path(bench):
    from smarthome_assets.settings import load_settings

    out = bench.args.out or load_settings().home / "bench"
    return out / "live_scale.png"


def summarize(bench, phases: list[Phase]) -> list[str]:
    args = bench.args
    lines = [
        "",
        "=== live scale benchmark ===",
        f"machine: {os.cpu_count()} cores, {platform.python_version()}; deliveries every {args.interval:g} s per home; "
        f"{args.backlog_days} day(s) of history per home at the start; a corrected past day every "
        f"{args.corrections_every:g} s; target: drop -> API p95 <= {TARGET_P95_SECONDS:.0f} s, backlog not growing "
        "over the last third, no failed run or ERROR check",
        "",
    ]
    for phase in phases:
        lines += phase_lines(phase)
        lines += _resources(bench.samples, phase)
        lines.append("")
    held = [p.homes for p in phases if p.verdict()[0]]
    tested = ", ".join(f"{p.homes} {'held' if p.verdict()[0] else 'not held'}" for p in phases)
    if held:
        top = max(held)
        above = [p.homes for p in phases if not p.verdict()[0] and p.homes > top]
        bound = f" (the next step, {min(above)}, did not)" if above else " (the ramp stopped there: no higher N tried)"
        lines.append(f"LARGEST N HOLDING THE TARGET: {top}{bound}; tested: {tested}")
    else:
        lines.append(f"LARGEST N HOLDING THE TARGET: none of the tested N ({tested})")
    lines.append("")
    lines += _storage(bench.storage)
    lines.append("")
    lines.append("Runs (whole benchmark):")
    lines += [f"  {line}" for line in bench.ledger.run_stats(bench.started)]
    lines.append("Downstream lag (days before yesterday; today and yesterday wait for 02:00 UTC by design):")
    lines += [f"  {lag.line()}" for lag in bench.ledger.lags(bench.started)]
    backlog_drops = [d for d in bench.homes.snapshot() if d.kind == "backlog"]
    served = [d.latency for d in backlog_drops if d.latency is not None]
    if backlog_drops:
        lines.append(
            f"History at the start: {len(backlog_drops)} day files served in {max(served, default=float('nan')):.0f} s "
            f"({len(backlog_drops) - len(served)} not served)"
        )
    corrections = [d for d in bench.homes.snapshot() if d.kind == "correction"]
    if corrections:
        c = sorted(d.latency for d in corrections if d.latency is not None)
        lines.append(
            f"Corrected past days: {len(corrections)}, served after " + (", ".join(f"{x:.0f}" for x in c) or "-") + " s"
        )
    lines.append(f"plot: {_plot(bench, phases)}")
    lines.append(bench.ledger.retention(bench.dagster_url))  # last: it deletes the runs the figures above read
    return lines
