"""`lake_automation`: a day whose exports were (re)written is written to the lake again."""

from smarthome_assets.lib.automation import automation_sensor

lake_automation = automation_sensor(
    "lake_automation",
    "lake",
    "Requests `lake_parquet` for each day whose export files were written since it was last written to the lake.",
)
