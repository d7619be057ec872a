"""Issue 9: a failed run leaves an alert record in the object store and, with a webhook set, a Slack-compatible
message, checked against a real HTTP receiver on loopback and a real Dagster instance."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import dagster as dg
import pytest

from smarthome_assets.defs.operations.alerts import run_failure_alerts
from smarthome_assets.defs.resources import resources_for_env
from smarthome_assets.lib.partitions import daily_partitions, range_tags
from smarthome_assets.monitoring.alerts import AlertSink, FailureRecord, WebhookError, post_webhook
from smarthome_assets.services.dagster_instance import local_instance
from smarthome_assets.settings import load_settings
from smarthome_assets.storage.object_store import LocalObjectStore
from smarthome_assets_tests.support.local_services import list_alerts
from smarthome_assets_tests.support.webhook_receiver import webhook_receiver


@dg.asset(partitions_def=daily_partitions)
def doomed() -> None:
    raise ValueError("home_03.csv, line 1441, column 'temperature': not a number: 'abc'")


def _fail_a_run(instance: dg.DagsterInstance) -> str:
    result = dg.materialize([doomed], partition_key="2026-11-29", instance=instance, raise_on_error=False)
    assert not result.success
    return result.run_id


def _evaluate(instance, cursor, sink):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"alerts": sink})
    run_failure_alerts.evaluate_tick(context)
    return context.cursor


@pytest.mark.parametrize("with_webhook", [True, False])
def test_a_forced_failure_is_recorded_and_posted(tmp_path, with_webhook):
    instance = local_instance(tmp_path / "dagster")
    store = LocalObjectStore(root=str(tmp_path / "store"))
    with webhook_receiver() as (url, received):
        sink = AlertSink(store=store, webhook_url=url if with_webhook else "")
        cursor = _evaluate(instance, None, sink)  # the first tick starts watching from now
        run_id = _fail_a_run(instance)
        _evaluate(instance, cursor, sink)
    today = datetime.now(UTC).date().isoformat()
    [record] = list_alerts(store, today)
    assert record["run_id"] == run_id
    assert record["assets"] == ["doomed"]
    assert record["partitions"] == "2026-11-29"
    assert record["error"] == (
        "step doomed: ValueError: home_03.csv, line 1441, column 'temperature': not a number: 'abc'"
    )
    assert store.exists(f"alerts/{today}/{run_id}.json")
    if not with_webhook:
        assert received == []
        return
    [call] = received
    assert call["path"] == "/services/T000/B000/secret-token"
    assert call["headers"]["Content-Type"] == "application/json"
    message = call["json"]
    assert message["text"].startswith(f":rotating_light: smarthome run {run_id[:8]} failed: doomed for 2026-11-29")
    assert "line 1441" in json.dumps(message["blocks"])
    assert "secret-token" not in json.dumps(record)


def test_a_refusing_webhook_is_named_by_host_never_by_url():
    with webhook_receiver(status=500) as (url, received), pytest.raises(WebhookError) as error:
        post_webhook(url, {"text": "x"})
    assert len(received) == 1
    assert "HTTP 500" in str(error.value) and "127.0.0.1" in str(error.value)
    assert "secret-token" not in str(error.value)


def test_the_record_is_written_even_when_the_webhook_is_down(tmp_path):
    store = LocalObjectStore(root=str(tmp_path))
    with webhook_receiver() as (url, _):
        pass  # stopped: nothing listens on that port any more
    record = FailureRecord(run_id="r1", job_name="j", failed_at=datetime(2026, 11, 30, tzinfo=UTC), error="boom")
    with pytest.raises(WebhookError, match="unreachable"):
        AlertSink(store=store, webhook_url=url).send(record)
    assert store.exists("alerts/2026-11-30/r1.json")


def test_the_webhook_setting_reaches_the_resource_through_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SMARTHOME_HOME", str(tmp_path))
    monkeypatch.setenv("SMARTHOME_ALERT_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    settings = load_settings()
    assert settings.alert_webhook_set and "9/hook" not in repr(settings)
    resources = resources_for_env(settings)
    with dg.build_resources({"alerts": resources["alerts"], "object_store": resources["object_store"]}) as built:
        assert built.alerts.webhook_url == "http://127.0.0.1:9/hook"
        assert "9/hook" not in repr(built.alerts)
    monkeypatch.delenv("SMARTHOME_ALERT_WEBHOOK_URL")
    resources = resources_for_env(load_settings())
    with dg.build_resources({"alerts": resources["alerts"], "object_store": resources["object_store"]}) as built:
        assert not built.alerts.webhook_configured


@dg.asset(partitions_def=daily_partitions, backfill_policy=dg.BackfillPolicy.single_run())
def lands_fine() -> dg.MaterializeResult:
    return dg.MaterializeResult()


@dg.asset(partitions_def=daily_partitions, backfill_policy=dg.BackfillPolicy.single_run(), deps=[lands_fine])
def fails_after() -> None:
    raise ValueError("boom")


@dg.asset(partitions_def=daily_partitions, backfill_policy=dg.BackfillPolicy.single_run(), deps=[fails_after])
def never_reached() -> dg.MaterializeResult:
    return dg.MaterializeResult()


def test_the_alert_names_the_runs_whole_selection_and_its_days(tmp_path):
    """Not only the failed step's asset: every asset the run was to materialize, and the range it covered."""
    instance = local_instance(tmp_path / "dagster")
    store = LocalObjectStore(root=str(tmp_path / "store"))
    sink = AlertSink(store=store)
    cursor = _evaluate(instance, None, sink)
    job = dg.define_asset_job("three_steps", selection=[lands_fine, fails_after, never_reached])
    defs = dg.Definitions(assets=[lands_fine, fails_after, never_reached], jobs=[job])
    result = defs.get_job_def("three_steps").execute_in_process(
        instance=instance, tags=range_tags(date(2026, 11, 27), date(2026, 11, 29)), raise_on_error=False
    )
    assert not result.success
    _evaluate(instance, cursor, sink)
    [record] = list_alerts(store, datetime.now(UTC).date().isoformat())
    assert record["assets"] == ["fails_after", "lands_fine", "never_reached"]
    assert record["partitions"] == "2026-11-27...2026-11-29"
    assert list(record["failed_steps"]) == ["fails_after"]
