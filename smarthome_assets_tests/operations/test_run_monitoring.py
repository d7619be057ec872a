"""Issue 12: a SIGKILLed run must not stay STARTED for ever and block the queue.

The real `dagster-daemon` runs on a temporary instance written from the project's own dagster.yaml (only
the monitor's timings shortened), three runs are submitted with two run slots, and the two running
workers are killed with SIGKILL. Without run monitoring both stay STARTED and the third never starts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from smarthome_assets.defs.operations.dead_runs import dead_run_check, runs_execute_here, worker_pid
from smarthome_assets.services.dagster_instance import LOCAL_DAGSTER_YAML, RUN_MONITORING, local_instance
from smarthome_assets_tests.support.paths import LOCATIONS
from smarthome_assets_tests.support.processes import stop_group

LOCATION = LOCATIONS / "sleepy_location.py"
BIN = Path(sys.executable).parent


def _shortened_yaml() -> str:
    """The shipped yaml with the monitor polling every second and a 20 s maximum runtime."""
    text = LOCAL_DAGSTER_YAML
    for key, value in (("poll_interval_seconds", 1), ("max_runtime_seconds", 20)):
        text = text.replace(f"{key}: {RUN_MONITORING[key]}", f"{key}: {value}")
    return text


def test_the_shipped_instance_enables_run_monitoring():
    assert RUN_MONITORING["enabled"] is True
    assert "run_monitoring:\n  enabled: true" in LOCAL_DAGSTER_YAML


def _submit(env: dict, workspace: Path, seconds: float) -> None:
    config = json.dumps({"ops": {"sleep_for": {"config": {"seconds": seconds}}}})
    subprocess.run(
        [str(BIN / "dagster"), "job", "launch", "-w", str(workspace), "-j", "sleepy", "--config-json", config],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


def _in_process_run(env: dict, seconds: float) -> subprocess.Popen:
    """A run executed inside its own process, like `smarthome run`: no code server watches it."""
    return subprocess.Popen(
        [sys.executable, str(LOCATION), str(seconds)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.mark.slow
def test_killed_runs_are_marked_failed_and_the_queue_moves(tmp_path):
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text(_shortened_yaml())
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(f"load_from:\n  - python_file: {LOCATION}\n")
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    instance = dg.DagsterInstance.from_config(str(home))
    workers = [_in_process_run(env, 600) for _ in range(2)]
    try:
        _wait(
            lambda: len([r for r in instance.get_runs() if r.status == dg.DagsterRunStatus.STARTED]) == 2,
            120,
            "two in-process runs STARTED",
        )
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
    killed = {r.run_id for r in instance.get_runs()}
    assert {instance.get_run_by_id(r).status for r in killed} == {dg.DagsterRunStatus.STARTED}  # dead, yet STARTED
    _submit(env, workspace, 0.5)  # queued behind the two dead runs (two run slots)
    [waiting] = {r.run_id for r in instance.get_runs()} - killed
    daemon = subprocess.Popen(
        [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:

        def all_done():
            statuses = {r.run_id: r.status for r in instance.get_runs()}
            return statuses if all(s.name in ("FAILURE", "SUCCESS") for s in statuses.values()) else None

        statuses = _wait(all_done, 150, "the dead runs to be marked failed and the queued run to finish")
        assert {statuses[r] for r in killed} == {dg.DagsterRunStatus.FAILURE}
        assert statuses[waiting] == dg.DagsterRunStatus.SUCCESS
    finally:
        stop_group(daemon, grace_seconds=20)


def test_the_dead_run_check_fails_a_killed_run_at_once_and_spares_a_live_one(tmp_path):
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text(LOCAL_DAGSTER_YAML)
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    instance = dg.DagsterInstance.from_config(str(home))
    doomed, alive = _in_process_run(env, 600), _in_process_run(env, 600)
    try:
        _wait(
            lambda: len([r for r in instance.get_runs() if r.status == dg.DagsterRunStatus.STARTED]) == 2,
            120,
            "two in-process runs STARTED",
        )
        doomed_run = next(r.run_id for r in instance.get_runs() if worker_pid(instance, r.run_id) == doomed.pid)
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)
        check = dead_run_check
        check.evaluate_tick(dg.build_sensor_context(instance=instance))
        statuses = {r.run_id: r.status for r in instance.get_runs()}
        assert statuses.pop(doomed_run) == dg.DagsterRunStatus.FAILURE
        assert list(statuses.values()) == [dg.DagsterRunStatus.STARTED]
        [failure] = instance.all_logs(doomed_run, of_type=dg.DagsterEventType.RUN_FAILURE)
        assert f"pid {doomed.pid}" in failure.message
    finally:
        for worker in (doomed, alive):
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)


def test_a_live_run_whose_first_step_process_ended_is_left_alone(tmp_path):
    """A run on the multiprocess executor (each step in a subprocess, the first already ended) is alive as
    long as its run worker is: the check reads the worker's pid, the first one the run records."""
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text(LOCAL_DAGSTER_YAML)
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    instance = dg.DagsterInstance.from_config(str(home))
    script = LOCATIONS / "two_step_location.py"
    worker = subprocess.Popen(
        [sys.executable, str(script)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:

        def slow_step_started():
            runs = instance.get_runs()
            if not runs:
                return None
            steps = instance.all_logs(runs[0].run_id, of_type=dg.DagsterEventType.STEP_START)
            return runs[0] if any(e.step_key == "slow" for e in steps) else None

        run = _wait(slow_step_started, 120, "the second step to start")
        time.sleep(1.0)
        dead_run_check.evaluate_tick(dg.build_sensor_context(instance=instance))
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED
        assert worker_pid(instance, run.run_id) == worker.pid
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


def test_the_dead_run_check_acts_only_where_runs_are_processes_of_this_host(tmp_path):
    """The local instance launches runs as processes here (their pids mean something); an instance whose
    launcher runs them elsewhere (in memory here; the ECS launcher on AWS) gets a skip, nothing marked."""
    assert runs_execute_here(local_instance(tmp_path / "dagster"))
    with dg.DagsterInstance.ephemeral() as elsewhere:
        assert not runs_execute_here(elsewhere)
        [skip] = dead_run_check.evaluate_tick(dg.build_sensor_context(instance=elsewhere)).skip_message.splitlines()
        assert "not checked here" in skip
