"""`smarthome`: generate data, run the pipeline, manage the embedded database, serve the API and the UI."""

from __future__ import annotations

import argparse
import sys

from smarthome_assets.cli import (
    api_command,
    backfill_command,
    db_command,
    dev_command,
    generate_command,
    query_command,
    run_command,
    simulate_command,
    status_command,
)
from smarthome_assets.cli.errors import one_line
from smarthome_assets.lib.dagster_warnings import quiet_known_warnings

#: Subcommand modules, each exposing `add_parser(subparsers)` and `run(args)`, in the order `--help` lists them.
COMMANDS = (
    generate_command,
    run_command,
    query_command,
    simulate_command,
    status_command,
    backfill_command,
    db_command,
    api_command,
    dev_command,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smarthome",
        description="Smart-home energy and weather data platform (Dagster). Local by default; "
        "SMARTHOME_ENV=aws selects S3, RDS and Redshift.",
    )
    parser.add_argument(
        "--traceback", action="store_true", help="on an error, show Python's traceback instead of one line"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        command = module.add_parser(sub)
        command.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    quiet_known_warnings()
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # every failure reaches the user as one line (errors.py); --traceback for more
        if args.traceback:
            raise
        print(f"smarthome {args.command}: {one_line(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
