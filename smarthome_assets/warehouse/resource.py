"""The warehouse: one interface, two dialects (plain classes; defs/resources.py makes them resources).

`RedshiftWarehouse` sends the Redshift SQL as written over psycopg2 (SSL, IAM temporary credentials or a
password), and COPY reads the exports from S3 itself. `PostgresWarehouse` (the local default) runs the same
statements through the translation layer (dialect.py). A session is one transaction, so a load is all or
nothing."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

import psycopg2

from smarthome_assets.database.connection import PostgresDatabase, redact_url
from smarthome_assets.storage.object_store import ObjectStore
from smarthome_assets.warehouse import dialect, objects
from smarthome_assets.warehouse.sql_files import external_schema_statement

APPLICATION_NAME = "smarthome-warehouse"
_COPY_BUFFER = 1 << 20


class WarehouseSession(ABC):
    """Statements inside one warehouse transaction."""

    def __init__(self, conn: psycopg2.extensions.connection, store: ObjectStore):
        self.conn = conn
        self.store = store

    @abstractmethod
    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        """Run one Redshift statement (no result)."""

    @abstractmethod
    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple]:
        """Run one Redshift query and return its rows."""

    @abstractmethod
    def copy(self, copy_sql: str) -> int:
        """Run one Redshift COPY statement; return the rows it loaded."""


class RedshiftSession(WarehouseSession):
    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple]:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def copy(self, copy_sql: str) -> int:
        """COPY, then `pg_last_copy_count()`: Redshift's count of the rows the session's last COPY loaded."""
        self.execute(copy_sql)
        return int(self.query("SELECT pg_last_copy_count()")[0][0])


class PostgresSession(WarehouseSession):
    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        with self.conn.cursor() as cur:
            for statement in dialect.to_postgres(sql):
                cur.execute(statement, params)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple]:
        (statement,) = dialect.to_postgres(sql)
        with self.conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall()

    def copy(self, copy_sql: str) -> int:
        command = dialect.parse_copy(copy_sql)
        source = objects.key_for_uri(self.store, command.source_uri)
        keys = objects.manifest_keys(self.store, command.source_uri) if command.manifest else [source]
        header = (",".join(command.columns) + "\n").encode() if command.columns and command.ignore_header else None
        reader = objects.ObjectsReader(self.store, keys, skip_lines=command.ignore_header, header=header)
        with self.conn.cursor() as cur:
            cur.copy_expert(command.postgres_sql(), reader, size=_COPY_BUFFER)
            return cur.rowcount


class Warehouse(ABC):
    """Where `redshift_tables` loads: see the module docstring for the two dialects."""

    dialect: ClassVar[str]
    #: Role COPY uses to read S3 (ARN, or `default`).
    iam_role: str = "default"

    @abstractmethod
    def _connect(self) -> psycopg2.extensions.connection: ...

    @abstractmethod
    def _session(self, conn: psycopg2.extensions.connection, store: ObjectStore) -> WarehouseSession: ...

    @abstractmethod
    def display_name(self) -> str:
        """Where the warehouse is, without credentials."""

    def external_schemas(self) -> list[str]:
        """Statements creating schemas over data outside the warehouse (Redshift Spectrum); none by default."""
        return []

    def check_store(self, store: ObjectStore) -> None:  # noqa: B027 (a hook; most warehouses read any store)
        """Raise when COPY could not read this object store (overridden where that matters)."""

    @contextmanager
    def session(self, store: ObjectStore) -> Iterator[WarehouseSession]:
        """One transaction in UTC: committed at the end of the block, rolled back on error."""
        self.check_store(store)
        conn = self._connect()
        try:
            session = self._session(conn, store)
            session.execute("SET timezone TO 'UTC'")
            yield session
            conn.commit()
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise
        finally:
            conn.close()


@dataclass(frozen=True, kw_only=True)
class RedshiftWarehouse(Warehouse):
    """Amazon Redshift, Serverless or provisioned: IAM temporary credentials, or a password when one is set.

    IAM is the default on AWS because it leaves no password to store or rotate: the task's role asks Redshift for
    a login valid 15 minutes, just before connecting. Serverless (`workgroup_name`) uses
    `redshift-serverless:GetCredentials`, whose user is the role itself (`IAMR:<role>`); a provisioned cluster
    (`cluster_identifier`) uses `redshift:GetClusterCredentials` for `user`.
    """

    dialect: ClassVar[str] = "redshift"
    host: str
    port: int = 5439
    database: str = "dev"
    #: Password or provisioned-cluster IAM login; unused by Serverless.
    user: str = ""
    #: Empty: get temporary credentials through IAM instead.
    password: str = field(default="", repr=False)
    #: Redshift Serverless: IAM credentials (GetCredentials).
    workgroup_name: str = ""
    #: A provisioned cluster: IAM credentials (GetClusterCredentials).
    cluster_identifier: str = ""
    iam_role: str = "default"
    region_name: str = ""
    sslmode: str = "require"
    connect_timeout_seconds: int = 10
    #: Lifetime of IAM credentials, 900..3600 s.
    credential_seconds: int = 900
    #: Redshift Spectrum over the lake: its Glue database and the role Spectrum reads it with (both, or neither).
    lake_glue_database: str = ""
    spectrum_iam_role: str = ""

    def external_schemas(self) -> list[str]:
        """The `lake` schema over the lake's Glue tables, when the deployment names them (docs/WAREHOUSE.md)."""
        if not (self.lake_glue_database and self.spectrum_iam_role):
            return []
        return [external_schema_statement(self.lake_glue_database, self.spectrum_iam_role)]

    def _aws_client(self, service: str):
        """A boto3 client for the credential call (the one seam tests replace: no Redshift runs here)."""
        import boto3

        return boto3.client(service, region_name=self.region_name or None)

    def credentials(self) -> tuple[str, str]:
        """(user, password): as configured, or temporary ones from Redshift through IAM (15 minutes)."""
        if self.password:
            return self.user, self.password
        if self.workgroup_name:
            answer = self._aws_client("redshift-serverless").get_credentials(
                workgroupName=self.workgroup_name, dbName=self.database, durationSeconds=self.credential_seconds
            )
            return answer["dbUser"], answer["dbPassword"]
        if not self.cluster_identifier:
            raise ValueError(
                "Redshift needs a password, a workgroup_name (Serverless) "
                "or a cluster_identifier to get IAM credentials"
            )
        if not self.user:
            raise ValueError("a provisioned cluster's IAM credentials are for a named user: set user")
        answer = self._aws_client("redshift").get_cluster_credentials(
            DbUser=self.user,
            DbName=self.database,
            ClusterIdentifier=self.cluster_identifier,
            DurationSeconds=self.credential_seconds,
            AutoCreate=False,
        )
        return answer["DbUser"], answer["DbPassword"]

    def connect_kwargs(self) -> dict[str, Any]:
        user, password = self.credentials()
        return {
            "host": self.host,
            "port": self.port,
            "dbname": self.database,
            "user": user,
            "password": password,
            "sslmode": self.sslmode,
            "connect_timeout": self.connect_timeout_seconds,
            "application_name": APPLICATION_NAME,
        }

    def _connect(self) -> psycopg2.extensions.connection:
        return psycopg2.connect(**self.connect_kwargs())

    def _session(self, conn: psycopg2.extensions.connection, store: ObjectStore) -> WarehouseSession:
        return RedshiftSession(conn, store)

    def check_store(self, store: ObjectStore) -> None:
        if not store.uri("").startswith("s3://"):
            raise ValueError("Redshift COPY reads from S3: use the S3 object store (SMARTHOME_ENV=aws)")

    def display_name(self) -> str:
        who = self.user or (f"IAM@{self.workgroup_name}" if self.workgroup_name else "")
        return f"redshift://{who}@{self.host}:{self.port}/{self.database}"


@dataclass(frozen=True, kw_only=True)
class PostgresWarehouse(Warehouse):
    """A PostgreSQL database standing in for Redshift (locally: `warehouse` on the embedded server)."""

    dialect: ClassVar[str] = "postgres"
    database: PostgresDatabase
    iam_role: str = "default"

    def _connect(self) -> psycopg2.extensions.connection:
        return psycopg2.connect(self.database.url(), application_name=APPLICATION_NAME)

    def _session(self, conn: psycopg2.extensions.connection, store: ObjectStore) -> WarehouseSession:
        return PostgresSession(conn, store)

    def display_name(self) -> str:
        return redact_url(self.database.url())
