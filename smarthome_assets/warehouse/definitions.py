"""The warehouse domain's definitions: `redshift_tables`, the job that exports and loads a day range, and
the daily schedule.

The schedule ticks at 02:00 UTC and asks for the previous UTC day, the day that has just ended. A day
outside the partitions is skipped with a reason (by default the partitions are the data's own 2016 days;
SMARTHOME_DATA_ENDS_YESTERDAY=1 moves them so the data ends yesterday and the ticks find new days). The
run key is the day, so a tick never requests the same day twice. Ranges (backfills) go through the same
job: a backfill in the UI, `dagster asset materialize --select daily_exports,redshift_tables
--partition-range A...B`, or `smarthome run --first-day A --last-day B`; each is one run (single-run
backfill policy).
"""

from datetime import UTC, datetime, timedelta

import dagster as dg

from smarthome_assets.partitions import daily_partitions
from smarthome_assets.warehouse.assets import ASSETS

SCHEDULE_CRON = "0 2 * * *"

daily_warehouse_job = dg.define_asset_job(
    "daily_warehouse_job",
    selection=dg.AssetSelection.assets("daily_exports", "redshift_tables"),
    partitions_def=daily_partitions,
    description="Export a day range through the API and load it into the warehouse (one run per range).",
)


@dg.schedule(
    cron_schedule=SCHEDULE_CRON,
    execution_timezone="UTC",
    job=daily_warehouse_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="02:00 UTC: export and load the previous UTC day.",
)
def daily_warehouse_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    tick = context.scheduled_execution_time or datetime.now(UTC)
    day = (tick.astimezone(UTC) - timedelta(days=1)).date().isoformat()
    if not daily_partitions.has_partition_key(day):
        first, last = daily_partitions.get_first_partition_key(), daily_partitions.get_last_partition_key()
        return dg.SkipReason(
            f"{day} is not a partition ({first}..{last}); set SMARTHOME_DATA_ENDS_YESTERDAY=1 "
            "to move the data's days up to yesterday"
        )
    return dg.RunRequest(run_key=day, partition_key=day)


defs = dg.Definitions(assets=ASSETS, jobs=[daily_warehouse_job], schedules=[daily_warehouse_schedule])
