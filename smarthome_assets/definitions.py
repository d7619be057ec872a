"""The code location: one Definitions merged from each domain folder, plus the resources of the
environment chosen by SMARTHOME_ENV (see smarthome_assets.resources).

Domain modules are imported as modules, not their `defs`: Dagster refuses a code location whose module
has more than one Definitions object at module scope (`make dev` would load nothing).
"""

import dagster as dg

from smarthome_assets.dashboard import definitions as dashboard
from smarthome_assets.exports import definitions as exports
from smarthome_assets.ingestion import definitions as ingestion
from smarthome_assets.resources import resources_for_env
from smarthome_assets.warehouse import definitions as warehouse

defs = dg.Definitions.merge(
    ingestion.defs,
    exports.defs,
    warehouse.defs,
    dashboard.defs,
    dg.Definitions(resources=resources_for_env()),
)
