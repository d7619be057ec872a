"""The dashboard's queries over a plain DB-API connection (the tests' warehouse databases)."""

from __future__ import annotations

from typing import Any

from smarthome_assets.dashboard.queries import Query


def dbapi_query(conn: Any) -> Query:
    """A `Query` over a DB-API 2.0 connection (psycopg2, redshift_connector, ADBC...)."""

    def run(sql: str) -> list[tuple]:
        cur = conn.cursor()
        try:
            cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()]
        finally:
            cur.close()

    return run
