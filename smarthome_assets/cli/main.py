"""`smarthome`: generate data, run the pipeline, manage the embedded database, serve the API and the UI."""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings


def _quiet_known_warnings() -> None:
    """Dagster flags the single-run backfill policy and partitioned checks as beta/preview on every import,
    and platformdirs complains about XDG_RUNTIME_DIR; neither is something a user can act on."""
    import dagster as dg

    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


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
        module = importlib.import_module(f"smarthome_assets.cli.{name}_command")
        command = module.add_parser(sub)
        command.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    _quiet_known_warnings()
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
