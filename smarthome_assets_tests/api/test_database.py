"""The API's database side: the read-only role cannot write, the role migration is idempotent across
databases, a down or slow database is a 503 without internals, and the connection is reused while warm
and re-opened after a failure (also when it comes from a Secrets Manager secret)."""

from __future__ import annotations

import json
import time

import psycopg2
import psycopg2.errors
import pytest

from lambda_api import runtime
from lambda_api.config import ApiConfig
from lambda_api.handler import configure
from lambda_api.queries import Statement
from smarthome_assets.database.migrate import apply_migrations
from smarthome_assets.services import embedded_postgres
from smarthome_assets_tests.support.api_database import READER, call, create_api_database, drop_api_database
from smarthome_assets_tests.support.local_services import backend_pid, prepared_statements

SERVED = {"home", "device", "weather", "energy_consuming_device", "day_version"}  # day_version: the cache key


@pytest.fixture
def app_name(api_db, request):
    """Point the handler at the test database under a unique application_name; restore afterwards."""
    name = f"t-{request.node.name[:40]}"
    configure(ApiConfig(database_url=api_db.reader_url, application_name=name, statement_timeout_ms=300))
    yield name
    configure(ApiConfig(database_url=api_db.reader_url, application_name="test-api-database"))


def _admin(url: str):
    conn = psycopg2.connect(url)
    conn.autocommit = True
    return conn


# --- the read-only role ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO home (house_id, name, source_file) VALUES (99, 'x', 'y')",
        "UPDATE weather SET temperature = 0",
        "DELETE FROM energy_consuming_device",
        "TRUNCATE device",
        "CREATE TABLE public.intruder (x int)",
        "DROP TABLE weather",
        "ALTER TABLE home ADD COLUMN x int",
        "SELECT * FROM schema_migrations",
        "CREATE ROLE intruder",
    ],
)
def test_the_reader_role_cannot_write_or_read_beyond_the_served_tables(api_db, statement):
    conn = psycopg2.connect(api_db.reader_url)
    conn.autocommit = True
    refused = (psycopg2.errors.ReadOnlySqlTransaction, psycopg2.errors.InsufficientPrivilege)
    try:
        with conn.cursor() as cur, pytest.raises(refused):
            cur.execute(statement)  # the role's sessions are read-only by default...
        with conn.cursor() as cur:
            cur.execute("SET default_transaction_read_only = off")  # ...and without that, it lacks the rights
        with conn.cursor() as cur, pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute(statement)
    finally:
        conn.close()
    with _admin(api_db.admin_url) as admin, admin.cursor() as cur:
        cur.execute("SELECT count(*) FROM energy_consuming_device")
        assert cur.fetchone()[0] > 0


def test_the_reader_role_has_select_on_exactly_the_served_tables(api_db):
    with _admin(api_db.admin_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants WHERE grantee = %s",
            (READER,),
        )
        assert set(cur.fetchall()) == {(table, "SELECT") for table in SERVED}
        cur.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin FROM pg_roles WHERE rolname = %s", (READER,)
        )
        assert cur.fetchone() == (False, False, False, True)
    reader = psycopg2.connect(api_db.reader_url)
    with reader.cursor() as cur:
        cur.execute("SHOW default_transaction_read_only")
        assert cur.fetchone()[0] == "on"
        for table in SERVED:
            cur.execute(f"SELECT count(*) FROM {table}")
    reader.close()


def test_the_role_migration_is_idempotent_across_databases(pg_server, api_db):
    second = create_api_database(pg_server, load=False)
    try:
        assert apply_migrations(second.admin_url) == []
        conn = psycopg2.connect(second.reader_url)
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM weather")
            assert cur.fetchone() == (0,)
        conn.close()
    finally:
        drop_api_database(second, pg_server)


# --- failures ------------------------------------------------------------------------------------------------


def _assert_clean_503(answer, *secrets: str) -> None:
    assert answer.status == 503
    body = answer.json()
    assert body["error"] == {
        "status": 503,
        "code": "unavailable",
        "message": "the database is unavailable; retry later",
    }
    assert body["request_id"] == answer.headers["x-request-id"]
    assert answer.headers["retry-after"] == "1"
    for secret in ("psycopg2", "Traceback", "socket", "postgres", *secrets):
        assert secret not in answer.body


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_a_database_that_is_down_is_a_clean_503(api_db, tmp_path, version):
    nowhere = embedded_postgres.socket_url(str(tmp_path / "no-server-here"), "smarthome", READER)
    configure(ApiConfig(database_url=nowhere, connect_timeout_s=1))
    try:
        for path in ("/health", "/energy", "/homes", "/homes/1/devices", "/energy/summary"):
            _assert_clean_503(call(version, path), str(tmp_path))
        assert call(version, "/energy", "limit=0").status == 400  # validation does not need the database
    finally:
        configure(ApiConfig(database_url=api_db.reader_url))


