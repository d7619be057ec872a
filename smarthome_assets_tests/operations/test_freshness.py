"""Issue 9: freshness of rds_tables, daily_exports and redshift_tables. A day that never arrives must make
freshness fail, on a real Dagster instance with an injected clock; Dagster's own policies are attached."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest

from smarthome_assets.definitions import defs
from smarthome_assets.defs.operations.freshness import (
    CHECK_NAME,
    FRESH_ASSETS,
    MAX_AGE,
    evaluations,
    freshness_checks,
    newest_day_fresh,
)
from smarthome_assets.lib.keys import RDS_TABLES
from smarthome_assets.lib.partitions import daily_partitions
from smarthome_assets.monitoring.freshness import due_day, evaluate
from smarthome_assets.services.dagster_instance import local_instance

D = date(2026, 11, 27)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def test_a_day_is_due_26_hours_after_it_ended():
    limit = MAX_AGE[RDS_TABLES]
    assert due_day(at(D + timedelta(days=2), 2, 0), limit) == D  # D ended 26 h ago exactly: still D
    assert due_day(at(D + timedelta(days=2), 2, 1), limit) == D + timedelta(days=1)
    assert evaluate("rds_tables", [D], at(D + timedelta(days=2), 1, 59), limit).passed
    stale = evaluate("rds_tables", [D], at(D + timedelta(days=2), 3), limit)
    assert not stale.passed and "ended 27 h ago (limit 26 h)" in stale.description


def test_a_day_that_never_arrives_fails_even_when_later_days_do():
    later = [D, D + timedelta(days=2), D + timedelta(days=3)]  # D + 1 never arrived
    result = evaluate("rds_tables", later, at(D + timedelta(days=2), 12), MAX_AGE[RDS_TABLES])
    assert not result.passed
    assert f"{D + timedelta(days=1)} never arrived" in result.description


def _materialize(instance: dg.DagsterInstance, asset: dg.AssetKey, day: date) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=asset, partition=day.isoformat()))


def test_on_a_real_instance_the_missing_day_fails_and_its_arrival_passes(tmp_path):
    instance = local_instance(tmp_path / "dagster")
    for key in FRESH_ASSETS:
        _materialize(instance, key, D)
    now = at(D + timedelta(days=2), 6)  # D + 1 is due for every table by now
    results = {e.asset_key.path[-1]: e for e in evaluations(instance, now)}
    assert {name: r.passed for name, r in results.items()} == dict.fromkeys((k.path[-1] for k in MAX_AGE), False)
    assert results["rds_tables"].metadata["due_day"].value == str(D + timedelta(days=1))
    _materialize(instance, dg.AssetKey("rds_tables"), D + timedelta(days=2))  # a later day, not the due one
    assert not next(e for e in evaluations(instance, now) if e.asset_key.path[-1] == "rds_tables").passed
    for key in FRESH_ASSETS:
        _materialize(instance, key, D + timedelta(days=1))  # the late day arrives
    assert all(e.passed for e in evaluations(instance, now))


def test_the_sensor_records_the_checks_without_a_run(tmp_path):
    instance = local_instance(tmp_path / "dagster")
    context = dg.build_sensor_context(instance=instance)
    result = freshness_checks(context)
    assert len(result.asset_events) == 3 and not any(e.passed for e in result.asset_events)
    for event in result.asset_events:
        instance.report_runless_asset_event(event)
    key = dg.AssetCheckKey(dg.AssetKey("rds_tables"), CHECK_NAME)
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
    assert record.event.dagster_event.event_specific_data.passed is False


def test_the_check_runs_in_a_partitioned_run_of_its_asset(tmp_path):
    instance = local_instance(tmp_path / "dagster")

    @dg.asset(name="rds_tables", partitions_def=daily_partitions)
    def stand_in() -> None:
        pass

    # The day that is due now: yesterday after 02:00 UTC, the day before between midnight and 02:00 (26 h).
    due = due_day(datetime.now(UTC), MAX_AGE[RDS_TABLES])
    result = dg.materialize(
        [stand_in, newest_day_fresh],
        instance=instance,
        partition_key=due.isoformat(),
        selection=dg.AssetSelection.assets("rds_tables") | dg.AssetSelection.checks_for_assets("rds_tables"),
    )
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.passed, evaluation.description


@pytest.mark.parametrize("key", list(MAX_AGE), ids=lambda key: key.to_user_string())
def test_dagster_freshness_policies_are_on_the_three_tables(key):
    spec = next(s for s in defs().resolve_all_asset_specs() if s.key == key)
    policy = spec.freshness_policy
    assert isinstance(policy, dg.FreshnessPolicy)
    assert policy.fail_window.to_timedelta() == MAX_AGE[key]
    others = [s for s in defs().resolve_all_asset_specs() if s.key not in MAX_AGE]
    assert all(s.freshness_policy is None for s in others)
