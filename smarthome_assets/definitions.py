"""The code location: everything under defs/, loaded by Dagster's `load_from_defs_folder`.

Each domain folder holds its assets, checks, jobs, schedules and sensors; `defs/resources.py` adds the
resources of the environment (`SMARTHOME_ENV`), read when the location loads, not at import. Every asset
carries a reference to its source file and line, which the UI links to, and the three daily tables get their
Dagster freshness policy here, where every asset is known (defs/operations/freshness.py).
"""

from pathlib import Path

import dagster as dg

from smarthome_assets.defs.operations.freshness import with_freshness_policy
from smarthome_assets.lib.dagster_warnings import quiet_known_warnings


@dg.definitions
def defs() -> dg.Definitions:
    quiet_known_warnings()
    loaded = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
    return dg.Definitions(
        assets=dg.with_source_code_references(list(loaded.assets or [])),
        asset_checks=loaded.asset_checks,
        jobs=loaded.jobs,
        schedules=loaded.schedules,
        sensors=loaded.sensors,
        resources=loaded.resources,
    ).map_asset_specs(func=with_freshness_policy)
