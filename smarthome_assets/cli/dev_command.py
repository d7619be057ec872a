"""`smarthome dev`: the Dagster UI (webserver and daemon) on the embedded services."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from smarthome_assets.cli.errors import ensure_port_free
from smarthome_assets.database.migrate import apply_migrations
from smarthome_assets.services import embedded_postgres
from smarthome_assets.services.dagster_instance import (
    DAGSTER_PROCESS_ENV,
    embedded_storage_url,
    ensure_dagster_home,
)
from smarthome_assets.settings import load_settings, project_root


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "dev",
        help="open the Dagster UI (webserver + daemon) on the embedded services",
        description="Start the embedded PostgreSQL server, then `dagster dev` with this project's workspace; "
        "the schedules run while it is up.",
    )
    parser.add_argument("--port", type=int, default=3000, help="UI port (default 3000)")
    parser.add_argument("--host", default="127.0.0.1", help="UI host (default 127.0.0.1)")
    return parser


def run(args: argparse.Namespace) -> int:
    ensure_port_free(args.host, args.port)
    settings = load_settings()
    if settings.env == "local":
        apply_migrations(embedded_postgres.server_url(settings.pgdata, "smarthome"))
    storage = embedded_storage_url(settings.pgdata) if settings.env == "local" else None
    home = ensure_dagster_home(settings.dagster_home, storage)
    env = {**DAGSTER_PROCESS_ENV, **os.environ, "DAGSTER_HOME": str(home), "SMARTHOME_HOME": str(settings.home)}
    command = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-w",
        str(project_root() / "workspace.yaml"),
        "-h",
        args.host,
        "-p",
        str(args.port),
    ]
    print(f"Dagster UI on http://{args.host}:{args.port} (Ctrl-C stops it)", flush=True)
    return subprocess.call(command, env=env, cwd=project_root())
