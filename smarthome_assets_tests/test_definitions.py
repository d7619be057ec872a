"""The code location loads, in both environments, and the aws settings really work (S3 on a moto server)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import dagster as dg
import psycopg2
import pytest

from smarthome_assets.database.connection import EmbeddedPostgres, PostgresUrl, redact_url
from smarthome_assets.defs.ingestion import assets as ingestion_assets
from smarthome_assets.defs.resources import resources_for_env
from smarthome_assets.lib.partitions import daily_partitions, range_tags
from smarthome_assets.settings import load_settings
from smarthome_assets.storage.object_store import LocalObjectStore

from .homec_files import minutes, write


def test_definitions_load_with_every_asset_grouped_by_its_folder():
    from smarthome_assets.definitions import defs

    loaded = defs()
    dg.Definitions.validate_loadable(loaded)
    groups = {}
    for assets_def in loaded.assets:
        for key, group in assets_def.group_names_by_key.items():
            groups[key.to_user_string()] = group
    assert groups == {
        "raw_csv": "ingestion",
        "clean_weather": "ingestion",
        "clean_devices": "ingestion",
        "homes": "ingestion",
        "rds_tables": "ingestion",
        "daily_exports": "exports",
        "redshift_tables": "warehouse",
        "dashboard": "dashboard",
    }
    assert {j.name for j in loaded.jobs} == {"ingestion_job", "daily_exports_job", "dashboard_job"}
    resources = ["alerts", "api_client", "dashboard_dir", "object_store", "postgres", "sources", "warehouse"]
    assert sorted(loaded.resources) == resources


def test_partitions_start_on_the_first_day_of_data_and_stay_open():
    keys = daily_partitions.get_partition_keys(current_time=datetime(2026, 11, 30, 9, tzinfo=UTC))
    assert keys[0] == "2016-01-01" and keys[-1] == "2026-11-30"  # today's partition exists today


def test_local_is_the_default(monkeypatch, tmp_path):
    monkeypatch.delenv("SMARTHOME_ENV", raising=False)
    monkeypatch.setenv("SMARTHOME_HOME", str(tmp_path))
    res = resources_for_env(load_settings())
    assert isinstance(res["object_store"], LocalObjectStore) and isinstance(res["postgres"], EmbeddedPostgres)
    assert res["object_store"].root == str(tmp_path / "object_store")


def test_an_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("SMARTHOME_ENV", "prod")
    with pytest.raises(ValueError, match="SMARTHOME_ENV must be one of local, aws"):
        load_settings()


def test_passwords_never_reach_display_names():
    db = PostgresUrl(database_url="postgresql://app:s3cret@db.example.com:5432/smarthome", sslmode="require")
    assert db.url().endswith("?sslmode=require")
    assert "s3cret" not in db.display_name() and "***" in redact_url(db.url())


def test_the_aws_environment_end_to_end(monkeypatch, tmp_path, fresh_database, s3_bucket):
    """SMARTHOME_ENV=aws with the real resource classes and EnvVar secrets: S3 is a moto server over HTTP,
    RDS is the embedded PostgreSQL by URL (without SSL: the one thing this cannot exercise here)."""
    url, _ = fresh_database
    endpoint, bucket, _s3 = s3_bucket
    source = write(tmp_path / "home.csv", minutes(2838))
    for name, value in {
        "SMARTHOME_ENV": "aws",
        "SMARTHOME_S3_BUCKET": bucket,
        "SMARTHOME_S3_ENDPOINT_URL": endpoint,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "SMARTHOME_DATABASE_URL": url,
        "SMARTHOME_DATABASE_SSLMODE": "disable",
        "SMARTHOME_SOURCE_FILES": str(source),
        "SMARTHOME_HOME": str(tmp_path),
    }.items():
        monkeypatch.setenv(name, value)
    res = resources_for_env(load_settings())
    assert all(isinstance(res[name], dg.ResourceDefinition) for name in ("object_store", "postgres", "warehouse"))
    result = dg.materialize(
        dg.load_assets_from_modules([ingestion_assets]),
        resources=res,
        tags=range_tags(date(2016, 1, 1), date(2016, 1, 3)),
    )
    assert result.success
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM energy_consuming_device")
        assert cur.fetchone()[0] == 2838


def test_the_aws_dagster_instance_config_is_valid(tmp_path, monkeypatch):
    """deploy/dagster.aws.yaml validates against Dagster's instance schema (connecting needs a real server)."""
    import shutil

    from dagster._core.instance.config import dagster_instance_config

    from smarthome_assets.settings import project_root

    shutil.copy(project_root() / "deploy" / "dagster.aws.yaml", tmp_path / "dagster.yaml")
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB"):
        monkeypatch.setenv(name, "x")
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["storage"]["postgres"]["postgres_db"]["scheme"] == "postgresql+psycopg2"


def test_the_timeframe_origin_reaches_the_reader_through_the_sources_resource(monkeypatch):
    monkeypatch.setenv("SMARTHOME_TIMEFRAME_ORIGIN", "2020-03-01T00:00:00Z")
    settings = load_settings()
    assert settings.timeframe_origin.isoformat() == "2020-03-01T00:00:00+00:00"
    assert resources_for_env(settings)["sources"].time_axis().timeframe_origin == settings.timeframe_origin
    monkeypatch.setenv("SMARTHOME_TIMEFRAME_ORIGIN", "yesterday")
    with pytest.raises(ValueError, match="SMARTHOME_TIMEFRAME_ORIGIN must be an ISO date-time"):
        load_settings()
