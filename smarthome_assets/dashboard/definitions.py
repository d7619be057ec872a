"""The dashboard domain's definitions: the `dashboard` asset (with its checks), a job to re-render it, and
the sensor that refreshes it after the warehouse loads (its own, running by default, so the refresh does
not depend on whether the instance's default automation sensor is switched on)."""

import dagster as dg

from smarthome_assets.dashboard.assets import ASSETS

dashboard_job = dg.define_asset_job(
    "dashboard_job",
    selection=dg.AssetSelection.assets(*ASSETS),
    description="Re-render the energy dashboard from the warehouse as it is now.",
)

dashboard_refresh = dg.AutomationConditionSensorDefinition(
    "dashboard_refresh",
    target=dg.AssetSelection.assets(*ASSETS),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Requests `dashboard` when `redshift_tables` has loaded days since the last render.",
)

defs = dg.Definitions(assets=ASSETS, jobs=[dashboard_job], sensors=[dashboard_refresh])
