"""`smarthome api [--port N] [--host 127.0.0.1]`: the Lambda API on localhost, on the embedded PostgreSQL.

Starts (or reuses) the embedded server, applies the migrations (which create the read-only role), points
the Lambda handler at the database as that role and serves HTTP until Ctrl-C.

The rest of the handler's configuration comes from the Lambda's own variables, read by
`lambda_api.config.load_config` (the one reader of them): `SMARTHOME_API_KEY` above all. The key is never
an argument: a command line is visible to every user of the machine (`ps`, /proc/<pid>/cmdline).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from smarthome_assets.cli.errors import ensure_port_free
from smarthome_assets.dashboard import layout as dashboard_layout
from smarthome_assets.database.migrate import apply_migrations
from smarthome_assets.local_api.events import PAYLOAD_VERSIONS
from smarthome_assets.local_api.lambda_handler import configure, load_config
from smarthome_assets.local_api.server import LocalApiServer
from smarthome_assets.services import embedded_postgres
from smarthome_assets.settings import load_settings

READER_ROLE = "smarthome_api_reader"


class _KeyOnCommandLine(argparse.Action):
    """`--api-key` used to exist: say where the key goes now instead of "unrecognized arguments"."""

    def __call__(self, parser, namespace, values, option_string=None):
        parser.error(
            "--api-key is not accepted: the command line is visible to every user (ps). "
            "Put the key in the environment: SMARTHOME_API_KEY=... smarthome api"
        )


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "api",
        help="serve the API Lambda locally over HTTP",
        description="Serve the API over HTTP: each request becomes an API Gateway event for the real Lambda "
        "handler, which reads the embedded PostgreSQL as the read-only role.",
    )
    parser.add_argument("--port", type=int, default=8080, help="TCP port (default 8080; 0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--database", default="smarthome", help="database name (default: smarthome)")
    parser.add_argument(
        "--payload-version",
        choices=PAYLOAD_VERSIONS,
        default="2.0",
        help="API Gateway event format: 2.0 (HTTP API, default) or 1.0 (REST API)",
    )
    parser.add_argument("--api-key", action=_KeyOnCommandLine, help=argparse.SUPPRESS)
    parser.add_argument(
        "--cors-origin", action="append", default=[], help="allow this browser origin (repeatable; * for any)"
    )
    parser.add_argument("--access-log", action="store_true", help="log every request to stderr")
    return parser


def curl_examples(url: str, keyed: bool = False) -> list[str]:
    """What the README shows; printed with the real URL so they can be pasted as they are (with a key
    configured, taking it from the same environment variable, so it is not printed either)."""
    key = ' -H "x-api-key: $SMARTHOME_API_KEY"' if keyed else ""
    return [
        f"curl -s '{url}/health'",
        f"curl -s{key} '{url}/homes'",
        f"curl -s{key} '{url}/energy?start=2016-01-01&end=2016-01-02&device=furnace_1_kw&limit=5'",
        f"curl -s{key} '{url}/weather?start=2016-01-01T00:00:00-05:00&limit=3'",
        f"curl -s{key} '{url}/energy/summary?start=2016-01-01&end=2016-01-08&interval=day&agg=kwh&tz=America/New_York'",
        f"curl -s{key} -H 'Accept: text/csv' '{url}/energy?start=2016-01-01&limit=10'",
    ]


def run(args: argparse.Namespace) -> int:
    ensure_port_free(args.host, args.port)
    settings = load_settings()
    url = embedded_postgres.server_url(settings.pgdata, args.database)
    apply_migrations(url)
    reader_url = embedded_postgres.socket_url(embedded_postgres.socket_dir(settings.pgdata), args.database, READER_ROLE)
    lambda_config = load_config()  # SMARTHOME_API_KEY, _CORS_ORIGINS, _BASE_URL, timeouts: as the Lambda reads them
    config = dataclasses.replace(
        lambda_config,
        database_url=reader_url,
        database_secret_arn=None,
        cors_origins=(*lambda_config.cors_origins, *args.cors_origin),
        application_name="smarthome-api-local",
    )
    configure(config)
    pages = dashboard_layout.static_pages(settings.dashboard_dir)  # /dashboard: what the `dashboard` asset renders
    # Worker threads mostly wait on PostgreSQL and the sockets; a shorter GIL switch interval lets a thread
    # whose query just finished go on sooner (a shorter tail with concurrent clients).
    sys.setswitchinterval(0.001)
    server = LocalApiServer(
        (args.host, args.port), payload_version=args.payload_version, static_pages=pages, access_log=args.access_log
    )
    key = "x-api-key required (SMARTHOME_API_KEY)" if config.api_key else "no API key (set SMARTHOME_API_KEY)"
    print(f"smarthome API (Lambda handler, API Gateway payload {args.payload_version}) on {server.url}", flush=True)
    print(f"database: {args.database} as {READER_ROLE}; {key}; OpenAPI: {server.url}/openapi.json", flush=True)
    for example in curl_examples(server.url, keyed=bool(config.api_key)):
        print(f"  {example}", flush=True)
    for path, file in pages.items():
        print(f"dashboard: {server.url}{path}" + ("" if file.is_file() else f" (not rendered yet: {file})"), flush=True)
    print("Ctrl-C stops", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        server.server_close()
    return 0
