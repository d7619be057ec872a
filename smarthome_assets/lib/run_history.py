"""Which days' last run failed, from Dagster's run history: what `smarthome status` shows and what
`smarthome backfill --failed` runs again.

A day is failed while, for one of its assets, the newest finished run that covered that asset and day
failed; any later run of it that succeeds (a sensor's, a retry, a backfill) clears it. This reads the runs
themselves, so it also sees the days of a failed bulk run, which the UI shows as missing rather than failed
(services/dagster_instance.py, BULK_RUN_ENV).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from smarthome_assets.lib.failures import step_failures

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
PARTITION = "dagster/partition"
#: How far back the history is read, newest first (runs, not days).
MAX_RUNS = 5000
_FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]


def run_assets(instance: dg.DagsterInstance, run: dg.DagsterRun) -> set[dg.AssetKey]:
    """Every asset the run was to materialize: its explicit selection, or else its job's (an asset job's run
    carries no selection of its own; its execution plan names every asset step)."""
    if run.asset_selection:
        return set(run.asset_selection)
    if not run.execution_plan_snapshot_id:
        return set()
    plan = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
    return set(plan.asset_selection) if plan else set()


def run_days(run: dg.DagsterRun) -> list[date]:
    """The days a run covered: its range tags, or its one partition (none: not a daily run)."""
    tags = run.tags
    try:
        if RANGE_START in tags:
            first = date.fromisoformat(tags[RANGE_START])
            last = date.fromisoformat(tags.get(RANGE_END, tags[RANGE_START]))
            return [first + timedelta(days=i) for i in range((last - first).days + 1)]
        if PARTITION in tags:
            return [date.fromisoformat(tags[PARTITION])]
    except ValueError:
        return []  # another partitioning: not ours to judge
    return []


@dataclass
class FailedDay:
    day: date
    #: asset -> the run whose failure is its newest outcome on this day
    runs: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # run id -> the failed steps' causes
    failed_at: datetime | None = None


def failed_days(instance: dg.DagsterInstance, max_runs: int = MAX_RUNS) -> list[FailedDay]:
    """The days whose newest finished run failed for some asset, oldest day first."""
    records = instance.get_run_records(filters=dg.RunsFilter(statuses=_FINISHED), limit=max_runs)
    decided: set[tuple[str, date]] = set()
    failed: dict[date, FailedDay] = {}
    for record in records:  # newest first
        run = record.dagster_run
        days = run_days(run)
        if not days:
            continue
        for asset in sorted(key.to_user_string() for key in run_assets(instance, run)):
            for day in days:
                if (asset, day) in decided:
                    continue
                decided.add((asset, day))
                if run.status != dg.DagsterRunStatus.SUCCESS:
                    entry = failed.setdefault(day, FailedDay(day))
                    entry.runs[asset] = run.run_id
                    if entry.failed_at is None and record.end_time:
                        entry.failed_at = datetime.fromtimestamp(record.end_time, UTC)
    for entry in failed.values():
        for run_id in set(entry.runs.values()):
            entry.errors[run_id] = _causes(instance, run_id)
    return [failed[day] for day in sorted(failed)]


def _causes(instance: dg.DagsterInstance, run_id: str) -> str:
    logs = instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    failures = step_failures(entry.dagster_event for entry in logs if entry.dagster_event)
    if failures:
        return "; ".join(f"step {step}: {cause}" for step, cause in failures.items())
    logs = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    messages = [entry.message for entry in logs if entry.message]
    return messages[-1] if messages else "failed outside any step"


def day_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Contiguous ranges of `days`, each (first, last)."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges
