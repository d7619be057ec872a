"""`exports_automation`: a past day whose rows changed in PostgreSQL is exported again (the warehouse follows)."""

from smarthome_assets.lib.automation import automation_sensor

exports_automation = automation_sensor(
    "exports_automation",
    "exports",
    "Requests `daily_exports` for each day before yesterday whose PostgreSQL rows changed since.",
)
