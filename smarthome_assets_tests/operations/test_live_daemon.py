"""The real daemon, end to end: `dagster-daemon run` on a temporary home, a file dropped into the incoming
zone, its rows in PostgreSQL within a bounded time, with nobody pressing a button.

The daemon runs this project's workspace with its default settings (the sensor's 30 s interval, the
queued run coordinator, the default run launcher), in its own process group, ended at the end.
"""

from __future__ import annotations

import time

import psycopg2
import pytest

from smarthome_assets.services import embedded_postgres
from smarthome_assets_tests.support.daemon import operational_url, start_daemon
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
    url = operational_url(home)  # up before the runs need it
    daemon = start_daemon(home, tmp_path / "daemon.log")
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
        embedded_postgres.stop_server(home / "postgres")
