"""One-off set-up of RDS for the platform, run as the master user by the `<name>-bootstrap` ECS task.

It creates (again safely) the logins `smarthome_app` and `smarthome_api_reader` with the passwords Terraform
put in their secrets, and the `smarthome` and `dagster` databases owned by `smarthome_app`. Passwords go as
SCRAM-SHA-256 verifiers, never as text (RDS logs DDL); the master password reaches libpq as PGPASSWORD.
docs/DEPLOY.md has the why.

    python -m smarthome_assets.database.aws_bootstrap --host H --admin-user U --app-secret ARN --reader-secret ARN"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os

import psycopg2
from psycopg2 import sql

APP_ROLE = "smarthome_app"
READER_ROLE = "smarthome_api_reader"
DAGSTER_DATABASE = "dagster"
SCRAM_ITERATIONS = 4096


def scram_verifier(password: str, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS) -> str:
    """PostgreSQL's stored form of a SCRAM-SHA-256 password (RFC 5802/7677), as `CREATE ROLE ... PASSWORD` takes it."""
    salt = salt if salt is not None else os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def secret_password(secret_id: str) -> str:
    """The `password` of a Secrets Manager secret in the RDS layout."""
    import boto3

    return json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])["password"]


def _ensure_login(cur, role: str, password: str) -> None:
    cur.execute("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = %s", (role,))
    # Attributes only on creation: naming SUPERUSER/NOSUPERUSER in an ALTER needs a true superuser (not on RDS).
    exists = cur.fetchone() is not None
    attributes = "LOGIN" if exists else "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
    statement = sql.SQL(("ALTER" if exists else "CREATE") + " ROLE {} " + attributes + " PASSWORD %s")
    cur.execute(statement.format(sql.Identifier(role)), (scram_verifier(password),))


def bootstrap(admin_dsn: str, database: str, app_password: str, reader_password: str) -> list[str]:
    """Create or update the logins and databases (see the module docstring); returns what it did, for the log."""
    done = []
    conn = psycopg2.connect(admin_dsn, application_name="smarthome-bootstrap")
    conn.autocommit = True  # CREATE DATABASE cannot run in a transaction
    try:
        with conn.cursor() as cur:
            _ensure_login(cur, APP_ROLE, app_password)
            _ensure_login(cur, READER_ROLE, reader_password)
            done += [f"logins {APP_ROLE}, {READER_ROLE}: passwords set"]
            cur.execute(
                sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(sql.Identifier(READER_ROLE))
            )
            # The master user must be a member to hand databases over (RDS has no true superuser).
            cur.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(sql.Identifier(APP_ROLE)))
            cur.execute(
                sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(database), sql.Identifier(APP_ROLE))
            )
            done.append(f"database {database}: owned by {APP_ROLE}")
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DAGSTER_DATABASE,))
            if not cur.fetchone():
                cur.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(DAGSTER_DATABASE), sql.Identifier(APP_ROLE)
                    )
                )
                done.append(f"database {DAGSTER_DATABASE}: created, owned by {APP_ROLE}")
    finally:
        conn.close()
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, default=5432)
    parser.add_argument("--admin-user", required=True)
    parser.add_argument("--database", default="smarthome")
    parser.add_argument("--sslmode", default="require")
    parser.add_argument("--app-secret", required=True, help="ARN of the smarthome_app secret")
    parser.add_argument("--reader-secret", required=True, help="ARN of the smarthome_api_reader secret")
    args = parser.parse_args(argv)
    # No password in the DSN: libpq takes PGPASSWORD from the task's secrets.
    dsn = psycopg2.extensions.make_dsn(
        host=args.host, port=args.port, user=args.admin_user, dbname=args.database, sslmode=args.sslmode
    )
    for line in bootstrap(dsn, args.database, secret_password(args.app_secret), secret_password(args.reader_secret)):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
