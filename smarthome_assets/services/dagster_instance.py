"""The local Dagster instance: SQLite storage under the project's home folder (`$SMARTHOME_HOME/dagster`).

On AWS, deploy/dagster.aws.yaml points run, event and schedule storage at PostgreSQL (dagster-postgres).
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

#: Process settings for Dagster itself. A range run records one "materialization planned" event per asset
#: (with the range) instead of one per asset and day: for a year of 7 daily assets that is 7 events instead
#: of 2,457, and 23 s less before the first step on SQLite. Dagster's documented trade-off: if such a run
#: fails, its partitions show as missing rather than failed in the UI (the run itself shows as failed).
DAGSTER_PROCESS_ENV = {"DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "1"}


def apply_dagster_process_env() -> None:
    """Set DAGSTER_PROCESS_ENV in this process unless the user set those variables already."""
    for name, value in DAGSTER_PROCESS_ENV.items():
        os.environ.setdefault(name, value)


LOCAL_DAGSTER_YAML = """\
# Written by smarthome: local instance, SQLite storage in this folder.
telemetry:
  enabled: false
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 2
"""


def ensure_dagster_home(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    config = path / "dagster.yaml"
    if not config.exists():
        config.write_text(LOCAL_DAGSTER_YAML)
    return path


def local_instance(path: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(ensure_dagster_home(path)))
