"""The daily export: at 02:00 UTC, export the previous UTC day (the day that has just ended).

The run key is the day, so a tick never requests the same day twice. The warehouse follows on its own
(`redshift_tables` is automated on its exports). Ranges (backfills) go through the same job: a backfill in
the UI, `dg launch --assets daily_exports --partition-range A...B`, or `smarthome run --first-day A
--last-day B`; each is one run (single-run backfill policy).
"""

from datetime import UTC, datetime, timedelta

import dagster as dg

SCHEDULE_CRON = "0 2 * * *"

daily_exports_job = dg.define_asset_job(
    "daily_exports_job",
    selection=dg.AssetSelection.groups("exports"),
    description="Export a day range through the API into the object store (one run per range).",
)


@dg.schedule(
    cron_schedule=SCHEDULE_CRON,
    execution_timezone="UTC",
    job=daily_exports_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="02:00 UTC: export the previous UTC day; the warehouse load follows it.",
)
def daily_exports_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    tick = context.scheduled_execution_time or datetime.now(UTC)
    day = (tick.astimezone(UTC) - timedelta(days=1)).date().isoformat()
    return dg.RunRequest(run_key=day, partition_key=day)
