"""The sensor that evaluates `daily_exports`' automation condition: a past day whose rows changed in
PostgreSQL is exported again (then the warehouse follows it). Its own and running by default, like the
warehouse's and the dashboard's, so propagation does not depend on the instance's default automation sensor."""

import dagster as dg

exports_automation = dg.AutomationConditionSensorDefinition(
    "exports_automation",
    target=dg.AssetSelection.groups("exports"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Requests `daily_exports` for each day before yesterday whose PostgreSQL rows changed since.",
)
