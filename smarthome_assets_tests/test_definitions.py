"""The code location loads, in both environments, and the aws settings really work (S3 on a moto server)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime

import dagster as dg
import psycopg2
import pytest

from smarthome_assets.database.connection import EmbeddedPostgres, PostgresUrl, redact_url
from smarthome_assets.defs.ingestion import assets as ingestion_assets
from smarthome_assets.defs.resources import resources_for_env
from smarthome_assets.lib.partitions import daily_partitions, range_tags
from smarthome_assets.settings import load_settings
from smarthome_assets.storage.object_store import LocalObjectStore, S3ObjectStore
from smarthome_assets_tests.support.homec_files import minutes, write


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
        "lake_parquet": "lake",
        "dashboard": "dashboard",
    }
    assert {j.name for j in loaded.jobs} == {"ingestion_job", "daily_exports_job", "dashboard_job"}
    specs = {spec.key.to_user_string(): spec for assets_def in loaded.assets for spec in assets_def.specs}
    assert all(spec.owners and "dagster/code_references" in spec.metadata for spec in specs.values())
    tables = {k for k, spec in specs.items() if "dagster/table_name" in spec.metadata}
    assert tables == {"homes", "rds_tables", "redshift_tables", "lake_parquet"}
    assert "dagster/column_schema" in specs["rds_tables"].metadata
    resources = ["alerts", "api_client", "dashboard_dir", "lake", "lake_duckdb", "object_store", "postgres"]
    resources += ["sources", "warehouse"]
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


API_KEY = "test-api-key-0123456789"


def _secret(client, name: str, values: dict) -> str:
    return client.create_secret(Name=name, SecretString=json.dumps(values))["ARN"]


def test_the_aws_environment_end_to_end(monkeypatch, tmp_path, moto_s3_endpoint, s3_bucket):
    """SMARTHOME_ENV=aws as deployed, with every AWS part this machine can run for real:
    - S3 and Secrets Manager: a moto server over HTTP (AWS_ENDPOINT_URL);
    - "RDS": PostgreSQL behind a TLS-only front (ssl_postgres.py: self-signed certificate, non-TLS logins refused,
      passwords checked), set up by the bootstrap task's own code from the secrets, as the master user;
    - the API: the local HTTP server with the real handler, REST (payload 1.0) events, an API key required, its
      database login read from Secrets Manager through Powertools;
    - the source file as an s3:// URI; the exports land in the bucket; Dagster's own storage is
      deploy/dagster.aws.yaml on the same TLS PostgreSQL (its `dagster` database).
    Redshift cannot run here (test_warehouse_redshift.py, test_warehouse_sql.py), nor ECS: the run is in-process."""
    import boto3
    import requests

    from lambda_api import handler
    from lambda_api.config import ApiConfig
    from smarthome_assets.database import aws_bootstrap
    from smarthome_assets.defs.exports import assets as export_assets
    from smarthome_assets.local_api.server import LocalApiServer, start_in_thread
    from smarthome_assets.settings import project_root
    from smarthome_assets_tests.support import ssl_postgres

    _endpoint, bucket, s3 = s3_bucket
    for name, value in {
        "AWS_ENDPOINT_URL": moto_s3_endpoint,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "rds").mkdir(mode=0o777)
    (tmp_path / "rds").chmod(0o777)  # the embedded server runs as its own system user under root
    rds = ssl_postgres.start(tmp_path / "rds" / "pg")
    server = LocalApiServer(("127.0.0.1", 0), payload_version="1.0")
    try:
        # RDS as Terraform leaves it: a master user (not a superuser) owning the `smarthome` database.
        ssl_postgres.admin(rds, "CREATE ROLE rds_admin LOGIN CREATEROLE CREATEDB PASSWORD 'master-pw'")
        ssl_postgres.admin(rds, "CREATE DATABASE smarthome OWNER rds_admin")
        secrets = boto3.client("secretsmanager")
        layout = {
            "engine": "postgres",
            "host": "127.0.0.1",
            "port": rds.port,
            "dbname": "smarthome",
            "sslmode": "require",
        }
        app_arn = _secret(secrets, "t/app", {**layout, "username": "smarthome_app", "password": "app-pw-1"})
        reader_arn = _secret(secrets, "t/reader", {**layout, "username": "smarthome_api_reader", "password": "rd-pw-2"})
        monkeypatch.setenv("PGPASSWORD", "master-pw")  # what ECS injects from the RDS-managed secret
        bootstrap_args = ["--host", "127.0.0.1", "--port", str(rds.port), "--admin-user", "rds_admin"]
        for _ in range(2):  # a second run changes nothing and does not fail
            assert aws_bootstrap.main([*bootstrap_args, "--app-secret", app_arn, "--reader-secret", reader_arn]) == 0

        # The API: REST events, key required, its login from Secrets Manager.
        handler.configure(ApiConfig(database_secret_arn=reader_arn, api_key=API_KEY))
        start_in_thread(server)
        source = write(tmp_path / "home.csv", minutes(2838))
        S3ObjectStore(bucket=bucket, **s3).put_file("incoming/home_01.csv", source)

        monkeypatch.setenv("PGPASSWORD", "app-pw-1")  # the tasks' secret: smarthome_app
        for name, value in {
            "SMARTHOME_ENV": "aws",
            "SMARTHOME_S3_BUCKET": bucket,
            "SMARTHOME_S3_ENDPOINT_URL": moto_s3_endpoint,
            "SMARTHOME_DATABASE_URL": rds.tcp_url("smarthome_app", "smarthome"),
            "SMARTHOME_DATABASE_SSLMODE": "require",
            "SMARTHOME_API_URL": server.url,
            "SMARTHOME_API_KEY": API_KEY,
            "SMARTHOME_SOURCE_FILES": f"s3://{bucket}/incoming/home_01.csv",
            "SMARTHOME_HOME": str(tmp_path / "home"),
            "SMARTHOME_REDSHIFT_WORKGROUP": "smarthome",
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(rds.port),
            "DAGSTER_PG_USER": "smarthome_app",
            "DAGSTER_PG_PASSWORD": "app-pw-1",
            "DAGSTER_PG_DB": "dagster",
            "DAGSTER_RUN_TASK_DEFINITION": "smarthome-run",
            "DAGSTER_COMPUTE_LOGS_BUCKET": bucket,
            "DAGSTER_COMPUTE_LOGS_PREFIX": "smarthome/dagster/compute-logs",
        }.items():
            monkeypatch.setenv(name, value)
        res = resources_for_env(load_settings())
        assert all(isinstance(res[name], dg.ConfigurableResource) for name in ("object_store", "postgres", "sources"))
        (tmp_path / "dagster").mkdir()
        shutil.copy(project_root() / "deploy" / "dagster.aws.yaml", tmp_path / "dagster" / "dagster.yaml")
        with dg.DagsterInstance.from_config(str(tmp_path / "dagster")) as instance:
            result = dg.materialize(
                dg.load_assets_from_modules([ingestion_assets, export_assets]),
                resources=res,
                instance=instance,
                tags=range_tags(date(2016, 1, 1), date(2016, 1, 3)),
            )
            assert result.success
            assert instance.get_run_by_id(result.run_id).is_success  # recorded in `dagster` on the TLS server

        with psycopg2.connect(rds.tcp_url("smarthome_app", "smarthome") + "?sslmode=require") as conn:
            assert conn.info.ssl_in_use
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM energy_consuming_device")
                assert cur.fetchone()[0] == 2838
        client = S3ObjectStore(bucket=bucket, **s3)._c()
        exported = [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix="smarthome/exports/")["Contents"]]
        assert {f"date=2016-01-0{d}" for d in (1, 2, 3)} <= {p for k in exported for p in k.split("/")}
        landed = client.list_objects_v2(Bucket=bucket, Prefix="smarthome/raw/source/home_01/")["Contents"]
        assert [o["Key"].split("@")[0] for o in landed] == ["smarthome/raw/source/home_01/home_01.csv"]
        assert landed[0]["Size"] > 0
        # The key is what opens the API: without it, 403.
        assert requests.get(f"{server.url}/homes", timeout=10).status_code == 403
        assert requests.get(f"{server.url}/homes", headers={"x-api-key": API_KEY}, timeout=10).status_code == 200
    finally:
        server.shutdown()
        server.server_close()
        handler.configure(ApiConfig())
        ssl_postgres.stop(rds)


def test_s3_sources_need_the_s3_object_store(tmp_path):
    from smarthome_assets.ingestion.sources import HomeCSources

    with pytest.raises(ValueError, match="needs the S3 object store"):
        HomeCSources(paths=["s3://bucket/home.csv"]).files()
    local = HomeCSources(paths=["s3://bucket/home.csv"], object_store=LocalObjectStore(root=str(tmp_path)))
    with pytest.raises(ValueError, match="use the S3 object store"):
        local.files()


def test_a_missing_s3_source_is_reported_by_its_uri(tmp_path, s3_bucket):
    from smarthome_assets.ingestion.sources import HomeCSources

    _endpoint, bucket, s3 = s3_bucket
    sources = HomeCSources(
        paths=[f"s3://{bucket}/incoming/nope.csv"],
        object_store=S3ObjectStore(bucket=bucket, prefix="smarthome", **s3),
        cache_dir=str(tmp_path),
    )
    with pytest.raises(FileNotFoundError, match=f"s3://{bucket}/incoming/nope.csv"):
        sources.files()


def test_the_aws_dagster_instance_config_is_valid(tmp_path, monkeypatch):
    """deploy/dagster.aws.yaml validates against Dagster's instance schema (connecting needs a real server)."""
    import shutil

    from dagster._core.instance.config import dagster_instance_config

    from smarthome_assets.settings import project_root

    shutil.copy(project_root() / "deploy" / "dagster.aws.yaml", tmp_path / "dagster.yaml")
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB", "DAGSTER_PG_PORT"):
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


