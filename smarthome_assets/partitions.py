"""The daily partitions, shared by every partitioned asset, check, job and schedule.

One partition per UTC day of the data (SMARTHOME_FIRST_DAY..SMARTHOME_LAST_DAY, by default the real
HomeC file's 2016-01-01..2016-12-16; with SMARTHOME_DATA_ENDS_YESTERDAY=1 the same number of days,
moved to end yesterday, so the 02:00 UTC schedule finds a new day to export and load). Every
partitioned asset handles a whole range in one run (`BackfillPolicy.single_run()`), so a year's
backfill is one pass, not 351 runs.
"""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from smarthome_assets.settings import load_settings

_settings = load_settings()

daily_partitions = dg.DailyPartitionsDefinition(
    start_date=_settings.first_day.isoformat(),
    end_date=(_settings.last_day + timedelta(days=1)).isoformat(),
    timezone="UTC",
)

single_run = dg.BackfillPolicy.single_run()


def daily_asset(**kwargs):
    """`dg.asset` for a daily-partitioned asset that takes a whole day range in one run."""
    return dg.asset(partitions_def=daily_partitions, backfill_policy=single_run, **kwargs)


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
