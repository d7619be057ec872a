"""A code location whose one run fails a blocking check: a data error, which run retries must leave alone.

A sensor (running by default) requests the run once (a fixed run key). The asset is built like the
project's daily assets (`daily_asset`), so its step also has the transient-failure retry around it.
"""

import dagster as dg

from smarthome_assets.lib.partitions import daily_asset, range_tags


@daily_asset(check_specs=[dg.AssetCheckSpec("never_passes", asset="checked_day", blocking=True)])
def checked_day() -> dg.MaterializeResult:
    return dg.MaterializeResult(check_results=[dg.AssetCheckResult(check_name="never_passes", passed=False)])


checked_job = dg.define_asset_job("checked_job", selection=[checked_day])


@dg.sensor(job=checked_job, minimum_interval_seconds=5, default_status=dg.DefaultSensorStatus.RUNNING)
def request_once() -> dg.RunRequest:
    from datetime import date

    return dg.RunRequest(run_key="the-one-run", tags=range_tags(date(2026, 11, 2), date(2026, 11, 3)))


defs = dg.Definitions(assets=[checked_day], jobs=[checked_job], sensors=[request_once])
