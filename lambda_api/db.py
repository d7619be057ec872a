"""The database connection of one execution environment: opened lazily, reused, re-opened after a failure.

One connection per environment, kept across warm invocations (opening one costs more than a one-day query);
a dropped connection is replaced and the read retried once, anything else becomes `DatabaseUnavailable`
(503). Sessions are read-only with a statement timeout, and pages run as server-side prepared statements
(docs/DESIGN_NOTES.md has the why and the measurements)."""

from __future__ import annotations

import logging
from typing import Any

import psycopg2
import psycopg2.errors
import psycopg2.extensions

from lambda_api import queries
from lambda_api.config import ApiConfig
from lambda_api.queries import Statement

logger = logging.getLogger(__name__)

#: Prepared statements kept per connection.
MAX_PREPARED = 64


class DatabaseUnavailable(RuntimeError):
    """The database cannot answer now (down, unreachable, too slow). The message is for logs only."""


class InvalidValue(ValueError):
    """PostgreSQL refused a parameter value (SQLSTATE class 22), e.g. an unknown time zone name."""

    def __init__(self, sqlstate: str):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _session_setup(config: ApiConfig) -> str:
    # A literal int, not a parameter: SET does not take bind parameters. Validated as int by ApiConfig.
    return (
        f"SET statement_timeout = {int(config.statement_timeout_ms)}; "
        "SET default_transaction_read_only = on; SET TimeZone = 'UTC'"
    )


def _secret_connect_kwargs(provider: Any, secret_arn: str, refresh: bool) -> dict[str, Any]:
    """Connection settings from a Secrets Manager secret in the RDS layout, through Powertools' parameters
    utility: cached for POWERTOOLS_PARAMETERS_MAX_AGE seconds (5 by default; the deployment sets 300), so warm
    invocations and reconnects do not call Secrets Manager, and `refresh` skips the cache after a failed login
    (a rotated password)."""
    values = provider.get(secret_arn, transform="json", force_fetch=refresh)
    return {
        "host": values["host"],
        "port": int(values.get("port", 5432)),
        "dbname": values.get("dbname") or values.get("database") or "smarthome",
        "user": values["username"],
        "password": values["password"],
        "sslmode": values.get("sslmode", "require"),
    }


class Database:
    """One connection, owned by one execution environment (not shared between threads)."""

    def __init__(self, config: ApiConfig):
        self._config = config
        self._conn: psycopg2.extensions.connection | None = None
        self._secrets: Any = None  # Powertools' SecretsProvider, made on first use (boto3 is in the runtime)
        self._refresh_secret = False
        #: SQL text -> its prepared form on the open connection (None: PostgreSQL refused to prepare it).
        self._prepared: dict[str, queries.Prepared | None] = {}

    def _connect_kwargs(self) -> dict[str, Any]:
        common = {"connect_timeout": self._config.connect_timeout_s, "application_name": self._config.application_name}
        if self._config.database_url:
            return {"dsn": self._config.database_url, **common}
        if self._config.database_secret_arn:
            try:
                if self._secrets is None:
                    from aws_lambda_powertools.utilities.parameters import SecretsProvider

                    self._secrets = SecretsProvider()
                kwargs = _secret_connect_kwargs(self._secrets, self._config.database_secret_arn, self._refresh_secret)
            except Exception as exc:  # boto3/botocore errors, a malformed secret: no credentials now
                raise DatabaseUnavailable(f"cannot read the database secret: {exc!r}") from exc
            self._refresh_secret = False
            return {**kwargs, **common}
        raise DatabaseUnavailable("no database configured (SMARTHOME_API_DATABASE_URL or _DB_SECRET_ARN)")

    def _open(self) -> psycopg2.extensions.connection:
        kwargs = self._connect_kwargs()
        try:
            conn = psycopg2.connect(**kwargs)
        except psycopg2.OperationalError as exc:
            self._refresh_secret = True  # a rotated password: read the secret again next time
            raise DatabaseUnavailable(f"connect failed: {exc}") from exc
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(_session_setup(self._config))
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
            conn.close()
            raise DatabaseUnavailable(f"session setup failed: {exc}") from exc
        return conn

    def fetch(self, statement: Statement) -> list[tuple[Any, ...]]:
        """Run one read; retry once on a fresh connection when a reused one turns out dead."""
        reused = self._conn is not None
        try:
            return self._run(statement)
        except DatabaseUnavailable:
            if not reused or self._conn is not None:
                raise
            logger.warning("database connection lost; reconnecting once")
            return self._run(statement)

    def _prepare(self, cur: Any, sql: str) -> queries.Prepared | None:
        """The prepared form of `sql` on this connection, preparing it on first use (None: run it plainly)."""
        if sql in self._prepared:
            return self._prepared[sql]
        if len(self._prepared) >= MAX_PREPARED:
            return None
        form: queries.Prepared | None = queries.prepared(sql, f"api_{len(self._prepared)}")
        try:
            cur.execute(form.prepare)
        except psycopg2.ProgrammingError:  # e.g. a parameter whose type PostgreSQL cannot infer
            form = None
        self._prepared[sql] = form
        return form

    def _run(self, statement: Statement) -> list[tuple[Any, ...]]:
        if self._conn is None:
            self._conn = self._open()
            self._prepared = {}
        try:
            with self._conn.cursor() as cur:
                form = self._prepare(cur, statement.sql)
                if form is None:
                    cur.execute(statement.sql, statement.params)
                else:
                    cur.execute(form.execute, form.values(statement))
                return cur.fetchall()
        except psycopg2.errors.QueryCanceled as exc:
            raise DatabaseUnavailable(f"statement timeout: {exc}") from exc
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
            self.close()
            raise DatabaseUnavailable(f"connection failed: {exc}") from exc
        except psycopg2.DataError as exc:
            raise InvalidValue(exc.pgcode or "22000") from exc

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
