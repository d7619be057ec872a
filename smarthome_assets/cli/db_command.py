"""`smarthome db up|down|url|migrate`: the embedded PostgreSQL server under the project's home folder."""

from __future__ import annotations

import argparse

from smarthome_assets.database.migrate import apply_migrations
from smarthome_assets.services import embedded_postgres
from smarthome_assets.settings import load_settings


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "db",
        help="start, stop or locate the embedded PostgreSQL server",
        description="Manage the embedded PostgreSQL server (data under $SMARTHOME_HOME/postgres).",
    )
    parser.add_argument(
        "action",
        choices=("up", "down", "url", "migrate"),
        help="up: start it and leave it "
        "running; down: stop it; url: print its connection URL; migrate: apply migrations",
    )
    parser.add_argument("--database", default="smarthome", help="database name (default: smarthome)")
    return parser


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    pgdata = settings.pgdata
    if args.action == "down":
        stopped = embedded_postgres.stop_server(pgdata)
        print("stopped" if stopped else "not running")
        return 0
    url = embedded_postgres.server_url(pgdata, args.database)
    if args.action == "up":
        apply_migrations(url)
        print(f"running: {url}")
    elif args.action == "migrate":
        applied = apply_migrations(url)
        print("applied: " + ", ".join(applied) if applied else "up to date")
    else:
        print(url)
    return 0
