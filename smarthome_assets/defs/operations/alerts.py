"""`run_failure_alerts`: every failed run, of any job (sensor, schedule, backfill or `smarthome run`), is
recorded in the object store under alerts/<day>/<run id>.json and, when SMARTHOME_ALERT_WEBHOOK_URL is set,
posted to that Slack-compatible webhook. The formatting and posting are in `monitoring/alerts.py`."""

from datetime import UTC, datetime

import dagster as dg

from smarthome_assets.lib.failures import step_failures
from smarthome_assets.lib.run_history import RANGE_END, RANGE_START, run_assets
from smarthome_assets.monitoring.alerts import AlertSink, FailureRecord, WebhookError


def failure_record(context: dg.RunFailureSensorContext, now: datetime | None = None) -> FailureRecord:
    run = context.dagster_run
    tags = run.tags
    if RANGE_START in tags:
        partitions = f"{tags[RANGE_START]}...{tags.get(RANGE_END, tags[RANGE_START])}"
    else:
        partitions = tags.get("dagster/partition", "")
    failed = step_failures(context.get_step_failure_events())
    if failed:
        error = "; ".join(f"step {step}: {cause}" for step, cause in failed.items())
    else:  # the run failed outside any step: a dead worker, a timeout, a resource that would not start
        error = context.failure_event.message or "run failed"
    assets = sorted(key.to_user_string() for key in run_assets(context.instance, run))
    return FailureRecord(
        run_id=run.run_id,
        job_name=run.job_name,
        failed_at=now or datetime.now(UTC),
        error=error,
        assets=assets or sorted(failed),
        partitions=partitions,
        failed_steps=failed,
    )


@dg.run_failure_sensor(
    name="run_failure_alerts",
    monitor_all_code_locations=True,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=15,
    description="Records every failed run (run, assets, partitions, error) under alerts/<day>/ in the object "
    "store, and posts it to the Slack-compatible webhook when SMARTHOME_ALERT_WEBHOOK_URL is set.",
)
def run_failure_alerts(context: dg.RunFailureSensorContext, alerts: dg.ResourceParam[AlertSink]) -> None:
    record = failure_record(context)
    try:
        key, status = alerts.send(record)
    except WebhookError as exc:  # the record is written first; a broken webhook must not stall the sensor
        context.log.error(f"run {record.run_id} failed: recorded at {record.key}, but {exc}")
        return
    sent = f"; webhook answered {status}" if status is not None else "; no webhook configured"
    context.log.info(f"run {record.run_id} failed: recorded at {key}{sent}")
