"""The local Dagster instance (`$SMARTHOME_HOME/dagster`): dagster.yaml, compute logs and schedule state.

`smarthome run` and `smarthome dev` keep its runs, events and schedules in the embedded PostgreSQL server
(database `dagster`) with event batches, as on AWS with RDS; SQLite wrote each per-day event on its own and
was several times slower (docs/DESIGN_NOTES.md). Without a server (`local_instance(path)`, tests) it is
Dagster's SQLite default."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import dagster as dg
from sqlalchemy.engine import URL

from smarthome_assets.services import embedded_postgres

#: Process settings for Dagster itself, in every process that runs steps: the materializations of a range
#: (one per day) are stored in batches of up to this many events (a year's range of one asset is one batch).
#: Used by dagster-postgres; SQLite storage stores them one by one.
DAGSTER_PROCESS_ENV = {"DAGSTER_EVENT_BATCH_SIZE": "1000"}

#: Added for `smarthome run`'s one bulk run only: it records one "materialization planned" event per asset
#: (with the range) instead of one per asset and day (5 instead of 1,755 for a year, several seconds less).
#: Dagster's trade-off: if such a run fails, its days show as missing rather than failed in the UI. Live
#: runs (the daemon's: a day or two each) keep the per-day events, so a day whose last run failed shows as
#: failed in the asset's partitions; `smarthome status` lists such days either way.
BULK_RUN_ENV = {**DAGSTER_PROCESS_ENV, "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "1"}

#: The database on the embedded server that holds the local instance's runs and events.
STORAGE_DATABASE = "dagster"


def apply_bulk_run_env() -> None:
    """Set BULK_RUN_ENV in this process (the one that runs `smarthome run`'s steps) unless the user set those
    variables already."""
    for name, value in BULK_RUN_ENV.items():
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
    # A run killed inside a step never gives back that step's slot of the `smarthome_writer` pool, and every
    # later run waits for it: Dagster frees the slots of a run this long after it ended.
    "free_slots_after_run_end_seconds": 30,
}

#: Dagster's run retries (the daemon re-executes a failed run from its failed step, as a new run of the same
#: run group): for a run whose process died (marked failed by run monitoring or `dead_run_check`), at most
#: twice. A run that failed in a step (a blocking check, a rejected file, a bug) is not retried: that is a
#: data or code error, and retrying would fail the same way. Transient errors inside a step (a connection
#: refused, a server restarting) are retried within the run by the step itself (lib/transient.py).
RUN_RETRIES = {"enabled": True, "max_retries": 2, "retry_on_asset_or_op_failure": False}

#: Sensor and automation ticks kept this many days (Dagster keeps successful ticks for ever by default: at a
#: tick every 30 s, six sensors store 17,000 a day). Runs are pruned by the run_retention sensor.
TICK_RETENTION_DAYS = {"skipped": 1, "success": 3, "failure": 14, "started": 14}

LOCAL_DAGSTER_YAML = (
    """\
# Written by smarthome: local instance (rewritten when smarthome changes it; remove this line to keep edits).
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
retention:
"""
    + "".join(
        f"  {kind}:\n    purge_after_days:\n"
        + "".join(f"      {status}: {days}\n" for status, days in TICK_RETENTION_DAYS.items())
        for kind in ("sensor", "auto_materialize")
    )
    + "run_monitoring:\n"
    + "".join(f"  {key}: {str(value).lower()}\n" for key, value in RUN_MONITORING.items())
    + "run_retries:\n"
    + "".join(f"  {key}: {str(value).lower()}\n" for key, value in RUN_RETRIES.items())
)

#: How every dagster.yaml this module ever wrote begins: such a file is ours to bring up to date.
_OURS = "# Written by smarthome"


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


def storage_yaml(storage_url: str) -> str:
    """The `storage:` block for dagster-postgres, the URL as SQLAlchemy wants it (driver named, the socket
    folder percent-encoded) and quoted for YAML."""
    parts = urlsplit(storage_url)
    url = URL.create(
        "postgresql+psycopg2",
        username=parts.username,
        password=parts.password or None,
        host=parts.hostname,
        port=parts.port,
        database=parts.path.lstrip("/"),
        query=dict(parse_qsl(parts.query)),
    )
    return f"storage:\n  postgres:\n    postgres_url: {json.dumps(url.render_as_string(hide_password=False))}\n"


def embedded_storage_url(pgdata: Path) -> str:
    """The `dagster` database on the embedded server (the server started and the database created if needed)."""
    return embedded_postgres.server_url(pgdata, STORAGE_DATABASE)


def _write_config(path: Path, storage_url: str | None) -> None:
    config = path / "dagster.yaml"
    wanted = LOCAL_DAGSTER_YAML + (storage_yaml(storage_url) if storage_url else "")
    current = config.read_text() if config.exists() else None
    if current is None or (current.startswith(_OURS) and current != wanted):
        config.write_text(wanted)


def ensure_dagster_home(path: Path, storage_url: str | None = None) -> Path:
    """Create the instance folder and its dagster.yaml (PostgreSQL storage at `storage_url` if given, else
    SQLite in the folder). A yaml written by smarthome is brought up to date (one without run monitoring
    leaves killed runs STARTED for ever); one written by hand is kept."""
    with _creating(path):
        _write_config(path, storage_url)
    return path


def local_instance(path: Path, storage_url: str | None = None) -> dg.DagsterInstance:
    """The instance in `path`, its storage created under the creation lock so concurrent first runs agree."""
    with _creating(path):
        _write_config(path, storage_url)
        return dg.DagsterInstance.from_config(str(path))


def run_instance(dagster_home: Path, pgdata: Path) -> dg.DagsterInstance:
    """The instance `smarthome run` executes in: storage in the embedded server's `dagster` database, and
    one connection kept open for the run's events (what Dagster's webserver does; its storage otherwise
    opens a connection per write, hundreds for a year). 0: no statement timeout."""
    instance = local_instance(dagster_home, embedded_storage_url(pgdata))
    instance.optimize_for_webserver(statement_timeout=0, pool_recycle=3600, max_overflow=4)
    return instance