def test_no_database_configured_is_a_503(api_db):
    configure(ApiConfig())
    try:
        _assert_clean_503(call("v2", "/homes"))
    finally:
        configure(ApiConfig(database_url=api_db.reader_url))


def test_a_slow_database_is_a_503_within_the_statement_timeout(api_db, app_name):
    assert call("v2", "/energy", "limit=1").status == 200
    locker = psycopg2.connect(api_db.admin_url)
    try:
        with locker.cursor() as cur:
            cur.execute("LOCK TABLE energy_consuming_device IN ACCESS EXCLUSIVE MODE")  # held until rollback
        started = time.monotonic()
        answer = call("v2", "/energy", "limit=1")
        elapsed = time.monotonic() - started
    finally:
        locker.rollback()
        locker.close()
    _assert_clean_503(answer)
    assert elapsed < 3
    assert call("v2", "/energy", "limit=1").status == 200  # the same connection still serves


def _sessions(admin_url: str, name: str) -> list[int]:
    with _admin(admin_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (name,))
        return [r[0] for r in cur.fetchall()]


def test_the_connection_is_reused_across_warm_invocations(api_db, app_name):
    for _ in range(5):
        assert call("v2", "/energy", "limit=10").status == 200
    sessions = _sessions(api_db.admin_url, app_name)
    assert len(sessions) == 1
    assert sessions[0] == backend_pid(runtime.current().db)


def test_pages_run_as_prepared_statements_prepared_once_per_connection(api_db, app_name):
    for day in ("2016-01-02", "2016-01-03", "2016-01-02"):  # one statement text, other values
        assert call("v2", "/energy", f"start={day}&limit=100").status == 200
    db = runtime.current().db
    prepared = prepared_statements(db)
    assert len(prepared) == 2  # the page's statement and the listing query itself, each once
    ambiguous = Statement("SELECT %(x)s + %(y)s", {"x": 3, "y": 4})  # PREPARE: operator is not unique
    assert db.fetch(ambiguous) == [(7,)] and len(prepared_statements(db)) == 2  # so it ran plainly


def test_a_dropped_connection_is_reopened_without_failing_the_request(api_db, app_name):
    assert call("v1", "/homes").status == 200
    (old_pid,) = _sessions(api_db.admin_url, app_name)
    with _admin(api_db.admin_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s)", (old_pid,))
    time.sleep(0.2)
    answer = call("v1", "/homes")
    assert answer.status == 200 and answer.json()["count"] == 2
    (new_pid,) = _sessions(api_db.admin_url, app_name)
    assert new_pid != old_pid


def test_the_connection_can_come_from_secrets_manager(api_db, monkeypatch):
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with moto.mock_aws():
        secret = {
            "engine": "postgres",
            "host": str(api_db.pgdata),  # a socket directory: libpq takes it as host
            "port": 5432,
            "username": READER,
            "password": "",
            "dbname": api_db.name,
            "sslmode": "disable",
        }
        arn = boto3.client("secretsmanager").create_secret(Name="smarthome/api", SecretString=json.dumps(secret))["ARN"]
        configure(ApiConfig(database_secret_arn=arn, application_name="t-secret"))
        try:
            answer = call("v2", "/homes")
            assert answer.status == 200 and answer.json()["count"] == 2
            assert _sessions(api_db.admin_url, "t-secret") == [backend_pid(runtime.current().db)]
        finally:
            configure(ApiConfig(database_url=api_db.reader_url))


def test_an_unreadable_secret_is_a_503(api_db, monkeypatch):
    moto = pytest.importorskip("moto")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with moto.mock_aws():
        configure(ApiConfig(database_secret_arn="arn:aws:secretsmanager:eu-west-1:123456789012:secret:missing"))
        try:
            _assert_clean_503(call("v2", "/homes"), "arn:aws", "ResourceNotFound")
        finally:
            configure(ApiConfig(database_url=api_db.reader_url))
