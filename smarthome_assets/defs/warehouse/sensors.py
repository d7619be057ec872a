"""`warehouse_automation`: a day whose exports were (re)written is loaded into the warehouse."""

from smarthome_assets.lib.automation import automation_sensor

warehouse_automation = automation_sensor(
    "warehouse_automation",
    "warehouse",
    "Requests `redshift_tables` for each day whose export files were written since it was loaded.",
)
