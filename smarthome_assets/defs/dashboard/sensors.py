"""The sensor that refreshes the dashboard after the warehouse loads: its own, running by default, so the
refresh does not depend on whether the instance's default automation sensor is switched on."""

import dagster as dg

dashboard_refresh = dg.AutomationConditionSensorDefinition(
    "dashboard_refresh",
    target=dg.AssetSelection.groups("dashboard"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Requests `dashboard` when `redshift_tables` has loaded days since the last render.",
)
