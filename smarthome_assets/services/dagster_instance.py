"""The local Dagster instance: SQLite storage under the project's home folder (`$SMARTHOME_HOME/dagster`).

On AWS, deploy/dagster.aws.yaml points run, event and schedule storage at PostgreSQL (dagster-postgres).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
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


#: Run monitoring: the default run launcher cannot ask a run worker whether it is alive, so Dagster's
#: monitor frees a dead run by its maximum runtime: a run still STARTED after `max_runtime_seconds` (a
#: SIGKILLed worker never reports its end) is marked failed and its queue slot freed. An hour is 80 times a
#: full year's run here; `smarthome_assets/defs/operations` adds a faster local check of dead workers.
#: Pools: every daily asset's step takes a slot of the `smarthome_writer` pool (lib/partitions.py), so two
#: runs on the same home and days load one after the other instead of colliding in PostgreSQL.
RUN_MONITORING = {
    "enabled": True,
    "poll_interval_seconds": 30,
    "start_timeout_seconds": 180,
    "cancel_timeout_seconds": 180,
    "max_runtime_seconds": 3600,
    "max_resume_run_attempts": 0,
}

LOCAL_DAGSTER_YAML = """\
# Written by smarthome: local instance, SQLite storage in this folder.
telemetry:
  enabled: false
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
concurrency:
  runs:
    max_concurrent_runs: 2
  pools:
    default_limit: 1
    granularity: op
run_monitoring:
""" + "".join(f"  {key}: {str(value).lower()}\n" for key, value in RUN_MONITORING.items())

#: The first line of every dagster.yaml this module writes: such a file is ours to bring up to date.
_OURS = LOCAL_DAGSTER_YAML.splitlines()[0]


@contextmanager
def _creating(path: Path) -> Iterator[None]:
    """Hold the instance folder's creation lock: two processes that first open a fresh instance at once
    would both write dagster.yaml and both create SQLite's tables, and the second dies on "table runs
    already exists". The lock is an advisory flock, freed by the kernel if its holder dies."""
    path.mkdir(parents=True, exist_ok=True)
    with open(path / ".smarthome-instance.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_config(path: Path) -> None:
    config = path / "dagster.yaml"
    if not config.exists() or (config.read_text().startswith(_OURS) and config.read_text() != LOCAL_DAGSTER_YAML):
        config.write_text(LOCAL_DAGSTER_YAML)


def ensure_dagster_home(path: Path) -> Path:
    """Create the instance folder and its dagster.yaml; an older one written by smarthome is replaced (a
    yaml without run monitoring leaves killed runs STARTED for ever), one written by hand is kept."""
    with _creating(path):
        _write_config(path)
    return path


def local_instance(path: Path) -> dg.DagsterInstance:
    """The instance in `path`, its storage created under the creation lock so concurrent first runs agree."""
    with _creating(path):
        _write_config(path)
        return dg.DagsterInstance.from_config(str(path))
