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
        """Of the statements only: `--` comment lines are documentation, and fixing them is not a change."""
        statements = "\n".join(line for line in self.sql.splitlines() if not line.lstrip().startswith("--"))
        return hashlib.sha256(statements.encode()).hexdigest()


#: Checksums recorded before comments were left out of them (the whole file's sha256), still accepted.
_WHOLE_FILE_CHECKSUMS = {
    "0001_operational_schema": "979e93ad8d4bc6feb3115dae982ab68c899f13308eb77cdd918e3198f9b09211",
    "0002_api_reader_role": "a453b266788fcbf575a388b76256a367500a7db595156ec40c97085904c011aa",
}


#: Migrations first written under another number (issue 19's branch numbered them before 0005_day_versions
#: existed): a database that recorded the earlier name has applied them.
_EARLIER_NAMES = {"0006_monthly_partitions": "0005_monthly_partitions", "0007_home_row_counts": "0006_home_row_counts"}


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
                    accepted = (migration.checksum, _WHOLE_FILE_CHECKSUMS.get(migration.version))
                    if done[migration.version] not in accepted:
                        raise MigrationError(
                            f"migration {migration.version} changed after it was applied; "
                            "add a new migration instead of editing an applied one"
                        )
                    continue
                if _EARLIER_NAMES.get(migration.version) in done:
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
