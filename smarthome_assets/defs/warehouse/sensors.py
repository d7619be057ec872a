"""The sensor that evaluates `redshift_tables`' automation condition: a day whose exports were (re)written
is loaded into the warehouse. Its own and running by default, like the dashboard's, so the nightly load
does not depend on the instance's default automation sensor."""

import dagster as dg

warehouse_automation = dg.AutomationConditionSensorDefinition(
    "warehouse_automation",
    target=dg.AssetSelection.groups("warehouse"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Requests `redshift_tables` for each day whose export files were written since it was loaded.",
)
