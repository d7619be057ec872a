"""The live scale benchmark's judgement, text report and plot.

A phase (N homes for some minutes) holds the target when the drop-to-API p95 of its deltas is at most
`TARGET_P95_SECONDS`, its backlog does not grow over its last third (a line fitted to the deliveries not yet
served over that third rises by less than one round of deliveries, N files), and no run or ERROR check failed.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path

TARGET_P95_SECONDS = 120.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x (per second)."""
    if len(points) < 2:
        return 0.0
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    den = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0


@dataclass
class Phase:
    """One stretch of the run at a fixed number of homes, and what was measured in it."""

    homes: int
    started: float
    ended: float = 0.0
    latencies: list[float] = field(default_factory=list)  # deltas dropped in the phase, served
    unserved_ages: list[float] = field(default_factory=list)  # deltas still not served at the end: age then
    backlog: list[tuple[float, int, int, int]] = field(default_factory=list)  # (t, not landed, not served, queued)
    failed_runs: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)  # ERROR severity
    warned_checks: list[str] = field(default_factory=list)  # WARN severity
    runs_by_job: dict[str, int] = field(default_factory=dict)

    @property
    def minutes(self) -> float:
        return (self.ended - self.started) / 60

    def latency_stats(self) -> dict[str, float]:
        values = self.latencies + self.unserved_ages  # an unserved delta counts with its age (a lower bound)
        return {
            "n": len(values),
            "p50": percentile(values, 0.5),
            "p95": percentile(values, 0.95),
            "max": max(values, default=float("nan")),
            "unserved": len(self.unserved_ages),
        }

    def backlog_growth(self) -> tuple[float, float]:
        """(deliveries not served, files not landed) growth over the last third, from fitted lines."""
        third = self.started + (self.ended - self.started) * 2 / 3
        last = [b for b in self.backlog if b[0] >= third]
        span = self.ended - third
        return slope([(t, s) for t, _, s, _ in last]) * span, slope([(t, n) for t, n, _, _ in last]) * span

    def verdict(self) -> tuple[bool, list[str]]:
        stats = self.latency_stats()
        not_served_growth, not_landed_growth = self.backlog_growth()
        misses = []
        if not stats["n"] or stats["p95"] > TARGET_P95_SECONDS:
            misses.append(f"p95 {stats['p95']:.0f} s > {TARGET_P95_SECONDS:.0f} s")
        if not_served_growth >= self.homes or not_landed_growth >= self.homes:
            misses.append(
                f"backlog grew over the last third (+{not_served_growth:.0f} not served, "
                f"+{not_landed_growth:.0f} not landed; limit {self.homes})"
            )
        if self.failed_runs:
            misses.append(f"{len(self.failed_runs)} failed run(s)")
        if self.failed_checks:
            misses.append(f"{len(self.failed_checks)} failed ERROR check(s)")
        return not misses, misses


def phase_lines(phase: Phase) -> list[str]:
    stats = phase.latency_stats()
    served_growth, landed_growth = phase.backlog_growth()
    held, misses = phase.verdict()
    peak = max(phase.backlog, key=lambda b: b[2], default=(0, 0, 0, 0))
    queued_peak = max((b[3] for b in phase.backlog), default=0)
    runs = ", ".join(f"{job} {n}" for job, n in sorted(phase.runs_by_job.items())) or "none"
    lines = [
        f"{phase.homes} homes, {phase.minutes:.1f} min: target {'HELD' if held else 'NOT held'}"
        + ("" if held else f" ({'; '.join(misses)})"),
        f"  drop -> API latency of {stats['n']} deltas: p50 {stats['p50']:.1f} s, p95 {stats['p95']:.1f} s, "
        f"max {stats['max']:.1f} s ({stats['unserved']} not served by the end, counted at their age)",
        f"  backlog: peak {peak[2]} deliveries not served, {max((b[1] for b in phase.backlog), default=0)} files "
        f"not landed, {queued_peak} runs queued; over the last third {served_growth:+.0f} not served, "
        f"{landed_growth:+.0f} not landed (fitted)",
        f"  runs: {runs} ({sum(phase.runs_by_job.values()) / max(phase.minutes, 1e-9):.1f} per minute)",
        f"  failed runs: {len(phase.failed_runs)}; failed ERROR checks: {len(phase.failed_checks)}; "
        f"failed WARN checks: {len(phase.warned_checks)}",
    ]
    lines += [f"    {x}" for x in (phase.failed_runs + phase.failed_checks)[:10]]
    lines += [f"    (warn) {x}" for x in sorted(set(phase.warned_checks))[:5]]
    return lines


def write_plot(path: Path, points: list[dict], backlog: list[dict], phases: list[Phase]) -> Path:
    """Latency of every delta over the run and the backlog beside it, as one PNG (Altair + vl-convert)."""
    import altair as alt
    import vl_convert as vlc

    rule = alt.Chart(alt.Data(values=[{"target": TARGET_P95_SECONDS}])).mark_rule(color="red", strokeDash=[4, 4])
    latency = (
        alt.Chart(alt.Data(values=points))
        .mark_circle(size=12, opacity=0.5)
        .encode(
            x=alt.X("minute:Q", title="minutes since the homes started"),
            y=alt.Y("latency:Q", title="drop -> API (s)"),
            color=alt.Color("homes:N", title="homes"),
        )
        .properties(width=760, height=260, title="Latency of each delivery (red: the 120 s target)")
    )
    rows = [{"minute": b["minute"], "what": k, "count": b[k]} for b in backlog for k in b if k != "minute"]
    lines = (
        alt.Chart(alt.Data(values=rows))
        .mark_line()
        .encode(
            x=alt.X("minute:Q", title="minutes since the homes started"),
            y=alt.Y("count:Q", title="count"),
            color=alt.Color("what:N", title=""),
        )
        .properties(width=760, height=220, title="Backlog over time")
    )
    chart = alt.vconcat(latency + rule.encode(y="target:Q"), lines).resolve_scale(color="independent")
    path.write_bytes(vlc.vegalite_to_png(chart.to_json(), scale=1.5))
    return path
