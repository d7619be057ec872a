"""The real daemon, end to end: `dagster-daemon run` on a temporary home, a file dropped into the incoming
zone, its rows in PostgreSQL within a bounded time, with nobody pressing a button.

The daemon runs this project's workspace with its default settings (the sensor's 30 s interval, the
queued run coordinator, the default run launcher), in its own process group, ended at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest

from smarthome_assets.services import embedded_postgres
from smarthome_assets.services.dagster_instance import DAGSTER_PROCESS_ENV, embedded_storage_url, ensure_dagster_home
from smarthome_assets.settings import project_root
from smarthome_assets_tests.support.homec_files import minutes, write
from smarthome_assets_tests.support.processes import stop_group

BOUND_SECONDS = 80


def _rows(url: str) -> int:
    try:
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM energy_consuming_device")
            return cur.fetchone()[0]
    except psycopg2.Error:
        return 0  # the run has not created the tables yet


@pytest.mark.slow
def test_a_dropped_file_reaches_postgresql_through_the_daemon(tmp_path):
    home = tmp_path / "home"
    dagster_home = ensure_dagster_home(home / "dagster", embedded_storage_url(home / "postgres"))  # as `make dev`
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMARTHOME_", "DAGSTER_"))}
    env.update({"SMARTHOME_HOME": str(home), "DAGSTER_HOME": str(dagster_home), **DAGSTER_PROCESS_ENV})
    url = embedded_postgres.server_url(home / "postgres", "smarthome")  # up before the runs need it
    daemon_bin = Path(sys.executable).parent / "dagster-daemon"
    log = (tmp_path / "daemon.log").open("wb")
    daemon = subprocess.Popen(
        [str(daemon_bin), "run", "-w", str(project_root() / "workspace.yaml")],
        cwd=project_root(),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        incoming = home / "object_store" / "incoming" / "kitchen"
        incoming.mkdir(parents=True)
        staging = write(incoming / ".day1.csv.part", minutes(90))
        dropped = time.monotonic()
        staging.rename(incoming / "day1.csv")  # complete files only: written aside, renamed into place
        while _rows(url) < 90:
            assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()[-3000:]
            assert time.monotonic() - dropped < BOUND_SECONDS, (tmp_path / "daemon.log").read_text()[-3000:]
            time.sleep(1)
        print(f"dropped -> rows in PostgreSQL: {time.monotonic() - dropped:.1f}s")
        assert _rows(url) == 90
    finally:
        stop_group(daemon)
        log.close()
        embedded_postgres.stop_server(home / "postgres")
