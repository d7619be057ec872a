"""The real Dagster daemon on a temporary home, as `make dev` runs it (for tests and benchmarks).

`dagster-daemon run` on this project's workspace with the instance `smarthome dev` writes (storage in the
embedded server's `dagster` database, run monitoring, run retries), in its own process group so that it,
its code server and its run workers can be stopped, or killed, together.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from smarthome_assets.services import embedded_postgres
from smarthome_assets.services.dagster_instance import DAGSTER_PROCESS_ENV, embedded_storage_url, ensure_dagster_home
from smarthome_assets.settings import project_root


def daemon_env(home: Path) -> dict[str, str]:
    """The environment `make dev` gives Dagster for `home`: none of the caller's SMARTHOME_/DAGSTER_ settings."""
    dagster_home = ensure_dagster_home(home / "dagster", embedded_storage_url(home / "postgres"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMARTHOME_", "DAGSTER_"))}
    env.update({"SMARTHOME_HOME": str(home), "DAGSTER_HOME": str(dagster_home), **DAGSTER_PROCESS_ENV})
    return env


def operational_url(home: Path) -> str:
    """The `smarthome` database of `home`'s embedded server (started if it is not)."""
    return embedded_postgres.server_url(home / "postgres", "smarthome")


def start_daemon(home: Path, log: Path, workspace: Path | None = None) -> subprocess.Popen:
    """`dagster-daemon run` for `home` (the project's workspace unless another is given), output to `log`."""
    daemon_bin = Path(sys.executable).parent / "dagster-daemon"
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(daemon_bin), "run", "-w", str(workspace or project_root() / "workspace.yaml")],
            cwd=project_root(),
            env=daemon_env(home),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def start_dev(home: Path, log: Path, port: int) -> subprocess.Popen:
    """`smarthome dev` for `home` (webserver, daemon and one code server, as `make dev` runs them), output to
    `log`. Unlike `dagster-daemon run` alone, which starts a new code server every minute (Dagster reloads
    the workspace), `dagster dev` starts the code server once and points the daemon at it."""
    smarthome = Path(sys.executable).parent / "smarthome"
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(smarthome), "dev", "--port", str(port)],
            cwd=project_root(),
            env=daemon_env(home),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
