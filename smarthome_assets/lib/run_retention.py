"""Run retention: runs whose every (asset, day) a later successful run has covered are deleted after a while.

A live home makes a run a minute, each materializing today again: without retention Dagster's run and event
storage grow by about 50 MB an hour at 100 homes (bench/live_scale_benchmark.py), for ever. Dagster deletes a
run with its events (`delete_run`), but keeps its asset-check rows and compute logs; both go here too. A run is
deleted only when it is superseded: for each asset and day it covered (for an unpartitioned asset: the asset),
a newer run succeeded. So the newest materialization of every partition, and the newest outcome that
`smarthome status` judges a day by, always stay; only history older than `keep` goes.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field

import dagster as dg

from smarthome_assets.lib.run_history import run_assets, run_days

#: How far back the history is read, newest first (runs).
MAX_RUNS = 20_000
_FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]


@dataclass
class Retention:
    deleted: list[str] = field(default_factory=list)
    kept: int = 0


def _covered(instance: dg.DagsterInstance, run: dg.DagsterRun, assets_by_plan: dict) -> set[tuple[str, str]]:
    """(asset, day) pairs the run was to materialize; (asset, "") for unpartitioned ones."""
    snapshot = run.execution_plan_snapshot_id or run.run_id
    if snapshot not in assets_by_plan or run.asset_selection:
        assets_by_plan[snapshot] = {key.to_user_string() for key in run_assets(instance, run)}
    days = [str(d) for d in run_days(run)] or [""]
    return {(asset, day) for asset in assets_by_plan[snapshot] for day in days}


def _forget_check_rows(instance: dg.DagsterInstance, run_id: str) -> None:
    """The run's asset-check executions (`delete_run` leaves them; they are a fifth of the growth)."""
    from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable
    from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage

    storage = instance.event_log_storage
    if isinstance(storage, SqlEventLogStorage):
        with storage.index_connection() as conn:
            conn.execute(AssetCheckExecutionsTable.delete().where(AssetCheckExecutionsTable.c.run_id == run_id))


def delete_superseded_runs(instance: dg.DagsterInstance, keep_seconds: float, limit: int = 500) -> Retention:
    """Delete (at most `limit` per call) finished runs older than `keep_seconds` that newer runs superseded."""
    result = Retention()
    covered: set[tuple[str, str]] = set()
    plans: dict[str, set[str]] = {}
    cutoff = time.time() - keep_seconds
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=_FINISHED), limit=MAX_RUNS):
        run = record.dagster_run
        pairs = _covered(instance, run, plans)
        if pairs and pairs <= covered and (record.end_time or 0) < cutoff and len(result.deleted) < limit:
            instance.delete_run(run.run_id)
            _forget_check_rows(instance, run.run_id)
            with contextlib.suppress(NotImplementedError, OSError):  # a log manager that cannot: they stay
                instance.compute_log_manager.delete_logs(prefix=[run.run_id])
            result.deleted.append(run.run_id)
            continue
        result.kept += 1
        if run.status == dg.DagsterRunStatus.SUCCESS:
            covered |= pairs
    return result
