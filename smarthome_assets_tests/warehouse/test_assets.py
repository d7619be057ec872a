"""The Dagster side: the whole chain into the warehouse, its checks, re-runs, the job and the daily schedule."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest

from smarthome_assets import definitions as defs_module
from smarthome_assets.defs.exports.schedules import daily_exports_schedule
from smarthome_assets.defs.ingestion import assets as ingestion_assets
from smarthome_assets.homec.generator import generate_homes
from smarthome_assets.lib.partitions import range_tags
from smarthome_assets.services import embedded_postgres
from smarthome_assets_tests.support.whole_chain import warehouse_digest, whole_chain_resources

FIRST, LAST = date(2016, 1, 1), date(2016, 1, 3)


@pytest.fixture
def chain(pg_server, fresh_database, tmp_path):
    """Resources for the whole chain on two generated days: operational and warehouse databases apart."""
    url, _ = fresh_database
    _, pgdata = pg_server
    warehouse_url = embedded_postgres.server_url(pgdata, f"w_{uuid.uuid4().hex[:10]}")
    files = generate_homes(tmp_path / "data", homes=2, days=2, seed=3)
    resources = whole_chain_resources(tmp_path, url, warehouse_url, files)
    loaded = defs_module.defs()
    defs = dg.Definitions(
        assets=[a for a in loaded.assets if "dashboard" not in a.group_names_by_key.values()],
        jobs=loaded.jobs,
        schedules=loaded.schedules,
        sensors=[s for s in loaded.sensors if s.name == "warehouse_automation"],
        resources=resources,
    )
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
    assert freshness.passed and freshness.metadata["newest_exported_day"].value == "2016-01-03"
    assert freshness.metadata["expected_day"].value == "2016-01-03"  # the newest day PostgreSQL holds
    exported = result.asset_materializations_for_node("daily_exports")[0].metadata
    assert exported["energy_rows"].value == 5760 and exported["pages"].value == 6
    before = warehouse_digest(warehouse_url)
    assert before["fact_energy_minute"][0] == 5760 and before["dim_home"][0] == 2

    again = _materialize_all(defs, resources)
    assert again.success and warehouse_digest(warehouse_url) == before
    store = resources["object_store"]
    assert len(store.list_keys("exports/energy/date=2016-01-02/")) == 2  # a new file; the old one kept


def test_the_schedule_exports_the_previous_day_and_the_warehouse_follows(chain):
    defs, _resources, warehouse_url = chain
    tick = dg.build_schedule_context(scheduled_execution_time=datetime(2016, 1, 3, 2, 0, tzinfo=UTC))
    request = daily_exports_schedule(tick)
    assert isinstance(request, dg.RunRequest)
    assert (request.partition_key, request.run_key) == ("2016-01-02", "2016-01-02")
    assert daily_exports_schedule.cron_schedule == "0 2 * * *"
    assert daily_exports_schedule.execution_timezone == "UTC"
    assert defs.resolve_schedule_def("daily_exports_schedule").job_name == "daily_exports_job"
    # The partitions are open-ended: a tick today asks for yesterday, which is a partition.
    today = datetime.now(UTC).replace(hour=2, minute=0, second=0, microsecond=0)
    recent = daily_exports_schedule(dg.build_schedule_context(scheduled_execution_time=today))
    assert isinstance(recent, dg.RunRequest) and recent.partition_key in defs.resolve_job_def(
        "daily_exports_job"
    ).partitions_def.get_partition_keys(current_time=today)

    # The tick's run: ingest the days first, then the job exports the day...
    ingest = dg.load_assets_from_modules([ingestion_assets])
    assert dg.materialize(ingest, resources=_resources, tags=range_tags(FIRST, LAST)).success
    instance = dg.DagsterInstance.ephemeral()
    before = dg.evaluate_automation_conditions(defs=defs, instance=instance)  # the sensor's previous tick
    assert before.total_requested == 0
    run = defs.resolve_job_def("daily_exports_job").execute_in_process(
        partition_key=request.partition_key, instance=instance
    )
    assert run.success
    # ... and the warehouse's (and the lake's) automation condition asks for exactly that day, which then loads.
    evaluation = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=before.cursor)
    assert evaluation.total_requested == 2
    assert evaluation.get_requested_partitions(dg.AssetKey("redshift_tables")) == {"2016-01-02"}
    assert evaluation.get_requested_partitions(dg.AssetKey("lake_parquet")) == {"2016-01-02"}
    load = dg.materialize(
        [a for a in defs.assets if dg.AssetKey("redshift_tables") in a.keys],
        resources=_resources,
        partition_key="2016-01-02",
        instance=instance,
    )
    assert load.success
    assert warehouse_digest(warehouse_url)["fact_energy_minute"][0] == 2 * 1440
    assert {e.check_name: e.passed for e in load.get_asset_check_evaluations()}["counts_reconcile"]


def test_a_changed_past_day_is_exported_again_and_only_it(chain):
    """Declarative propagation: a day before yesterday whose PostgreSQL rows change (a late or corrected
    delivery) is re-exported and re-loaded into the warehouse, that day only; yesterday waits for the 02:00
    schedule and today is not done."""
    defs, resources, _ = chain
    instance = dg.DagsterInstance.ephemeral()
    ingest = dg.load_assets_from_modules([ingestion_assets])
    assert dg.materialize(ingest, resources=resources, tags=range_tags(FIRST, LAST), instance=instance).success
    before = dg.evaluate_automation_conditions(defs=defs, instance=instance)  # the sensor's previous tick
    assert before.total_requested == 0

    assert dg.materialize(ingest, resources=resources, partition_key="2016-01-02", instance=instance).success
    today = datetime.now(UTC).date()
    for day in (today, today - timedelta(days=1)):  # rows of today and yesterday change too
        instance.report_runless_asset_event(dg.AssetMaterialization("rds_tables", partition=day.isoformat()))
    after = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=before.cursor)
    requested = {k.to_user_string(): after.get_requested_partitions(k) for k in defs.resolve_all_asset_keys()}
    # the warehouse load and the lake of that day are requested in the same tick, after its export (one run)
    assert {k: v for k, v in requested.items() if v} == {
        "daily_exports": {"2016-01-02"},
        "redshift_tables": {"2016-01-02"},
        "lake_parquet": {"2016-01-02"},
    }
