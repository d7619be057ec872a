"""A platform started after 02:00 UTC has no schedule tick for yesterday: `missed_daily_export` exports it once
PostgreSQL holds it, and only when no run has (a Dagster instance of its own, its records as runs leave them)."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from smarthome_assets.definitions import defs
from smarthome_assets.defs.exports.schedules import missed_daily_export, missed_export_request
from smarthome_assets.lib.keys import DAILY_EXPORTS, RDS_TABLES

NOW = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)
YESTERDAY = "2026-12-03"


def _materialized(instance: dg.DagsterInstance, key: dg.AssetKey, day: str) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key, partition=day))


def test_yesterday_is_exported_once_loaded_when_the_schedule_never_ran():
    with dg.DagsterInstance.ephemeral() as instance:
        waiting = missed_export_request(instance, NOW)
        assert isinstance(waiting, dg.SkipReason) and "not in PostgreSQL" in waiting.skip_message
        _materialized(instance, RDS_TABLES, YESTERDAY)
        request = missed_export_request(instance, NOW)
        assert isinstance(request, dg.RunRequest)
        assert (request.partition_key, request.run_key) == (YESTERDAY, f"missed-{YESTERDAY}")
        _materialized(instance, DAILY_EXPORTS, "2026-12-02")  # an older day's export does not count
        assert isinstance(missed_export_request(instance, NOW), dg.RunRequest)
        _materialized(instance, DAILY_EXPORTS, YESTERDAY)
        done = missed_export_request(instance, NOW)
        assert isinstance(done, dg.SkipReason) and "is exported" in done.skip_message


def test_the_schedule_has_until_three_and_the_sensor_is_on_and_targets_the_export_job():
    with dg.DagsterInstance.ephemeral() as instance:
        _materialized(instance, RDS_TABLES, YESTERDAY)
        early = missed_export_request(instance, NOW.replace(hour=2, minute=40))
        assert isinstance(early, dg.SkipReason) and "03:00" in early.skip_message
        assert isinstance(missed_export_request(instance, NOW.replace(hour=3, minute=0)), dg.RunRequest)
    sensor = defs().resolve_sensor_def("missed_daily_export")
    assert sensor is missed_daily_export and sensor.job_name == "daily_exports_job"
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
