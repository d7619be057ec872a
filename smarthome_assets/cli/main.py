"""`smarthome`: generate data, run the pipeline, manage the embedded database, serve the API and the UI."""

from __future__ import annotations

import argparse
import importlib
import sys

#: Subcommand modules under smarthome_assets.cli, each exposing `add_parser(subparsers)` and `run(args)`.
COMMANDS = ("generate", "run", "db", "api", "dev")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smarthome",
        description="Smart-home energy and weather data platform (Dagster). Local by default; "
        "SMARTHOME_ENV=aws selects S3, RDS and Redshift.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"smarthome_assets.cli.{name}_command")
        except ModuleNotFoundError as exc:
            if exc.name != f"smarthome_assets.cli.{name}_command":
                raise
            continue  # a command still being built in this checkout
        command = module.add_parser(sub)
        command.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
