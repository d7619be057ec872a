"""The translation layer: the warehouse's Redshift SQL, carried out on PostgreSQL.

The SQL in warehouse/sql/ is written once, in Redshift's dialect. Locally, CREATE TABLE drops DISTSTYLE,
DISTKEY and ENCODE, turns SORTKEY into a BRIN index and BACKUP NO into UNLOGGED; COPY from S3 reads the
objects from the store into `COPY ... FROM STDIN`. Anything else passes unchanged, unless it uses a
Redshift-only word this layer knows: such a statement is refused rather than run differently
(docs/WAREHOUSE.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass


class UnsupportedSql(ValueError):
    """A statement the local dialect cannot run faithfully."""


_REDSHIFT_ONLY = re.compile(
    r"\b(DISTSTYLE|DISTKEY|SORTKEY|ENCODE|IAM_ROLE|BACKUP\s+NO|UNLOAD|GETDATE|NVL|DATEADD|DATEDIFF|IDENTITY)\b", re.I
)
_CREATE = re.compile(r"^\s*CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?(\w+)\s*\(", re.I)
_COLUMN_ENCODE = re.compile(r"\s+ENCODE\s+\w+", re.I)
_TABLE_ATTRIBUTE = re.compile(
    r"\s*(?:(?P<backup>BACKUP\s+(?P<backup_value>YES|NO))"
    r"|(?P<diststyle>DISTSTYLE\s+(?:ALL|EVEN|KEY|AUTO))"
    r"|(?P<distkey>DISTKEY\s*\(\s*\w+\s*\))"
    r"|(?P<sortkey>(?:COMPOUND\s+|INTERLEAVED\s+)?SORTKEY\s*\((?P<sort_columns>[\w\s,]+)\))"
    r"|(?P<encode>ENCODE\s+AUTO))",
    re.I,
)
_COPY = re.compile(
    r"^\s*COPY\s+(?P<table>\w+)\s*(?:\((?P<columns>[\w\s,]+)\))?\s+FROM\s+'(?P<source>(?:[^']|'')*)'(?P<options>.*)$",
    re.I | re.S,
)
_COPY_OPTION = re.compile(
    r"\s*(?:(?P<iam_role>IAM_ROLE\s+(?:default|'(?:[^']|'')*'))"
    r"|(?P<manifest>MANIFEST)"
    r"|(?P<csv>(?:FORMAT\s+(?:AS\s+)?)?CSV)"
    r"|IGNOREHEADER\s+(?:AS\s+)?(?P<ignore_header>\d+)"
    r"|(?P<timeformat>TIMEFORMAT\s+(?:AS\s+)?'auto')"
    r"|(?P<empty_as_null>EMPTYASNULL))",
    re.I,
)


@dataclass(frozen=True)
class CopyCommand:
    """A Redshift `COPY table (columns) FROM 's3://...'` of CSV, as the local dialect carries it out."""

    table: str
    columns: tuple[str, ...]
    source_uri: str
    manifest: bool  # the source is a COPY manifest listing the files, not a file
    ignore_header: int  # lines skipped at the top of every file

    def postgres_sql(self) -> str:
        """The PostgreSQL statement that receives the files' data lines (headers already removed)."""
        columns = f" ({', '.join(self.columns)})" if self.columns else ""
        return f"COPY {self.table}{columns} FROM STDIN WITH (FORMAT csv)"


def is_copy(sql: str) -> bool:
    return bool(re.match(r"\s*COPY\b", sql, re.I))


def parse_copy(sql: str) -> CopyCommand:
    """Parse the COPY forms the warehouse issues; any other option is refused, not ignored.

    TIMEFORMAT 'auto' needs no counterpart (PostgreSQL reads ISO-8601 timestamps as they come), nor does
    EMPTYASNULL (in PostgreSQL's CSV format an unquoted empty field is NULL). Credentials are Redshift's
    business: the local dialect reads the objects with the object store's own access.
    """
    match = _COPY.match(sql.strip())
    if not match:
        raise UnsupportedSql(f"not a COPY ... FROM '<uri>' statement: {sql[:80]!r}")
    options = match.group("options")
    found: dict[str, str] = {}
    position = 0
    while position < len(options.rstrip()):
        option = _COPY_OPTION.match(options, position)
        if not option or option.end() == position:
            raise UnsupportedSql(f"COPY option not supported by the local dialect: {options[position:].strip()[:40]!r}")
        found.update({k: v for k, v in option.groupdict().items() if v is not None})
        position = option.end()
    if "csv" not in found:
        raise UnsupportedSql("only FORMAT AS CSV is translated for the local dialect")
    columns = tuple(c.strip() for c in match.group("columns").split(",")) if match.group("columns") else ()
    return CopyCommand(
        table=match.group("table"),
        columns=columns,
        source_uri=match.group("source").replace("''", "'"),
        manifest="manifest" in found,
        ignore_header=int(found.get("ignore_header", 0)),
    )


def _closing_paren(sql: str, opening: int) -> int:
    depth = 0
    for index in range(opening, len(sql)):
        if sql[index] == "(":
            depth += 1
        elif sql[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    raise UnsupportedSql("unbalanced parentheses in CREATE TABLE")


def translate_create_table(sql: str) -> list[str]:
    """CREATE TABLE in Redshift -> the PostgreSQL table (and its sort-key index)."""
    match = _CREATE.match(sql)
    assert match is not None
    table = match.group(2)
    close = _closing_paren(sql, match.end() - 1)
    body = _COLUMN_ENCODE.sub("", sql[match.end() : close])
    tail, position, unlogged, sort_columns = sql[close + 1 :], 0, False, None
    while position < len(tail.rstrip()):
        attribute = _TABLE_ATTRIBUTE.match(tail, position)
        if not attribute or attribute.end() == position:
            raise UnsupportedSql(f"table attribute not translated: {tail[position:].strip()[:40]!r}")
        if attribute.group("backup"):
            unlogged = attribute.group("backup_value").upper() == "NO"
        if attribute.group("sortkey"):
            sort_columns = ", ".join(c.strip() for c in attribute.group("sort_columns").split(","))
        position = attribute.end()
    if _REDSHIFT_ONLY.search(body):
        raise UnsupportedSql(f"Redshift-only column attribute in {table}: {_REDSHIFT_ONLY.search(body).group(0)}")
    create = f"CREATE {'UNLOGGED ' if unlogged else ''}TABLE {match.group(1) or ''}{table} ({body})"
    statements = [create]
    if sort_columns:
        statements.append(f"CREATE INDEX IF NOT EXISTS {table}_sortkey ON {table} USING brin ({sort_columns})")
    return statements


def to_postgres(sql: str) -> list[str]:
    """The PostgreSQL statements that carry out one Redshift statement (COPY excepted: see parse_copy)."""
    if is_copy(sql):
        raise UnsupportedSql("COPY is carried out by the session (parse_copy), not translated to text")
    if _CREATE.match(sql):
        return translate_create_table(sql)
    found = _REDSHIFT_ONLY.search(sql)
    if found:
        raise UnsupportedSql(f"Redshift-only SQL the local dialect does not translate: {found.group(0)}")
    return [sql]
