"""The ingestion job: land, clean and load a day range into PostgreSQL (the folder's group, one run per range).

In-process executor: the steps run one after the other anyway (each asset needs the previous one), and
the multiprocess executor starts a process per step that imports the whole project again, most of a small
run's time (docs/DESIGN_NOTES.md).
"""

import dagster as dg

ingestion_job = dg.define_asset_job(
    "ingestion_job",
    selection=dg.AssetSelection.groups("ingestion"),
    executor_def=dg.in_process_executor,
    description="Land, clean and load a day range into PostgreSQL.",
)
