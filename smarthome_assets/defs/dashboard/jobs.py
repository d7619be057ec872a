"""A job to re-render the dashboard on demand (the folder's group)."""

import dagster as dg

dashboard_job = dg.define_asset_job(
    "dashboard_job",
    selection=dg.AssetSelection.groups("dashboard"),
    description="Re-render the energy dashboard from the warehouse as it is now.",
)
