"""The warehouse: one interface, two dialects (plain classes; defs/resources.py makes them resources).

* `RedshiftWarehouse` connects to Amazon Redshift (PostgreSQL wire protocol, port 5439, SSL required) with
  psycopg2 and sends the warehouse's Redshift SQL as written; COPY reads the export files from S3 itself,
  authorised by the cluster's IAM role.
* `PostgresWarehouse` (the local default) runs the same statements on a PostgreSQL database, through the
  translation layer (warehouse/dialect.py); COPY from the object store is carried out by reading the
  objects and streaming them into `COPY ... FROM STDIN`.

A session is one transaction: committed when the `with` block ends normally, rolled back on any error,
and never committed if the process dies, so a load is all or nothing.
"""

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
    """Amazon Redshift: a password, or IAM temporary credentials when `password` is empty."""

    dialect: ClassVar[str] = "redshift"
    host: str
    port: int = 5439
    database: str = "dev"
    user: str
    #: Empty: get temporary credentials through IAM instead.
    password: str = field(default="", repr=False)
    #: For IAM credentials (GetClusterCredentials).
    cluster_identifier: str = ""
    iam_role: str = "default"
    region_name: str = ""
    sslmode: str = "require"
    connect_timeout_seconds: int = 10

    def credentials(self) -> tuple[str, str]:
        """(user, password): as configured, or from Redshift's GetClusterCredentials (IAM, 15 minutes)."""
        if self.password:
            return self.user, self.password
        if not self.cluster_identifier:
            raise ValueError("Redshift needs a password, or a cluster_identifier to get IAM credentials")
        import boto3

        client = boto3.client("redshift", region_name=self.region_name or None)
        answer = client.get_cluster_credentials(
            DbUser=self.user,
            DbName=self.database,
            ClusterIdentifier=self.cluster_identifier,
            DurationSeconds=900,
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
        return f"redshift://{self.user}@{self.host}:{self.port}/{self.database}"


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
