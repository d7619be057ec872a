"""The code location: everything under defs/, loaded by Dagster's `load_from_defs_folder`.

Each domain folder holds its assets, checks, jobs, schedules and sensors; `defs/resources.py` adds the
resources of the environment (`SMARTHOME_ENV`), read when the location loads, not at import. Every asset
carries a reference to its source file and line, which the UI links to.
"""

import warnings
from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    loaded = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
    with warnings.catch_warnings():
        # Dagster marks code references beta; the UI's links to the code are worth it, and nothing depends on them.
        warnings.filterwarnings(
            "ignore",
            message="(Function `with_source_code_references`|Class `LocalFileCodeReference`|"
            "Class `CodeReferencesMetadataValue`) is currently in beta",
        )
        assets = dg.with_source_code_references(list(loaded.assets or []))
    return dg.Definitions(
        assets=assets,
        asset_checks=loaded.asset_checks,
        jobs=loaded.jobs,
        schedules=loaded.schedules,
        sensors=loaded.sensors,
        resources=loaded.resources,
    )
