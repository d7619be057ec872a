"""`smarthome query "SQL"`: one read-only query against the lake (DuckDB over the Parquet files), as a table or CSV."""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from datetime import date, datetime

from smarthome_assets.cli.errors import CommandError
from smarthome_assets.lake import layout, query
from smarthome_assets.lake.engine import Lake
from smarthome_assets.settings import load_settings
from smarthome_assets.storage.object_store import LocalObjectStore

_LIMITS = (
    f"Limits: one statement, SELECT (WITH, VALUES, DESCRIBE, SUMMARIZE) or EXPLAIN only; the tables are the views "
    f"`energy` and `weather` (partition column `date`, a UTC day) and no file outside the lake can be read or "
    f"written; at most --max-rows rows are printed (default {query.DEFAULT_MAX_ROWS:,}; a note says when more "
    f"exist); a query is stopped after --timeout seconds (default {query.DEFAULT_TIMEOUT_SECONDS:g}); DuckDB runs "
    f"on {query.THREADS} threads with {query.MEMORY_LIMIT} of memory. Local lake only: on AWS query it with Athena "
    "(docs/DEPLOY.md)."
)


def add_parser(sub) -> argparse.ArgumentParser:
    names = ", ".join(query.named_queries())
    parser = sub.add_parser(
        "query",
        help="a read-only SQL query against the lake (DuckDB over the Parquet files)",
        description='Run one read-only query against the lake, e.g. smarthome query "select date, sum(use_kw) '
        'from energy group by 1 order by 1". ' + _LIMITS,
        epilog=f"Named queries (the same .sql files run on Athena): {names}. "
        "Example: smarthome query --named day_energy_per_device 2016-03-01",
    )
    parser.add_argument("sql", nargs="?", help="the SQL (DuckDB dialect); omit with --named")
    parser.add_argument(
        "--named", nargs="+", metavar=("NAME", "VALUE"), help="run a named query with its values (see below)"
    )
    parser.add_argument("--csv", action="store_true", help="print CSV (header first) instead of a table")
    parser.add_argument("--max-rows", type=int, default=query.DEFAULT_MAX_ROWS, help="rows printed at most")
    parser.add_argument("--timeout", type=float, default=query.DEFAULT_TIMEOUT_SECONDS, help="seconds at most")
    parser.add_argument(
        "--files", action="store_true", help="also print, on stderr, how many lake files the query read"
    )
    return parser


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def render_table(result: query.QueryResult) -> str:
    cells = [[_text(v) for v in row] for row in result.rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(result.columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(result.columns, widths, strict=True))
    lines = [line, "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def files_read(conn, sql: str, params: list[str]) -> str:
    """`read N of M lake files` from EXPLAIN ANALYZE of the same statement (every table scan added up)."""
    plan = query.run(conn, f"EXPLAIN ANALYZE {sql}", params).rows
    text = "\n".join(str(r[-1]) for r in plan)
    scans = [(int(a), int(b)) for a, b in re.findall(r"Scanning Files:\s*(\d+)\s*/\s*(\d+)", text)]
    total = sum(int(n) for n in re.findall(r"Total Files Read:\s*(\d+)", text))
    listed = sum(b for _, b in scans)
    return f"read {total} lake file(s)" + (f" of {listed} (pruned by date)" if scans else " (no date filter)")


def run(args: argparse.Namespace) -> int:
    if bool(args.sql) == bool(args.named):
        raise CommandError('give either the SQL (smarthome query "select ...") or --named NAME [VALUE ...]')
    if args.max_rows < 1 or args.timeout <= 0:
        raise CommandError("--max-rows and --timeout must be positive")
    settings = load_settings()
    if settings.env != "local":
        raise CommandError("smarthome query reads the local lake; on AWS query it with Athena (docs/DEPLOY.md)")
    lake = Lake(store=LocalObjectStore(root=str(settings.object_store_root)))
    sql, params = query.named(args.named[0], args.named[1:]) if args.named else (args.sql, [])
    root = lake.root()
    if not any((root / t).exists() for t in layout.TABLES):
        print(f"smarthome query: the lake is empty ({root}): run `make run` first", file=sys.stderr)
    conn = query.sandboxed(root)
    result = query.run(conn, sql, params, max_rows=args.max_rows, timeout_seconds=args.timeout)
    try:
        _print(result, args)
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (Python flushes stdout at exit)
        return 0
    if args.files:
        print(files_read(conn, sql, params), file=sys.stderr)
    return 0


def _print(result: query.QueryResult, args: argparse.Namespace) -> None:
    if args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([_text(v) for v in row] for row in result.rows)
    else:
        print(render_table(result))
    sys.stdout.flush()
    if result.truncated:
        print(f"(only the first {args.max_rows:,} rows are shown: --max-rows)", file=sys.stderr)
