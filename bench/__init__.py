"""Benchmarks (`make bench`): each module runs as `python -m bench.<name>` and prints its ratios.

Dagster's beta notices for what the project uses on purpose are silenced as in the CLI, so the reports
stay readable.
"""

from smarthome_assets.lib.dagster_warnings import quiet_known_warnings

quiet_known_warnings()
