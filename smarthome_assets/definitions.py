"""The code location: one Definitions merged from each domain folder, plus the resources of the
environment chosen by SMARTHOME_ENV (see smarthome_assets.resources)."""

import dagster as dg

from smarthome_assets.ingestion.definitions import defs as ingestion_defs
from smarthome_assets.resources import resources_for_env

defs = dg.Definitions.merge(
    ingestion_defs,
    dg.Definitions(resources=resources_for_env()),
)
