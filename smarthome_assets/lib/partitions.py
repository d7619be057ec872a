"""The daily partitions, shared by every partitioned asset, check, job and schedule.

One partition per UTC day, from the first day of HomeC data (2016-01-01, the real file's first day) and
open-ended: today's partition exists today (`end_offset=1`), so a delivery of today's readings has a
partition to land in and yesterday's is complete for the 02:00 UTC export. Fixed in code: no setting or
clock moves them at import; Dagster computes the last key when it is asked. Every partitioned asset
handles a whole range in one run (`BackfillPolicy.single_run()`), so a year's backfill is one pass.
"""

from datetime import date, timedelta

import dagster as dg

from smarthome_assets.homec import contract
from smarthome_assets.lib.transient import retried_when_transient

FIRST_DAY: date = contract.TIMEFRAME_ORIGIN.date()

daily_partitions = dg.DailyPartitionsDefinition(start_date=FIRST_DAY.isoformat(), timezone="UTC", end_offset=1)

single_run = dg.BackfillPolicy.single_run()

#: The Dagster pool every daily asset's step takes a slot of. Two runs on the same home and days (two
#: `smarthome run`, a sensor run beside a backfill) used to load at once and fail on raw primary-key or
#: sqlite errors; the instance gives this pool one slot (services/dagster_instance.py), so the second run's
#: step waits ("Step blocked by limit for pool smarthome_writer" in its log), then replaces the same days.
WRITER_POOL = "smarthome_writer"


def daily_asset(**kwargs):
    """`dg.asset` for a daily-partitioned asset that takes a whole day range in one run, its step retried
    when it fails for a transient reason (lib/transient.py)."""
    kwargs.setdefault("pool", WRITER_POOL)
    decorate = dg.asset(partitions_def=daily_partitions, backfill_policy=single_run, **kwargs)
    return lambda compute: decorate(retried_when_transient(compute))


def daily_multi_asset(**kwargs):
    """`dg.multi_asset` for several daily-partitioned assets materialized by one step (one pass over the
    data), with the same range policy, pool and transient retries as `daily_asset`."""
    kwargs.setdefault("pool", WRITER_POOL)
    decorate = dg.multi_asset(partitions_def=daily_partitions, backfill_policy=single_run, **kwargs)
    return lambda compute: decorate(retried_when_transient(compute))


def partition_days(context: dg.AssetExecutionContext | dg.OpExecutionContext) -> list[date]:
    """The days a run covers: one partition or a whole range."""
    window = context.partition_time_window
    first = window.start.date()
    count = (window.end.date() - first).days
    return [first + timedelta(days=i) for i in range(count)]


def range_tags(first: date, last: date) -> dict[str, str]:
    """Run tags that make one run cover [first, last] (what `materialize()` and the CLI use)."""
    return {
        "dagster/asset_partition_range_start": first.isoformat(),
        "dagster/asset_partition_range_end": last.isoformat(),
    }
