"""`dead_run_check` (local instance only): STARTED runs whose worker process is gone are marked failed
within a minute, instead of after run monitoring's maximum runtime. See `operations/dead_runs.py` for why;
on AWS the ECS run launcher reports dead workers to Dagster's run monitoring itself."""

import dagster as dg

from smarthome_assets.operations.dead_runs import dead_run_message, worker_is_gone
from smarthome_assets.settings import load_settings


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The run worker's pid: the first pid in the run's engine events ("Started process for run", "Executing
    steps in process" or "... multiprocess executor: parent process"). Any later pid could belong to a
    process that ends while the run goes on, so only the first one counts."""
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        data = entry.dagster_event.engine_event_data if entry.dagster_event else None
        value = data.metadata.get("pid") if data else None
        if value is not None:
            return int(value.value)
    return None


def mark_dead_runs_failed(instance: dg.DagsterInstance) -> list[str]:
    """Mark every STARTED run whose worker is gone as failed; return their run ids."""
    failed = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        run = record.dagster_run
        pid = worker_pid(instance, run.run_id)
        if pid is not None and worker_is_gone(pid, record.start_time):
            instance.report_run_failed(run, dead_run_message(pid))
            failed.append(run.run_id)
    return failed


def build_dead_run_check() -> dg.SensorDefinition:
    """Built on demand, not at module level, so the folder loader adds it only through `dead_run_defs`."""

    @dg.sensor(
        name="dead_run_check",
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Marks STARTED runs whose worker process no longer exists as failed, so a killed run does "
        "not hold a run slot (local instance: runs execute on this machine).",
    )
    def dead_run_check(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        failed = mark_dead_runs_failed(context.instance)
        return dg.SkipReason(f"marked {len(failed)} dead run(s) failed: {', '.join(failed)}" if failed else "none")

    return dead_run_check


@dg.definitions
def dead_run_defs() -> dg.Definitions:
    """Only where runs execute on this machine (SMARTHOME_ENV=local)."""
    return dg.Definitions(sensors=[build_dead_run_check()] if load_settings().env == "local" else [])
