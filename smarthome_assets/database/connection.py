"""PostgreSQL connections: RDS (or any server) by URL, or the embedded local server.

Assets ask for a `PostgresDatabase` and get either kind; both hand out psycopg2 connections (DDL, queries,
checks, and the loader's binary COPY).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2

from smarthome_assets.services import embedded_postgres


class PostgresDatabase(ABC):
    @abstractmethod
    def url(self) -> str:
        """A libpq connection URL (it may hold a password: never log it)."""

    @contextmanager
    def connect(self) -> Iterator[psycopg2.extensions.connection]:
        """A psycopg2 connection in a transaction: committed on success, rolled back on error."""
        conn = psycopg2.connect(self.url())
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    def display_name(self) -> str:
        """Where the database is, for logs and summaries, without credentials."""
        return redact_url(self.url())


@dataclass(frozen=True)
class PostgresUrl(PostgresDatabase):
    """Any PostgreSQL server by URL, e.g. RDS: `postgresql://user:pw@host:5432/smarthome`.

    `sslmode` is added to the URL unless the URL sets it itself (RDS: `require`, or `verify-full` with
    `sslrootcert` pointing at the RDS CA bundle).
    """

    database_url: str = field(repr=False)
    sslmode: str | None = None

    def url(self) -> str:
        if not self.sslmode or "sslmode=" in self.database_url:
            return self.database_url
        return f"{self.database_url}{'&' if '?' in self.database_url else '?'}sslmode={self.sslmode}"


@dataclass(frozen=True)
class EmbeddedPostgres(PostgresDatabase):
    """The embedded server's `database` (created on first use), the server started if it is not running."""

    pgdata: str
    database: str = "smarthome"

    def url(self) -> str:
        return embedded_postgres.server_url(Path(self.pgdata), self.database)


def redact_url(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)
