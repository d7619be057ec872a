"""The code location: everything under defs/, loaded by Dagster's `load_from_defs_folder`.

Each domain folder holds its assets, checks, jobs, schedules and sensors; `defs/resources.py` adds the
resources of the environment (`SMARTHOME_ENV`), read when the location loads, not at import.
"""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
