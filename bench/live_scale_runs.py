"""What Dagster recorded during the live scale benchmark: the queue, each phase's runs and failed checks, and how
far the exports, the warehouse and the lake trail PostgreSQL (from the assets' materializations)."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg

from smarthome_assets.lib.run_history import _causes

DOWNSTREAM = ("daily_exports", "redshift_tables", "lake_parquet")
PAGE = 10_000  # the most Dagster returns at once


@dataclass
class Lag:
    """Seconds from a day's PostgreSQL load to the first later materialization of a downstream asset."""

    asset: str
    seconds: list[float]

    def line(self) -> str:
        if not self.seconds:
            return f"{self.asset}: no day followed a load during the run"
        s = sorted(self.seconds)
        return (
            f"{self.asset}: {len(s)} day load(s) followed, median {statistics.median(s):.0f} s, "
            f"max {s[-1]:.0f} s behind PostgreSQL"
        )


class RunLedger:
    def __init__(self, dagster_home: Path):
        self.instance = dg.DagsterInstance.from_config(str(dagster_home))

    def queued(self) -> int:
        return self.instance.get_runs_count(dg.RunsFilter(statuses=[dg.DagsterRunStatus.QUEUED]))

    def records(self, since: float, until: float | None = None) -> list[dg.RunRecord]:
        created_before = datetime.fromtimestamp(until, UTC) if until else None
        return list(
            self.instance.get_run_records(
                dg.RunsFilter(created_after=datetime.fromtimestamp(since, UTC), created_before=created_before)
            )
        )

    def exported(self, day: date) -> bool:
        """Whether a run has exported `day` (daily_exports' partition materialized)."""
        records = self.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("daily_exports"), asset_partitions=[day.isoformat()]), limit=1
        )
        return bool(records.records)

    def judge(self, phase) -> None:
        """The phase's runs per job, its failed runs (with their causes) and its failed checks."""
        records = self.records(phase.started, phase.ended)
        phase.runs_by_job = {}
        phase.failed_runs = []
        for record in records:
            run = record.dagster_run
            phase.runs_by_job[run.job_name] = phase.runs_by_job.get(run.job_name, 0) + 1
            if run.status == dg.DagsterRunStatus.FAILURE:
                phase.failed_runs.append(f"{run.job_name} {run.run_id[:8]}: {_causes(self.instance, run.run_id)}")
        phase.failed_checks, phase.warned_checks = [], []
        checks = self.instance.get_event_records(
            dg.EventRecordsFilter(
                event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION,
                after_timestamp=phase.started,
                before_timestamp=phase.ended,
            ),
            limit=PAGE,
        )
        for record in checks:
            evaluation = record.event_log_entry.dagster_event.event_specific_data
            if evaluation.passed:
                continue
            name = f"{evaluation.asset_key.to_user_string()}.{evaluation.check_name}"
            if evaluation.severity == dg.AssetCheckSeverity.ERROR:
                phase.failed_checks.append(name)
            else:
                phase.warned_checks.append(name)

    def retention(self, dagster_url: str) -> str:
        """What run retention (lib/run_retention.py) leaves of this run's history once it is older than its keep
        period: run it now with no keep period, and count the rows of the event log and runs before and after."""
        from bench.live_scale_probes import storage_sample
        from smarthome_assets.lib.run_retention import delete_superseded_runs

        before = storage_sample(time.time(), dagster_url).rows
        result = delete_superseded_runs(self.instance, keep_seconds=0, limit=100_000)
        after = storage_sample(time.time(), dagster_url).rows
        return (
            f"run retention, as it acts on runs a day old: {len(result.deleted)} superseded runs deleted, "
            f"{result.kept} kept; event_logs rows {before['event_logs']:,} -> {after['event_logs']:,}, "
            f"runs {before['runs']:,} -> {after['runs']:,} (what stays: the newest run of each asset and day, and "
            "failures nothing has fixed)"
        )

    def run_stats(self, since: float) -> list[str]:
        """Per job: runs, their queue wait and duration (median / p95 / max)."""
        by_job: dict[str, list[dg.RunRecord]] = {}
        for record in self.records(since):
            by_job.setdefault(record.dagster_run.job_name, []).append(record)
        lines = []
        for job, records in sorted(by_job.items()):
            waits = sorted(r.start_time - r.create_timestamp.timestamp() for r in records if r.start_time)
            runs = sorted(r.end_time - r.start_time for r in records if r.start_time and r.end_time)
            lines.append(
                f"{job}: {len(records)} runs; queued -> started {_spread(waits)}; started -> ended {_spread(runs)}"
            )
        return lines

    def lags(self, since: float) -> list[Lag]:
        """For each day before yesterday loaded into PostgreSQL during the run: how long until each downstream
        asset next materialized it (today and yesterday are exported at 02:00 UTC by design)."""
        newest_due = datetime.now(UTC).date() - timedelta(days=2)
        loads = self._materializations("rds_tables", since)
        out = []
        for asset in DOWNSTREAM:
            later = self._materializations(asset, since)
            seconds = []
            for day, loaded in loads:
                if date.fromisoformat(day) > newest_due:
                    continue
                following = [t for d, t in later if d == day and t >= loaded]
                if following:
                    seconds.append(min(following) - loaded)
            out.append(Lag(asset, seconds))
        return out

    def _materializations(self, asset: str, since: float) -> list[tuple[str, float]]:
        out, cursor = [], None
        while True:  # newest first, a page at a time, back to `since`
            page = self.instance.fetch_materializations(dg.AssetKey(asset), limit=PAGE, cursor=cursor)
            out += [(r.partition_key, r.timestamp) for r in page.records if r.timestamp >= since and r.partition_key]
            if not page.has_more or not page.records or page.records[-1].timestamp < since:
                return out
            cursor = page.cursor


def _spread(values: list[float]) -> str:
    if not values:
        return "-"
    q95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"median {statistics.median(values):.1f} s, p95 {q95:.1f} s, max {values[-1]:.1f} s"
