"""The `redshift` dialect: the exact SQL it sends to Redshift, recorded by a stand-in connection.

What cannot be checked here, for want of a cluster (no Redshift emulator runs without Docker):
* that Redshift accepts the statements and plans them well (DISTKEY/SORTKEY choices, the merge's joins);
* COPY reading S3 through the IAM role, `MANIFEST`, `TIMEFORMAT 'auto'` on the exports' ISO timestamps,
  `EMPTYASNULL` on empty icon fields, and `pg_last_copy_count()`;
* SSL to the cluster and real IAM temporary credentials (GetClusterCredentials runs against moto here).
The same statements do run for real, through the translation layer, in test_warehouse_load.py; here the
stand-in answers COPY as Redshift would, by reading the manifest and the export files from S3 (a moto
server over HTTP), so the load's own checks (staged rows per day) are exercised too.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest

from smarthome_assets.exports import layout
from smarthome_assets.storage.object_store import LocalObjectStore, S3ObjectStore
from smarthome_assets.warehouse import objects, resource
from smarthome_assets.warehouse.loader import LoadError, load_days
from smarthome_assets.warehouse.resource import RedshiftWarehouse
from smarthome_assets.warehouse.sql_files import statements
from smarthome_assets_tests.support.whole_chain import days, write_day_export

ROLE = "arn:aws:iam::123456789012:role/smarthome-redshift-copy"
_COPY = re.compile(r"COPY (\w+) \(([^)]*)\)\nFROM '([^']*)'")


class RecordingRedshift:
    """Records every statement; answers COPY, pg_last_copy_count() and the staged-row counts from S3."""

    def __init__(self, store: S3ObjectStore):
        self.store = store
        self.log: list[tuple[str, Any]] = []
        self.connect_kwargs: list[dict[str, Any]] = []
        self.staged: dict[str, dict[int, int]] = {}
        self.last_copy = 0
        self.manifests: dict[str, dict] = {}

    def connect(self, **kwargs: Any) -> RecordingConnection:
        self.connect_kwargs.append(kwargs)
        return RecordingConnection(self)

    def copy(self, sql: str) -> None:
        table, _columns, uri = _COPY.match(sql).groups()
        manifest = json.loads(self.store.get_bytes(objects.key_for_uri(self.store, uri)))
        self.manifests[table] = manifest
        self.staged[table], self.last_copy = {}, 0
        for entry in manifest["entries"]:
            lines = self.store.get_bytes(objects.key_for_uri(self.store, entry["url"])).decode().splitlines()[1:]
            for line in lines:
                key = int(line.split(",")[1].strip('"')[:10].replace("-", "")) if table != "stg_home" else 0
                self.staged[table][key] = self.staged[table].get(key, 0) + 1
            self.last_copy += len(lines)

    def answer(self, sql: str) -> list[tuple]:
        if sql == "SELECT pg_last_copy_count()":
            return [(self.last_copy,)]
        for table in ("stg_weather", "stg_energy"):
            if f"FROM {table} GROUP BY 1" in sql:
                return sorted(self.staged[table].items())
        return []


class RecordingConnection:
    def __init__(self, server: RecordingRedshift):
        self.server, self.closed = server, False

    def cursor(self) -> RecordingCursor:
        return RecordingCursor(self.server)

    def commit(self) -> None:
        self.server.log.append(("COMMIT", None))

    def rollback(self) -> None:
        self.server.log.append(("ROLLBACK", None))

    def close(self) -> None:
        self.closed = True


class RecordingCursor:
    def __init__(self, server: RecordingRedshift):
        self.server, self.rows = server, []

    def __enter__(self) -> RecordingCursor:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def execute(self, sql: str, params: Any = None) -> None:
        self.server.log.append((sql, params))
        if sql.startswith("COPY "):
            self.server.copy(sql)
        self.rows = self.server.answer(sql)

    def fetchall(self) -> list[tuple]:
        return self.rows


@pytest.fixture
def s3_store(s3_bucket) -> S3ObjectStore:
    _endpoint, bucket, s3 = s3_bucket
    return S3ObjectStore(bucket=bucket, prefix="smarthome", **s3)


@pytest.fixture
def redshift(monkeypatch, s3_store) -> tuple[RedshiftWarehouse, RecordingRedshift]:
    server = RecordingRedshift(s3_store)
    monkeypatch.setattr(resource.psycopg2, "connect", server.connect)
    warehouse = RedshiftWarehouse(
        host="wh.abc123.us-east-1.redshift.amazonaws.com",
        database="analytics",
        user="loader",
        password="s3cret",
        iam_role=ROLE,
    )
    return warehouse, server


def _expected_copy(table: str, columns: tuple[str, ...], uri: str) -> str:
    return (
        f"COPY {table} ({', '.join(columns)})\nFROM '{uri}'\nIAM_ROLE '{ROLE}'\nMANIFEST\nFORMAT AS CSV\n"
        "IGNOREHEADER 1\nTIMEFORMAT 'auto'\nEMPTYASNULL"
    )


def test_a_load_sends_exactly_these_statements(redshift, s3_store):
    warehouse, server = redshift
    two = days(2)
    for day in two:
        write_day_export(s3_store, day, homes=(1, 2, 3))
    load_days(warehouse, s3_store, two)

    schema = [s.sql for s in statements("schema")]
    assert server.log[: len(schema) + 2] == [
        ("SET timezone TO 'UTC'", None),
        *[(s, None) for s in schema],
        ("COMMIT", None),
    ]
    fact = next(s for s in schema if "fact_energy_minute" in s)
    assert fact.startswith("CREATE TABLE IF NOT EXISTS fact_energy_minute (\n    house_id               INTEGER")
    assert fact.endswith(
        "    solar_kw               DOUBLE PRECISION NOT NULL\n)\nDISTSTYLE KEY\nDISTKEY (house_id)\n"
        "COMPOUND SORTKEY (date_key, house_id)"
    )
    assert next(s for s in schema if "stg_home" in s).endswith(")\nBACKUP NO\nDISTSTYLE ALL")

    load = server.log[len(schema) + 2 :]
    uris = {
        t: f"s3://{s3_store.bucket}/smarthome/warehouse/copy/{t}_2016-01-01_2016-01-02_"
        for t in ("stg_weather", "stg_energy", "stg_home")
    }
    copies = [sql for sql, _ in load if sql.startswith("COPY")]
    assert [c.split("'")[1].startswith(uris[t]) for c, t in zip(copies, uris, strict=True)] == [True] * 3
    params = {"first_key": 20160101, "last_key": 20160102}
    expected = [
        ("SET timezone TO 'UTC'", None),
        ("LOCK stg_home, stg_weather, stg_energy", None),
        ("DELETE FROM stg_home", None),
        ("DELETE FROM stg_weather", None),
        ("DELETE FROM stg_energy", None),
        (_expected_copy("stg_weather", layout.EXPORT_COLUMNS["weather"], copies[0].split("'")[1]), None),
        ("SELECT pg_last_copy_count()", None),
        (_expected_copy("stg_energy", layout.EXPORT_COLUMNS["energy"], copies[1].split("'")[1]), None),
        ("SELECT pg_last_copy_count()", None),
        (_expected_copy("stg_home", layout.EXPORT_COLUMNS["homes"], copies[2].split("'")[1]), None),
        ("SELECT pg_last_copy_count()", None),
        *[(s.sql, None) for s in statements("counts") if s.name.startswith("staged_")],
        *[(s.sql, params) for s in statements("merge")],
        ("COMMIT", None),
    ]
    assert load == expected
    # Each COPY manifest lists the days' current files by S3 URI, every one mandatory.
    current = [layout.DayManifest.load(s3_store, day).files["energy"].key for day in two]
    assert server.manifests["stg_energy"] == {
        "entries": [{"url": s3_store.uri(key), "mandatory": True} for key in current]
    }
    assert not s3_store.list_keys("warehouse/copy/")  # removed after the load


def test_the_connection_is_redshift_over_ssl(redshift, s3_store):
    warehouse, server = redshift
    write_day_export(s3_store, date(2016, 1, 1))
    load_days(warehouse, s3_store, [date(2016, 1, 1)])
    assert server.connect_kwargs[0] == {
        "host": "wh.abc123.us-east-1.redshift.amazonaws.com",
        "port": 5439,
        "dbname": "analytics",
        "user": "loader",
        "password": "s3cret",
        "sslmode": "require",
        "connect_timeout": 10,
        "application_name": "smarthome-warehouse",
    }
    assert "s3cret" not in warehouse.display_name()


def test_a_failed_load_rolls_back_and_sends_no_commit(redshift, s3_store):
    warehouse, server = redshift
    write_day_export(s3_store, date(2016, 1, 1))
    key = layout.DayManifest.load(s3_store, date(2016, 1, 1)).files["weather"].key
    s3_store.put_bytes(key, s3_store.get_bytes(key).rsplit(b"\n", 5)[0] + b"\n")  # rows lost after the export
    with pytest.raises(LoadError, match="staged rows differ"):
        load_days(warehouse, s3_store, [date(2016, 1, 1)])
    assert server.log[-1] == ("ROLLBACK", None)
    assert not any(sql.startswith(("INSERT", "DELETE FROM fact")) for sql, _ in server.log)


def test_redshift_copy_needs_the_s3_object_store(tmp_path):
    warehouse = RedshiftWarehouse(host="h", user="u", password="p")
    with (
        pytest.raises(ValueError, match="Redshift COPY reads from S3"),
        warehouse.session(LocalObjectStore(root=str(tmp_path))),
    ):
        pass


def test_iam_temporary_credentials_when_no_password(monkeypatch):
    """GetClusterCredentials (against moto's in-process AWS mock) instead of a password."""
    import boto3
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        boto3.client("redshift", region_name="us-east-1").create_cluster(
            ClusterIdentifier="smarthome",
            NodeType="ra3.xlplus",
            MasterUsername="admin",
            MasterUserPassword="Admin1234",
            DBName="analytics",
        )
        warehouse = RedshiftWarehouse(
            host="h", user="loader", database="analytics", cluster_identifier="smarthome", region_name="us-east-1"
        )
        user, password = warehouse.credentials()
    assert user == "IAM:loader" and len(password) >= 16
    with pytest.raises(ValueError, match="password, a workgroup_name"):
        RedshiftWarehouse(host="h", user="u").credentials()


def test_serverless_iam_login_sends_exactly_this_get_credentials_request():
    """Redshift Serverless cannot run here and moto does not implement GetCredentials, so the one AWS call is
    checked against botocore's Stubber: a real boto3 client whose request is validated against the service model
    and compared with the expected parameters (the answer is made up). Nothing else is replaced."""
    import boto3
    from botocore.stub import Stubber

    client = boto3.client(
        "redshift-serverless", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    warehouse = RedshiftWarehouse(host="smarthome.123.eu-west-1.redshift-serverless.amazonaws.com", database="dev",
                                  workgroup_name="smarthome", region_name="eu-west-1")  # fmt: skip
    expected = {"workgroupName": "smarthome", "dbName": "dev", "durationSeconds": 900}
    answer = {"dbUser": "IAMR:smarthome-dagster-run", "dbPassword": "temporary", "expiration": "2026-01-01T00:00:00Z"}
    calls: list[str] = []

    def client_for(service):
        calls.append(service)
        return client

    with Stubber(client) as stub:
        stub.add_response("get_credentials", answer, expected)
        object.__setattr__(warehouse, "_aws_client", client_for)
        kwargs = warehouse.connect_kwargs()
        stub.assert_no_pending_responses()
    assert calls == ["redshift-serverless"]
    assert kwargs["user"] == "IAMR:smarthome-dagster-run" and kwargs["password"] == "temporary"
    assert kwargs["sslmode"] == "require" and kwargs["port"] == 5439 and kwargs["dbname"] == "dev"
    assert "temporary" not in warehouse.display_name() and "smarthome" in warehouse.display_name()


def test_the_aws_settings_choose_iam_for_redshift_when_a_workgroup_is_named(monkeypatch, tmp_path):
    """The resource Dagster builds at run start from the environment (nothing connects: Redshift is not here)."""
    import dagster as dg

    from smarthome_assets.defs.resources import resources_for_env
    from smarthome_assets.settings import load_settings

    for name, value in {
        "SMARTHOME_ENV": "aws",
        "SMARTHOME_HOME": str(tmp_path),
        "SMARTHOME_REDSHIFT_WORKGROUP": "smarthome",
        "SMARTHOME_REDSHIFT_HOST": "wg.example.redshift-serverless.amazonaws.com",
        "SMARTHOME_REDSHIFT_DATABASE": "dev",
        "SMARTHOME_REDSHIFT_IAM_ROLE": "arn:aws:iam::123456789012:role/copy",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)

    def built_warehouse():
        definition = resources_for_env(load_settings())["warehouse"]
        with dg.build_resources({"warehouse": definition}) as resources:
            return resources.warehouse

    warehouse = built_warehouse()
    assert warehouse.workgroup_name == "smarthome" and warehouse.password == ""
    monkeypatch.delenv("SMARTHOME_REDSHIFT_WORKGROUP")
    monkeypatch.setenv("SMARTHOME_REDSHIFT_PASSWORD", "from-the-secret")
    warehouse = built_warehouse()
    assert warehouse.workgroup_name == "" and warehouse.password == "from-the-secret"
    assert "from-the-secret" not in repr(warehouse) and "from-the-secret" not in warehouse.display_name()