def test_the_timeframe_origin_reaches_the_sources_on_aws_too(monkeypatch, s3_bucket):
    """On AWS the sources are a configurable resource built in the run's process: the origin must reach it."""
    endpoint, bucket, s3 = s3_bucket
    for name, value in {
        "SMARTHOME_ENV": "aws",
        "SMARTHOME_TIMEFRAME_ORIGIN": "2020-03-01T00:00:00Z",
        "SMARTHOME_S3_BUCKET": bucket,
        "SMARTHOME_S3_ENDPOINT_URL": endpoint,
        "AWS_REGION": s3["region_name"],
        "AWS_ACCESS_KEY_ID": s3["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": s3["aws_secret_access_key"],
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    res = resources_for_env(settings)
    with dg.build_resources({"object_store": res["object_store"], "sources": res["sources"]}) as built:
        assert built.sources.time_axis().timeframe_origin == datetime(2020, 3, 1, tzinfo=UTC)
        assert built.sources.object_store.bucket == bucket


def test_every_declaration_of_the_code_location_names_the_same_module_and_location():
    """dg derives the location from pyproject.toml; workspace.yaml, the AWS workspace and the ECS code server's
    command must name the same module and location, or the UI shows a second, empty location."""
    import tomllib

    import yaml

    from smarthome_assets.settings import project_root

    root = project_root()
    project = tomllib.loads((root / "pyproject.toml").read_text())
    module = project["tool"]["dg"]["project"]["root_module"] + ".definitions"
    name = project["project"]["name"]
    [local] = yaml.safe_load((root / "workspace.yaml").read_text())["load_from"]
    assert local["python_module"] == {"module_name": module, "location_name": name}
    [aws] = yaml.safe_load((root / "deploy" / "workspace.aws.yaml").read_text())["load_from"]
    assert aws["grpc_server"]["location_name"] == name
    ecs = (root / "deploy" / "terraform" / "ecs.tf").read_text()
    assert f'"-m", "{module}", "--location-name", "{name}"' in ecs
