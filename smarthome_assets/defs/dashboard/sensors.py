"""`dashboard_refresh`: the dashboard is rendered again after the warehouse loads."""

from smarthome_assets.lib.automation import automation_sensor

dashboard_refresh = automation_sensor(
    "dashboard_refresh",
    "dashboard",
    "Requests `dashboard` when `redshift_tables` has loaded days since the last render.",
    interval_seconds=60,
)
