"""The local Dagster instance: SQLite storage under the project's home folder (`$SMARTHOME_HOME/dagster`).

On AWS, deploy/dagster.aws.yaml points run, event and schedule storage at PostgreSQL (dagster-postgres).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

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
