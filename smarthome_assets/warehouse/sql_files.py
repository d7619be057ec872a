"""The warehouse's SQL: named statements read from the Redshift-dialect files in `warehouse/sql/`.

A file is a sequence of blocks, each starting with a `-- name: <name>` line and holding one statement.
Other comment lines are documentation and are dropped, as is the closing `;`, so what a test compares
and what the database receives is the statement alone. The COPY statement is the one piece of SQL built
here rather than read from a file: its source URI and IAM role differ for every load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

SQL_PACKAGE = "smarthome_assets.warehouse.sql"
_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$")


@dataclass(frozen=True)
class Statement:
    name: str
    sql: str


def parse_statements(text: str) -> list[Statement]:
    """Split a `-- name:` file into its statements, in file order."""
    statements: list[Statement] = []
    name: str | None = None
    lines: list[str] = []

    def close() -> None:
        if name is not None:
            body = "\n".join(lines).strip().removesuffix(";").rstrip()
            if not body:
                raise ValueError(f"statement {name!r} is empty")
            statements.append(Statement(name, body))

    for line in text.splitlines():
        match = _NAME.match(line)
        if match:
            close()
            name, lines = match.group(1), []
        elif not line.lstrip().startswith("--") and name is not None:
            lines.append(line.rstrip())
    close()
    names = [s.name for s in statements]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate statement names: {names}")
    return statements


@cache
def statements(file: str) -> tuple[Statement, ...]:
    """Every statement of `warehouse/sql/<file>.sql`, in order."""
    return tuple(parse_statements(resources.files(SQL_PACKAGE).joinpath(f"{file}.sql").read_text()))


def statement(file: str, name: str) -> str:
    """One named statement's SQL."""
    for candidate in statements(file):
        if candidate.name == name:
            return candidate.sql
    raise KeyError(f"no statement {name!r} in {file}.sql")


def quote_literal(value: str) -> str:
    """A SQL string literal (single quotes doubled): for the COPY's URI and role, which take no parameters."""
    return "'" + value.replace("'", "''") + "'"


def copy_statement(table: str, columns: tuple[str, ...], source_uri: str, iam_role: str) -> str:
    """Redshift COPY of CSV files listed in a COPY manifest at `source_uri` into a staging table.

    `iam_role` is an ARN, or `default` for the cluster's default role (an unquoted keyword in Redshift).
    """
    role = "default" if iam_role == "default" else quote_literal(iam_role)
    return (
        f"COPY {table} ({', '.join(columns)})\n"
        f"FROM {quote_literal(source_uri)}\n"
        f"IAM_ROLE {role}\n"
        "MANIFEST\n"
        "FORMAT AS CSV\n"
        "IGNOREHEADER 1\n"
        "TIMEFORMAT 'auto'\n"
        "EMPTYASNULL"
    )


#: The warehouse's schema over the lake's Glue tables (Redshift Spectrum): `lake.energy`, `lake.weather`.
SPECTRUM_SCHEMA = "lake"


def external_schema_statement(glue_database: str, iam_role: str, schema: str = SPECTRUM_SCHEMA) -> str:
    """Redshift Spectrum's external schema over the lake's Glue database, read with `iam_role` (an ARN).

    Built here like COPY: the database and role differ per deployment, and DDL takes no parameters."""
    if not schema.isidentifier():
        raise ValueError(f"not a schema name: {schema!r}")
    return (
        f"CREATE EXTERNAL SCHEMA IF NOT EXISTS {schema}\n"
        f"FROM DATA CATALOG DATABASE {quote_literal(glue_database)}\n"
        f"IAM_ROLE {quote_literal(iam_role)}"
    )
