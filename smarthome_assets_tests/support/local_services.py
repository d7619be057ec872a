"""Running the project's own services inside a test process, and looking into them."""

from __future__ import annotations

import json

from lambda_api.db import Database
from lambda_api.queries import Statement
from smarthome_assets.monitoring.alerts import ALERTS_PREFIX
from smarthome_assets.storage.object_store import ObjectStore

PREPARED_STATEMENTS = Statement("SELECT name FROM pg_prepared_statements ORDER BY name", {})


def list_alerts(store: ObjectStore, day: str | None = None) -> list[dict]:
    """The recorded failures (of one UTC day, or all), oldest key first."""
    prefix = f"{ALERTS_PREFIX}{day}/" if day else ALERTS_PREFIX
    return [json.loads(store.get_bytes(key)) for key in store.list_keys(prefix) if key.endswith(".json")]


def prepared_statements(db: Database) -> list[str]:
    """The statements the Lambda's open connection holds prepared, as PostgreSQL lists them."""
    return [row[0] for row in db.fetch(PREPARED_STATEMENTS)]


def backend_pid(db: Database) -> int | None:
    """The server process of the Lambda's open connection (to prove it is reused)."""
    conn = db._conn
    return conn.get_backend_pid() if conn is not None and not conn.closed else None
