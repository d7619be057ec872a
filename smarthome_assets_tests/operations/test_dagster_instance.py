"""The local Dagster instance that `smarthome run` and `smarthome dev` use: run and event storage in the
embedded PostgreSQL server, a range run's per-day materializations written in batches (issue 11: on SQLite
storage they were most of `make run`)."""

from __future__ import annotations

from datetime import date

import dagster as dg
from dagster_postgres import PostgresEventLogStorage

from smarthome_assets.lib.partitions import daily_partitions, range_tags
from smarthome_assets.services import embedded_postgres
from smarthome_assets.services.dagster_instance import (
    DAGSTER_PROCESS_ENV,
    LOCAL_DAGSTER_YAML,
    ensure_dagster_home,
    local_instance,
    storage_yaml,
)


def test_a_range_run_is_stored_in_the_embedded_server_in_batches(pg_server, tmp_path, monkeypatch):
    for name, value in DAGSTER_PROCESS_ENV.items():
        monkeypatch.setenv(name, value)
    _, pgdata = pg_server
    storage = embedded_postgres.recreate_database(pgdata, "dagster_instance_test")
    batches: list[int] = []
    store_batch = PostgresEventLogStorage.store_event_batch

    def counting(self, events):
        batches.append(len(events))
        return store_batch(self, events)

    monkeypatch.setattr(PostgresEventLogStorage, "store_event_batch", counting)

    @dg.asset(partitions_def=daily_partitions, backfill_policy=dg.BackfillPolicy.single_run())
    def ranged():
        return dg.MaterializeResult(metadata={"ok": True})

    instance = local_instance(tmp_path / "dagster", storage)
    try:
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert dg.materialize([ranged], instance=instance, tags=range_tags(date(2016, 1, 1), date(2016, 1, 30))).success
        assert len(instance.get_materialized_partitions(dg.AssetKey("ranged"))) == 30
        assert max(batches) >= 30, batches  # the 30 materializations went in together, not one by one
    finally:
        instance.dispose()
        embedded_postgres.drop_database(pgdata, "dagster_instance_test")


def test_the_yaml_points_at_the_server_and_a_persons_own_file_is_kept(tmp_path):
    url = "postgresql://postgres:@/dagster?host=/tmp/my data/postgres"
    home = ensure_dagster_home(tmp_path / "ours", url)
    text = (home / "dagster.yaml").read_text()
    assert text == LOCAL_DAGSTER_YAML + storage_yaml(url)
    assert 'postgres_url: "postgresql+psycopg2://postgres@/dagster?host=%2Ftmp%2Fmy+data%2Fpostgres"' in text
    older = tmp_path / "older" / "dagster.yaml"  # written by an earlier smarthome: SQLite, first line differs
    older.parent.mkdir()
    older.write_text("# Written by smarthome: local instance, SQLite storage in this folder.\ntelemetry: {}\n")
    ensure_dagster_home(older.parent, url)
    assert older.read_text() == LOCAL_DAGSTER_YAML + storage_yaml(url)
    mine = tmp_path / "mine" / "dagster.yaml"
    mine.parent.mkdir()
    mine.write_text("telemetry:\n  enabled: false\n")
    ensure_dagster_home(mine.parent, url)
    assert mine.read_text() == "telemetry:\n  enabled: false\n"
