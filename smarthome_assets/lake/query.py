"""Read-only queries against the lake (`smarthome query`): a sandboxed DuckDB connection, and the named queries.

Read-only is enforced twice: only one SELECT (or EXPLAIN) statement is accepted, and the connection itself can
reach no file outside the lake (`enable_external_access = false` with the lake as the one allowed directory, no
extension installs) with its configuration locked, so neither COPY ... TO, ATTACH, read_csv('/etc/...') nor SET
gets through. A statement running longer than the time limit is interrupted.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb

from smarthome_assets.lake.engine import connect

#: The limits `smarthome query --help` states.
DEFAULT_MAX_ROWS = 10_000
DEFAULT_TIMEOUT_SECONDS = 60.0
MEMORY_LIMIT = "1GB"
THREADS = 2
_ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}
QUERIES_PACKAGE = "smarthome_assets.lake.queries"
_PARAMS = re.compile(r"^--\s*params:\s*(.*)$", re.M)


class LakeQueryError(ValueError):
    """A query the lake refuses or cannot run; the message is one line that names the problem."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple]
    truncated: bool  # more rows than max_rows existed


def sandboxed(root: Path) -> duckdb.DuckDBPyConnection:
    """The lake's views on a connection that can read the lake and nothing else, and change no setting."""
    conn = connect(root)
    allowed = str(root.resolve()).replace("'", "''") + "/"
    conn.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    conn.execute(f"SET threads = {THREADS}")
    conn.execute("SET autoload_known_extensions = false")
    conn.execute(f"SET allowed_directories = ['{allowed}']")
    conn.execute("SET enable_external_access = false")
    conn.execute("SET lock_configuration = true")
    return conn


def _one_line(exc: Exception) -> str:
    """DuckDB's first line (`Parser Error: syntax error at or near "selec"`), without the caret drawing."""
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    return first or type(exc).__name__


def check_read_only(conn: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Exactly one SELECT or EXPLAIN statement, else LakeQueryError saying what was refused."""
    try:
        statements = conn.extract_statements(sql)
    except duckdb.Error as exc:
        raise LakeQueryError(_one_line(exc)) from None
    if len(statements) != 1:
        raise LakeQueryError(f"one statement at a time, not {len(statements)}")
    kind = statements[0].type
    if kind not in _ALLOWED:
        raise LakeQueryError(f"read-only: {kind.name} statements are refused (SELECT and EXPLAIN only)")


def run(
    conn: duckdb.DuckDBPyConnection,
    sql: str,
    params: list[str] | None = None,
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
) -> QueryResult:
    """Run one read-only statement; LakeQueryError (one line) for anything refused or failing."""
    check_read_only(conn, sql)
    timer = threading.Timer(timeout_seconds, conn.interrupt)
    timer.start()
    try:
        cursor = conn.execute(sql, params or None)
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchmany(max_rows + 1)
    except duckdb.InterruptException:
        raise LakeQueryError(f"interrupted after the {timeout_seconds:g} s time limit") from None
    except duckdb.Error as exc:
        raise LakeQueryError(_one_line(exc)) from None
    finally:
        timer.cancel()
    return QueryResult(columns=columns, rows=rows[:max_rows], truncated=len(rows) > max_rows)


@dataclass(frozen=True)
class NamedQuery:
    name: str
    sql: str
    params: tuple[str, ...]  # what each `?` stands for, in order
    description: str


@cache
def named_queries() -> dict[str, NamedQuery]:
    """The shared `.sql` files of `lake/queries/` (the same text runs on Athena as a named query)."""
    found = {}
    for entry in sorted(resources.files(QUERIES_PACKAGE).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        text = entry.read_text()
        match = _PARAMS.search(text)
        params = tuple(p.strip() for p in match.group(1).split(",") if p.strip()) if match else ()
        description = next((ln[2:].strip() for ln in text.splitlines() if ln.startswith("--")), "")
        if text.count("?") != len(params):
            raise ValueError(f"{entry.name}: {text.count('?')} placeholders but params: {', '.join(params)}")
        found[entry.name.removesuffix(".sql")] = NamedQuery(entry.name.removesuffix(".sql"), text, params, description)
    return found


def named(name: str, values: list[str]) -> tuple[str, list[str]]:
    """A named query's SQL and its parameter values (LakeQueryError when the name or the count is wrong)."""
    queries = named_queries()
    if name not in queries:
        raise LakeQueryError(f"no named query {name!r}; there are: {', '.join(queries)}")
    query = queries[name]
    if len(values) != len(query.params):
        raise LakeQueryError(
            f"{name} takes {len(query.params)} value(s) ({', '.join(query.params)}), not {len(values)}"
        )
    return query.sql, values
