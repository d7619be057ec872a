"""Issue 12: the embedded PostgreSQL server in a folder whose path has a space, and out of disk.

Both with the real server: the path case through `smarthome db up` / `db down`; the disk case on a real
64 MB tmpfs filled to the last byte (needs root and `mount`; skipped where neither is available)."""

from __future__ import annotations

import os
import shutil
import subprocess

import psycopg2
import pytest

from smarthome_assets.cli.main import main
from smarthome_assets.services import embedded_postgres
from smarthome_assets.services.embedded_postgres import EmbeddedServerError


def test_a_home_with_a_space_in_its_path(tmp_path, monkeypatch, capsys):
    home = tmp_path / "My smart home"
    monkeypatch.setenv("SMARTHOME_HOME", str(home))
    try:
        assert main(["db", "up"]) == 0
        url = capsys.readouterr().out.split("running: ", 1)[1].strip()
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM home")
            assert cur.fetchone() == (0,)
        assert " " not in embedded_postgres.socket_dir(home / "postgres")
    finally:
        assert main(["db", "down"]) == 0
    assert capsys.readouterr().out.strip() == "stopped"


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root and mount to make a small real filesystem")
    mountpoint = tmp_path / "small disk"
    mountpoint.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mountpoint)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mountpoint
    finally:
        embedded_postgres.stop_server(mountpoint / "pg")
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def test_out_of_disk_is_named_as_such(small_disk):
    pgdata = small_disk / "pg"
    embedded_postgres.server_url(pgdata, "smarthome")
    with open(small_disk / "filler", "wb") as filler:  # fill the filesystem to the last byte
        try:
            while True:
                filler.write(b"\0" * (1 << 20))
                filler.flush()
        except OSError:
            pass
    embedded_postgres.stop_server(pgdata)
    from embedded_postgres.postgres_server import PostgresServer

    PostgresServer._instances.pop(pgdata.resolve(), None)  # a new process would start it afresh
    with pytest.raises(EmbeddedServerError) as error:
        embedded_postgres.server_url(pgdata, "smarthome")
    message = str(error.value)
    assert "the disk holding" in message and "is full" in message and "Free some space" in message
    assert "\n" not in message


def test_a_server_that_fails_for_another_reason_quotes_its_log(tmp_path):
    pgdata = tmp_path / "pg"
    pgdata.mkdir()
    (pgdata / "log").write_text("2026-11-30 LOG:  starting\n2026-11-30 FATAL:  lock file already exists\n")
    message = embedded_postgres.diagnose(pgdata, "did not start")
    assert message.startswith("PostgreSQL did not start (lock file already exists); its log: ")
