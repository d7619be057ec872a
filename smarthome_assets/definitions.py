"""The code location: everything under defs/, loaded by Dagster's `load_from_defs_folder`.

Each domain folder holds its assets, checks, jobs, schedules and sensors; `defs/resources.py` adds the
resources of the environment (`SMARTHOME_ENV`), read when the location loads, not at import. The three
daily tables get their Dagster freshness policy here, where every asset is known (defs/operations/freshness.py).
"""

import warnings
from pathlib import Path

import dagster as dg

from smarthome_assets.defs.operations.freshness import with_freshness_policy


@dg.definitions
def defs() -> dg.Definitions:
    loaded = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
    with warnings.catch_warnings():  # Dagster 1.13 marks map_asset_specs as preview; this is its documented use
        warnings.filterwarnings("ignore", message="Function `Definitions.map_", category=dg.PreviewWarning)
        return loaded.map_asset_specs(func=with_freshness_policy)
