"""Recovery with no manual step: transient failures retried in the step, a killed run retried by the real
daemon, data errors never retried, and the days whose last run failed listed and backfilled in one command.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import date

import dagster as dg
import psycopg2
import pytest

from smarthome_assets.cli.main import main
from smarthome_assets.homec import contract
from smarthome_assets.homec.generator import generate_homes
from smarthome_assets.lib import transient
from smarthome_assets.lib.partitions import daily_asset, daily_partitions, range_tags
from smarthome_assets.lib.run_history import failed_days
from smarthome_assets.services import embedded_postgres
from smarthome_assets.services.dagster_instance import DAGSTER_PROCESS_ENV, embedded_storage_url, local_instance
from smarthome_assets_tests.support.daemon import operational_url, start_daemon
from smarthome_assets_tests.support.paths import LOCATIONS
from smarthome_assets_tests.support.processes import stop_group

D1, D2, D3 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)


def test_a_transient_failure_retries_the_step_and_a_data_error_fails_it_once(monkeypatch):
    monkeypatch.setattr(transient, "FIRST_WAIT_SECONDS", 0)
    attempts = {"flaky": 0, "broken": 0}

    @daily_asset(pool=None)
    def flaky() -> dg.MaterializeResult:
        attempts["flaky"] += 1
        if attempts["flaky"] < 3:
            raise RuntimeError("load failed") from psycopg2.OperationalError("connection refused")
        return dg.MaterializeResult()

    @daily_asset(pool=None)
    def broken() -> dg.MaterializeResult:
        attempts["broken"] += 1
        raise ValueError("home.csv, line 3: not a number")

    with dg.DagsterInstance.ephemeral() as instance:
        assert dg.materialize([flaky], partition_key=str(D1), instance=instance).success
        assert not dg.materialize([broken], partition_key=str(D1), instance=instance, raise_on_error=False).success
    assert attempts == {"flaky": 3, "broken": 1}


@pytest.fixture
def days_history(tmp_path, monkeypatch):
    """An instance whose runs failed and succeeded on days D1..D3 (live runs: per-day planned events)."""
    for name, value in DAGSTER_PROCESS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", raising=False)
    outcome = {"fail": True}

    @dg.asset(name="rds_tables", partitions_def=daily_partitions, backfill_policy=dg.BackfillPolicy.single_run())
    def stand_in() -> dg.MaterializeResult:
        if outcome["fail"]:
            raise ValueError("server closed the connection")
        return dg.MaterializeResult()

    monkeypatch.setenv("SMARTHOME_HOME", str(tmp_path))  # where the CLI finds the same instance
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    instance = local_instance(tmp_path / "dagster", embedded_storage_url(tmp_path / "postgres"))

    def run(first: date, last: date, fail: bool) -> None:
        outcome["fail"] = fail
        dg.materialize([stand_in], instance=instance, tags=range_tags(first, last), raise_on_error=False)

    try:
        yield instance, run
    finally:
        instance.dispose()
        embedded_postgres.stop_server(tmp_path / "postgres")


def test_a_day_is_failed_until_a_newer_run_of_it_succeeds(days_history):
    instance, run = days_history
    run(D1, D3, fail=True)
    assert [d.day for d in failed_days(instance)] == [D1, D2, D3]
    run(D2, D2, fail=False)
    entries = failed_days(instance)
    assert [d.day for d in entries] == [D1, D3]
    assert list(entries[0].runs) == ["rds_tables"]
    assert "server closed the connection" in next(iter(entries[0].errors.values()))
    # the UI shows the same: a live run's failed days are FAILED in the asset's partition status
    days = [str(D1), str(D2), str(D3)]
    status = instance.get_status_by_partition(dg.AssetKey("rds_tables"), days, daily_partitions)
    assert [status[day].value for day in days] == ["FAILED", "MATERIALIZED", "FAILED"]


def test_status_lists_the_failed_days_and_one_backfill_clears_them(days_history, tmp_path, monkeypatch, capsys):
    """The CLI on the project's own assets: `rds_tables` on days without deliveries loads nothing and passes
    its checks, so a backfill of the failed days succeeds and `status` then reports none."""
    _instance, run = days_history
    run(D1, D3, fail=True)
    run(D2, D2, fail=False)
    assert main(["status"]) == 1
    out = capsys.readouterr().out
    assert f"2 day(s) whose last run failed: {D1}, {D3}" in out and "smarthome backfill --failed" in out
    assert main(["backfill", "--failed", "--dry-run"]) == 0
    planned = capsys.readouterr().out.splitlines()
    assert planned == [f"backfill {D1}..{D1}: rds_tables", f"backfill {D3}..{D3}: rds_tables"]
    assert main(["backfill", "--failed"]) == 0
    capsys.readouterr()
    assert main(["status"]) == 0
    assert "no day's last run failed" in capsys.readouterr().out


# --- the real daemon ------------------------------------------------------------------------------------------

#: From the daemon's restart to the killed day complete in PostgreSQL: the dead-run check's 30 s tick, the run
#: retry daemon, and the retried run itself (a year: about 10 s here).
RECOVERY_BOUND_SECONDS = 240


def _wait(predicate, seconds: float, what: str, log):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")


def _rows(url: str) -> int:
    try:
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM energy_consuming_device")
            return cur.fetchone()[0]
    except psycopg2.Error:
        return 0


def _started_step(instance: dg.DagsterInstance, step: str) -> dg.DagsterRun | None:
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        logs = instance.all_logs(record.dagster_run.run_id, of_type=dg.DagsterEventType.STEP_START)
        if any(entry.step_key == step for entry in logs):
            return record.dagster_run
    return None


@pytest.mark.slow
def test_a_daemon_killed_mid_run_recovers_by_itself(tmp_path):
    home = tmp_path / "home"
    url = operational_url(home)
    log = tmp_path / "daemon.log"
    (year,) = generate_homes(tmp_path / "data", days=240, seed=3)  # the pass takes a few seconds to its commit
    expected = 240 * contract.MINUTES_PER_DAY
    daemon = start_daemon(home, log)
    instance = dg.DagsterInstance.from_config(str(home / "dagster"))
    try:
        incoming = home / "object_store" / "incoming" / "attic"
        incoming.mkdir(parents=True)
        (incoming / ".year.csv.part").write_bytes(year.read_bytes())
        (incoming / ".year.csv.part").rename(incoming / "year.csv")
        doomed = _wait(lambda: _started_step(instance, "raw_to_postgres"), 120, "the run's ingestion pass", log)
        os.killpg(daemon.pid, signal.SIGKILL)  # the daemon, its code server and the run worker, at once
        daemon.wait(timeout=15)
        assert _rows(url) < expected  # killed before its load committed
        daemon = start_daemon(home, log)
        restarted = time.monotonic()
        _wait(lambda: _rows(url) == expected, RECOVERY_BOUND_SECONDS, "the retried run to load the day", log)
        print(f"restart -> data complete: {time.monotonic() - restarted:.0f}s")
        retries = dg.RunsFilter(tags={"dagster/root_run_id": doomed.run_id}, statuses=[dg.DagsterRunStatus.SUCCESS])
        [retry] = _wait(lambda: instance.get_runs(filters=retries), 60, "the retry to finish", log)
        assert retry.tags["dagster/retry_number"] == "1" and retry.tags["smarthome/landed_by"] == "sensor"
        assert instance.get_run_by_id(doomed.run_id).status == dg.DagsterRunStatus.FAILURE
        ingestion_runs = instance.get_runs(filters=dg.RunsFilter(job_name="ingestion_job"))
        assert len(ingestion_runs) == 2  # the killed run and its one retry: nothing else was needed
    finally:
        instance.dispose()
        stop_group(daemon)
        embedded_postgres.stop_server(home / "postgres")


@pytest.mark.slow
def test_a_failed_blocking_check_is_not_retried_by_the_daemon(tmp_path):
    home = tmp_path / "home"
    workspace = tmp_path / "workspace.yaml"
    location = LOCATIONS / "failing_check_location.py"
    workspace.write_text(f"load_from:\n  - python_file:\n      relative_path: {location}\n      location_name: c\n")
    log = tmp_path / "daemon.log"
    daemon = start_daemon(home, log, workspace=workspace)
    instance = dg.DagsterInstance.from_config(str(home / "dagster"))
    try:
        failed = _wait(
            lambda: instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE])),
            120,
            "the checked run to fail",
            log,
        )
        run_id = failed[0].run_id
        _wait(lambda: instance.get_run_by_id(run_id).tags.get("dagster/will_retry"), 90, "the retry decision", log)
        time.sleep(20)  # a few more passes of the retry daemon
        assert instance.get_run_by_id(run_id).tags["dagster/will_retry"] == "false"
        assert len(instance.get_runs()) == 1
    finally:
        instance.dispose()
        stop_group(daemon)
        embedded_postgres.stop_server(home / "postgres")
