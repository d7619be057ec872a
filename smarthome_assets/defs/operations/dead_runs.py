"""`dead_run_check`: STARTED runs whose worker process is gone are marked failed within a minute, instead of
after run monitoring's maximum runtime. See `monitoring/dead_runs.py` for why. It acts only where runs
execute on this host (the instance's launcher is Dagster's default one); under the ECS run launcher it
skips, since that launcher reports dead tasks to Dagster's run monitoring itself."""

import dagster as dg

from smarthome_assets.monitoring.dead_runs import dead_run_message, worker_is_gone


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


def runs_execute_here(instance: dg.DagsterInstance) -> bool:
    """A worker's pid means something only when the run was launched as a process on this host."""
    return isinstance(instance.run_launcher, dg.DefaultRunLauncher)


@dg.sensor(
    name="dead_run_check",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks STARTED runs whose worker process no longer exists as failed, so a killed run does "
    "not hold a run slot (only where runs execute on this host: the default run launcher).",
)
def dead_run_check(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    if not runs_execute_here(context.instance):
        return dg.SkipReason(f"runs are launched by {type(context.instance.run_launcher).__name__}: not checked here")
    failed = mark_dead_runs_failed(context.instance)
    return dg.SkipReason(f"marked {len(failed)} dead run(s) failed: {', '.join(failed)}" if failed else "none")
