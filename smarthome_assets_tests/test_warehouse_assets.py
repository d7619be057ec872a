"""The Dagster side: the whole chain into the warehouse, its checks, re-runs, the job and the daily schedule."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest

from smarthome_assets.exports import definitions as exports
from smarthome_assets.exports.api_client import ApiClient
from smarthome_assets.homec.generator import generate_homes
from smarthome_assets.ingestion import definitions as ingestion
from smarthome_assets.partitions import range_tags
from smarthome_assets.resources.object_store import LocalObjectStore
from smarthome_assets.resources.postgres import PostgresUrl
from smarthome_assets.resources.sources import HomeCSources
from smarthome_assets.services import embedded_postgres
from smarthome_assets.settings import days_to_yesterday, load_settings
from smarthome_assets.warehouse import definitions as warehouse
from smarthome_assets.warehouse.definitions import daily_warehouse_schedule
from smarthome_assets.warehouse.resource import PostgresWarehouse
from smarthome_assets_tests.exports_support import warehouse_digest

FIRST, LAST = date(2016, 1, 1), date(2016, 1, 3)


@pytest.fixture
def chain(pg_server, fresh_database, tmp_path):
    """Resources for the whole chain on two generated days: operational and warehouse databases apart."""
    url, _ = fresh_database
    _, pgdata = pg_server
    warehouse_url = embedded_postgres.server_url(pgdata, f"w_{uuid.uuid4().hex[:10]}")
    files = generate_homes(tmp_path / "data", homes=2, days=2, seed=3)
    resources = {
        "object_store": LocalObjectStore(root=str(tmp_path / "store")),
        "postgres": PostgresUrl(database_url=url),
        "sources": HomeCSources(paths=[str(f) for f in files]),
        "api_client": ApiClient(database=PostgresUrl(database_url=url)),
        "warehouse": PostgresWarehouse(database=PostgresUrl(database_url=warehouse_url)),
    }
    defs = dg.Definitions.merge(ingestion.defs, exports.defs, warehouse.defs, dg.Definitions(resources=resources))
    return defs, resources, warehouse_url


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {f"{e.asset_key.to_user_string()}:{e.check_name}": e for e in result.get_asset_check_evaluations()}


def _materialize_all(defs, resources) -> dg.ExecuteInProcessResult:
    assets = [a for a in defs.assets if isinstance(a, dg.AssetsDefinition)]
    return dg.materialize(assets, resources=resources, tags=range_tags(FIRST, LAST))


def test_the_chain_reconciles_and_a_rerun_changes_nothing(chain):
    defs, resources, warehouse_url = chain
    result = _materialize_all(defs, resources)
    assert result.success
    checks = _checks(result)
    for name in (
        "daily_exports:rows_match_postgres",
        "redshift_tables:counts_reconcile",
        "redshift_tables:unique_minutes",
        "redshift_tables:device_hours_complete",
    ):
        assert checks[name].passed, name
    reconcile = checks["redshift_tables:counts_reconcile"].metadata
    assert reconcile["postgres_energy_rows"].value == reconcile["warehouse_energy_rows"].value == 2 * 2 * 1440
    assert reconcile["file_weather_rows"].value == reconcile["api_weather_rows"].value == 2 * 2 * 1440
    freshness = checks["daily_exports:newest_day_exported"]
    assert not freshness.passed and freshness.metadata["newest_exported_day"].value == "2016-01-03"
    exported = result.asset_materializations_for_node("daily_exports")[0].metadata
    assert exported["energy_rows"].value == 5760 and exported["pages"].value == 6
    before = warehouse_digest(warehouse_url)
    assert before["fact_energy_minute"][0] == 5760 and before["dim_home"][0] == 2

    again = _materialize_all(defs, resources)
    assert again.success and warehouse_digest(warehouse_url) == before
    store = resources["object_store"]
    assert len(store.list_keys("exports/energy/date=2016-01-02/")) == 2  # a new file; the old one kept


def test_the_schedule_asks_for_the_previous_day_at_two_utc(chain):
    defs, _resources, warehouse_url = chain
    tick = dg.build_schedule_context(scheduled_execution_time=datetime(2016, 1, 3, 2, 0, tzinfo=UTC))
    request = daily_warehouse_schedule(tick)
    assert isinstance(request, dg.RunRequest)
    assert (request.partition_key, request.run_key) == ("2016-01-02", "2016-01-02")
    assert daily_warehouse_schedule.cron_schedule == "0 2 * * *"
    assert daily_warehouse_schedule.execution_timezone == "UTC"
    assert defs.resolve_schedule_def("daily_warehouse_schedule").job_name == "daily_warehouse_job"
    late = daily_warehouse_schedule(
        dg.build_schedule_context(scheduled_execution_time=datetime(2026, 11, 28, 2, 0, tzinfo=UTC))
    )
    assert isinstance(late, dg.SkipReason) and "SMARTHOME_DATA_ENDS_YESTERDAY" in late.skip_message

    # The tick's run: ingest the days first (the schedule's job exports and loads), then run the job.
    ingest = [a for a in ingestion.defs.assets if isinstance(a, dg.AssetsDefinition)]
    assert dg.materialize(ingest, resources=_resources, tags=range_tags(FIRST, LAST)).success
    job = defs.resolve_job_def("daily_warehouse_job")
    run = job.execute_in_process(partition_key=request.partition_key, instance=dg.DagsterInstance.ephemeral())
    assert run.success
    assert warehouse_digest(warehouse_url)["fact_energy_minute"][0] == 2 * 1440
    assert {e.check_name: e.passed for e in run.get_asset_check_evaluations()}["counts_reconcile"]


def test_the_data_can_be_moved_to_end_yesterday(monkeypatch):
    monkeypatch.setenv("SMARTHOME_DATA_ENDS_YESTERDAY", "1")
    settings = load_settings()
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    assert settings.last_day == yesterday and settings.first_day == yesterday - timedelta(days=350)
    assert settings.timeframe_origin == datetime(2016, 1, 1, 5, tzinfo=UTC) + timedelta(days=settings.shift_days)
    assert days_to_yesterday(date(2016, 12, 16), datetime(2016, 12, 18, 1, tzinfo=UTC)) == 1
    monkeypatch.delenv("SMARTHOME_DATA_ENDS_YESTERDAY")
    assert load_settings().shift_days == 0 and load_settings().last_day == date(2016, 12, 16)


def test_with_the_data_ending_yesterday_the_next_tick_has_a_day_to_load():
    """In a fresh process (the partitions are built at import): today's 02:00 tick asks for yesterday."""
    code = (
        "from datetime import UTC, datetime\n"
        "import dagster as dg\n"
        "from smarthome_assets.warehouse.definitions import daily_warehouse_schedule\n"
        "now = datetime.now(UTC).replace(hour=2, minute=0, second=0, microsecond=0)\n"
        "request = daily_warehouse_schedule(dg.build_schedule_context(scheduled_execution_time=now))\n"
        "print(request.partition_key)\n"
    )
    env = {**os.environ, "SMARTHOME_DATA_ENDS_YESTERDAY": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(datetime.now(UTC).date() - timedelta(days=1))
