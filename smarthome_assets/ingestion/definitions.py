"""The ingestion domain's definitions: assets (with their checks) and the job over them."""

import dagster as dg

from smarthome_assets.ingestion.assets import ASSETS
from smarthome_assets.partitions import daily_partitions

ingestion_job = dg.define_asset_job(
    "ingestion_job",
    selection=dg.AssetSelection.assets(*ASSETS),
    partitions_def=daily_partitions,
    description="Land, clean and load a day range into PostgreSQL.",
)

defs = dg.Definitions(assets=ASSETS, jobs=[ingestion_job])
