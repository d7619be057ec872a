"""Run retention (lib/run_retention.py) on a real Dagster instance: only superseded runs go, with their events and
check rows, and the newest outcome of every asset and day stays (what the UI and `smarthome status` show).
(No `from __future__ import annotations`: Dagster reads the asset's `context` annotation at runtime.)"""

import dagster as dg
import pytest

from smarthome_assets.lib.run_retention import delete_superseded_runs

DAYS = dg.DailyPartitionsDefinition(start_date="2016-01-01")


@dg.asset(partitions_def=DAYS, check_specs=[dg.AssetCheckSpec("ok", asset="reading")])
def reading(context: dg.AssetExecutionContext):
    if context.run.tags.get("fail"):
        raise RuntimeError("broken on purpose")
    return dg.MaterializeResult(check_results=[dg.AssetCheckResult(passed=True)])


@pytest.fixture
def instance(tmp_path):
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        yield instance


def run(instance, day: str, fail: bool = False) -> str:
    result = dg.materialize(
        [reading], instance=instance, partition_key=day, tags={"fail": "1"} if fail else {}, raise_on_error=False
    )
    assert result.success is not fail
    return result.run_id


def check_rows(instance, run_id: str) -> int:
    records = instance.event_log_storage.get_asset_check_execution_history(
        dg.AssetCheckKey(dg.AssetKey("reading"), "ok"), limit=100
    )
    return sum(r.run_id == run_id for r in records)


def test_only_superseded_runs_go_and_the_newest_outcome_of_every_day_stays(instance):
    old_a = [run(instance, "2016-01-01") for _ in range(3)]
    failed_a = run(instance, "2016-01-01", fail=True)
    newest_a = run(instance, "2016-01-01")
    only_b = run(instance, "2016-01-02")
    failed_c = run(instance, "2016-01-03", fail=True)
    assert check_rows(instance, old_a[0]) > 0

    assert delete_superseded_runs(instance, keep_seconds=3600).deleted == []  # too recent to go
    result = delete_superseded_runs(instance, keep_seconds=0)
    assert sorted(result.deleted) == sorted([*old_a, failed_a])
    assert {r.run_id for r in instance.get_runs()} == {newest_a, only_b, failed_c}  # a failure nobody fixed stays
    assert check_rows(instance, old_a[0]) == 0 and check_rows(instance, newest_a) > 0
    latest = instance.get_latest_materialization_event(dg.AssetKey("reading"))
    assert latest is not None and latest.run_id == only_b
    by_day = instance.get_materialized_partitions(dg.AssetKey("reading"))
    assert by_day == {"2016-01-01", "2016-01-02"}  # the days' newest materializations are all still there
    assert delete_superseded_runs(instance, keep_seconds=0).deleted == []
