"""The ingestion job: land, clean and load a day range into PostgreSQL (the folder's group, one run per range)."""

import dagster as dg

ingestion_job = dg.define_asset_job(
    "ingestion_job",
    selection=dg.AssetSelection.groups("ingestion"),
    description="Land, clean and load a day range into PostgreSQL.",
)
