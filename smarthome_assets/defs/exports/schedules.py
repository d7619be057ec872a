"""The daily export: at 02:00 UTC, export the previous UTC day (the day that has just ended).

The run key is the day, so a tick never requests the same day twice. A schedule has no past ticks on a
platform started after 02:00 (a fresh `make dev` at 10:00, a restored deployment), and the exports' automation
leaves yesterday to the schedule: `missed_daily_export` exports yesterday then, once its rows are loaded.
The warehouse follows on its own (`redshift_tables` is automated on its exports). Ranges (backfills) go
through the same job: a backfill in the UI, `dg launch --assets daily_exports --partition-range A...B`, or
`smarthome run --first-day A --last-day B`; each is one run (single-run backfill policy).
"""

from datetime import UTC, datetime, timedelta

import dagster as dg

from smarthome_assets.lib.keys import DAILY_EXPORTS, RDS_TABLES

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


#: The schedule's run has this long after 02:00 before its day counts as missed.
MISSED_AFTER = timedelta(hours=3)


def missed_export_request(instance: dg.DagsterInstance, now: datetime) -> dg.RunRequest | dg.SkipReason:
    """Yesterday, when it is past 03:00 UTC, PostgreSQL holds it and no run has exported it."""
    now = now.astimezone(UTC)
    day = (now - timedelta(days=1)).date().isoformat()
    if now - now.replace(hour=0, minute=0, second=0, microsecond=0) < MISSED_AFTER:
        return dg.SkipReason(f"{day} is the 02:00 schedule's until 03:00 UTC")

    def materialized(key: dg.AssetKey) -> bool:
        found = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key, asset_partitions=[day]), limit=1)
        return bool(found.records)

    if materialized(DAILY_EXPORTS):
        return dg.SkipReason(f"{day} is exported")
    if not materialized(RDS_TABLES):
        return dg.SkipReason(f"{day} is not in PostgreSQL yet")
    return dg.RunRequest(run_key=f"missed-{day}", partition_key=day)


@dg.sensor(
    job=daily_exports_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After 03:00 UTC: export yesterday if the 02:00 schedule did not (the platform was not running).",
)
def missed_daily_export(context: dg.SensorEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    return missed_export_request(context.instance, datetime.now(UTC))
