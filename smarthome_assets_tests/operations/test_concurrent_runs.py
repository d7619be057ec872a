"""Issue 12: two runs at the same time on the same days must not load at once (they failed on raw sqlite3
and primary-key errors). Every daily asset takes the `smarthome_writer` pool, which the shipped instance
gives one slot: two real processes on one instance run their steps one after the other."""

from __future__ import annotations

import os
import subprocess
import sys

from smarthome_assets.lib.partitions import WRITER_POOL, daily_asset
from smarthome_assets.services.dagster_instance import LOCAL_DAGSTER_YAML
from smarthome_assets_tests.support.paths import LOCATIONS

SCRIPT = LOCATIONS / "pooled_location.py"


def test_every_daily_asset_is_in_the_writer_pool():
    @daily_asset()
    def some_day() -> None:
        pass

    assert some_day.op.pool == WRITER_POOL
    assert "pools:\n    default_limit: 1\n    granularity: op" in LOCAL_DAGSTER_YAML


def test_two_runs_on_the_same_day_load_one_after_the_other(tmp_path):
    home = tmp_path / "dagster"  # fresh: both processes also race to create the instance's storage
    log = tmp_path / "steps.log"
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    runs = [
        subprocess.Popen([sys.executable, str(SCRIPT), str(log), "2026-11-29"], env=env, start_new_session=True)
        for _ in range(2)
    ]
    assert [run.wait(timeout=180) for run in runs] == [0, 0]
    first, second = sorted(tuple(map(float, line.split())) for line in log.read_text().splitlines())
    assert second[0] >= first[1], f"the two steps overlapped by {first[1] - second[0]:.2f}s"


OPEN_INSTANCE = (
    "import sys; from pathlib import Path;"
    "from smarthome_assets.services.dagster_instance import local_instance;"
    "print(len(local_instance(Path(sys.argv[1])).get_runs()))"
)


def test_processes_opening_a_fresh_instance_at_once_all_succeed(tmp_path):
    """Without the creation lock, one of several first opens of a fresh SQLite instance dies on "table runs
    already exists" (seen in CI). Four processes open the same fresh folder at once; all must succeed."""
    home = tmp_path / "dagster"
    opens = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_INSTANCE, str(home)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(4)
    ]
    outcomes = [(run.wait(timeout=120), run.stdout.read().strip(), run.stderr.read()) for run in opens]
    assert [(code, out) for code, out, _ in outcomes] == [(0, b"0")] * 4, [err[-400:] for _, _, err in outcomes]
    assert (home / "dagster.yaml").read_text() == LOCAL_DAGSTER_YAML
