"""`smarthome api` takes its API key from SMARTHOME_API_KEY (through lambda_api.config, the Lambda's own
reader), never from its command line, and then guards every route but /health, the dashboard included."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from smarthome_assets.services import embedded_postgres
from smarthome_assets_tests.support.paths import REPO
from smarthome_assets_tests.support.processes import ctrl_c_reaches_it

KEY = "cli-k3y-4b1d"


@pytest.fixture(scope="module")
def keyed_cli_server(tmp_path_factory):
    home = tmp_path_factory.mktemp("smarthome-keyed")
    process = None
    try:
        env = {**os.environ, "SMARTHOME_HOME": str(home), "SMARTHOME_API_KEY": KEY}
        command = [sys.executable, "-m", "smarthome_assets.cli.main", "api", "--port", "0"]
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO,
            start_new_session=True,
            preexec_fn=ctrl_c_reaches_it,
        )
        banner = [process.stdout.readline() for _ in range(2)]
        match = re.search(r" on (http://127\.0\.0\.1:\d+)", banner[0])
        assert match, banner
        yield match.group(1), banner, process
    finally:
        if process is not None:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=10)
        embedded_postgres.stop_server(home / "postgres")


def test_the_key_from_the_environment_guards_the_api_and_the_dashboard(keyed_cli_server):
    base, banner, _ = keyed_cli_server
    assert "x-api-key required" in banner[1] and KEY not in "".join(banner)
    assert requests.get(f"{base}/homes", timeout=10).status_code == 403
    assert requests.get(f"{base}/homes", headers={"x-api-key": KEY}, timeout=10).status_code == 200
    assert requests.get(f"{base}/health", timeout=10).status_code == 200
    assert requests.get(f"{base}/dashboard", timeout=10).status_code == 401
    # authorized, the dashboard is served (404 until the dashboard asset has rendered it)
    assert requests.get(f"{base}/dashboard", headers={"x-api-key": KEY}, timeout=10).status_code == 404


def test_the_key_is_not_on_the_command_line(keyed_cli_server):
    _, _, process = keyed_cli_server
    argv = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
    assert KEY.encode() not in b" ".join(argv)


def test_a_key_given_as_an_argument_is_refused_with_the_way_to_give_it():
    done = subprocess.run(
        [sys.executable, "-m", "smarthome_assets.cli.main", "api", "--api-key", "visible-in-ps"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "SMARTHOME_API_KEY" in done.stderr
