"""The Dagster (and platformdirs) warnings nobody can act on, silenced by their exact message in one place.

Each is a documented use: the single-run backfill policy (how a year is one run) is beta, source code
references are beta, `Definitions.map_asset_specs` is a preview, and platformdirs complains when
XDG_RUNTIME_DIR is unset (CI, containers). The code location, the CLI, the benchmarks and the tests call
`quiet_known_warnings()`; any other warning, a deprecation above all, still shows.
"""

import warnings

import dagster as dg

_BETA = (
    "Parameter `backfill_policy` of function `asset` is currently in beta",
    "Function `with_source_code_references` is currently in beta",
    "Class `LocalFileCodeReference` is currently in beta",
    "Class `CodeReferencesMetadataValue` is currently in beta",
    # Dagster's own `evaluate_automation_conditions` test helper passes this beta parameter internally.
    "Parameter `include_sources` of function `AssetSelection.all` is currently in beta",
)


def quiet_known_warnings() -> None:
    for message in _BETA:
        warnings.filterwarnings("ignore", message=message, category=dg.BetaWarning)
    warnings.filterwarnings("ignore", message="Function `Definitions.map_", category=dg.PreviewWarning)
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
