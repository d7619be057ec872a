"""The `smarthome` command: every subcommand has help; generate and db work as documented."""

from __future__ import annotations

import subprocess
import sys

import psycopg2
import pytest

from smarthome_assets.cli.main import COMMANDS, main
from smarthome_assets.homec import contract


@pytest.mark.parametrize("command", [m.__name__.rsplit(".", 1)[-1].removesuffix("_command") for m in COMMANDS])
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: smarthome {command}" in capsys.readouterr().out


def test_generate_writes_one_file_per_home(tmp_path, capsys):
    assert main(["generate", "--homes", "2", "--days", "1", "--seed", "3", "--out", str(tmp_path)]) == 0
    files = sorted(tmp_path.glob("*.csv"))
    assert [f.name for f in files] == ["home_01.csv", "home_02.csv"]
    lines = files[0].read_text().splitlines()
    assert lines[0] == ",".join(contract.RAW_HEADER) and len(lines) == 1 + 1440 + 1  # header, a day, junk row
    assert "generated 2 file(s)" in capsys.readouterr().out


def test_generate_refuses_nonsense(tmp_path):
    with pytest.raises(SystemExit, match="at least 1"):
        main(["generate", "--homes", "0", "--out", str(tmp_path)])


def test_db_up_url_down(tmp_path):
    env = {"SMARTHOME_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}

    def smarthome(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "smarthome_assets.cli.main", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout.strip()

    try:
        assert smarthome("db", "up").startswith("running: postgresql://")
        url = smarthome("db", "url")
        with psycopg2.connect(url) as conn, conn.cursor() as cur:  # left running, migrated
            cur.execute("SELECT count(*) FROM schema_migrations")
            assert cur.fetchone()[0] >= 2
    finally:
        assert smarthome("db", "down") == "stopped"
    assert smarthome("db", "down") == "not running"
