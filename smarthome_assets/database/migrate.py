"""Versioned SQL migrations for the operational database.

Each `NNNN_name.sql` file beside `migrations/__init__.py` is applied once, in order, all pending ones in
one transaction (all or nothing), and recorded in `schema_migrations` with its checksum. An advisory lock serialises
concurrent runs (the UI, a run worker and the CLI may start at once). A migration that was changed after
it was applied is refused: migrations are immutable history, add a new one instead.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

import psycopg2

MIGRATIONS_PACKAGE = "smarthome_assets.database.migrations"
_LOCK_ID = 727_001  # arbitrary, fixed: pg_advisory_xact_lock key for migrations


@dataclass(frozen=True)
class Migration:
    version: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


class MigrationError(RuntimeError):
    pass


def available_migrations(package: str = MIGRATIONS_PACKAGE) -> list[Migration]:
    files = sorted(f for f in resources.files(package).iterdir() if f.name.endswith(".sql"))
    return [Migration(f.name.removesuffix(".sql"), f.read_text()) for f in files]


def apply_migrations(url: str, package: str = MIGRATIONS_PACKAGE) -> list[str]:
    """Apply what is missing; return the versions applied now (empty when up to date)."""
    applied_now: list[str] = []
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            cur.execute("SELECT version, checksum FROM schema_migrations")
            done = dict(cur.fetchall())
            for migration in available_migrations(package):
                if migration.version in done:
                    if done[migration.version] != migration.checksum:
                        raise MigrationError(
                            f"migration {migration.version} changed after it was applied; "
                            "add a new migration instead of editing an applied one"
                        )
                    continue
                cur.execute(migration.sql)
                cur.execute(
                    "INSERT INTO schema_migrations (version, checksum) VALUES (%s, %s)",
                    (migration.version, migration.checksum),
                )
                applied_now.append(migration.version)
    finally:
        conn.close()
    return applied_now
