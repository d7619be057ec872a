"""The warehouse SQL files and the translation layer, without a database.

The SQL is written once in Redshift's dialect; these tests pin the exact text the Redshift dialect sends
(DDL with its physical design, the COPY command) and what the PostgreSQL translation turns it into, and
keep the column lists in step with homec/contract.py and the export files.
"""

from __future__ import annotations

import re

import pytest

from smarthome_assets.exports.layout import EXPORT_COLUMNS
from smarthome_assets.homec import contract
from smarthome_assets.warehouse import dialect
from smarthome_assets.warehouse.sql_files import copy_statement, parse_statements, statement, statements

KW = [c.name for c in contract.POWER_COLUMNS]


def _columns_of(create_sql: str) -> list[str]:
    """Column names of a CREATE TABLE, one column per line as the schema file writes them."""
    body = create_sql.split("(", 1)[1].split("\n)", 1)[0]
    names = [line.split()[0] for line in body.splitlines() if line.strip()]
    return [n for n in names if n.upper() != "PRIMARY"]


def test_statement_files_parse_into_named_statements_without_comments():
    parsed = parse_statements("-- about the file\n-- name: a\nSELECT 1;\n\n-- a note\n-- name: b\nSELECT\n  2;\n")
    assert [(s.name, s.sql) for s in parsed] == [("a", "SELECT 1"), ("b", "SELECT\n  2")]
    with pytest.raises(ValueError, match="duplicate"):
        parse_statements("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;\n")
    with pytest.raises(ValueError, match="empty"):
        parse_statements("-- name: a\n-- only a comment\n")
    for file in ("schema", "stage", "merge", "counts"):
        assert all(";" not in s.sql and "--" not in s.sql for s in statements(file)), file


def test_staging_tables_are_the_export_files_columns():
    tables = {s.name.removeprefix("create_"): s.sql for s in statements("schema")}
    assert _columns_of(tables["stg_weather"]) == list(EXPORT_COLUMNS["weather"])
    assert _columns_of(tables["stg_energy"]) == list(EXPORT_COLUMNS["energy"])
    assert _columns_of(tables["stg_home"]) == list(EXPORT_COLUMNS["homes"])


def test_documented_tables_and_columns_exist_as_written_in_docs_warehouse_md():
    """docs/WAREHOUSE.md is what the dashboard codes against: every listed column must be in the DDL."""
    tables = {s.name.removeprefix("create_"): _columns_of(s.sql) for s in statements("schema")}
    expected = {
        "dim_home": ["house_id", "name"],
        "dim_device": ["device_key", "house_id", "device", "name", "kind"],
        "dim_date": ["date_key", "full_date", "year", "month", "day_of_month", "day_of_week", "day_name", "is_weekend"],
        "dim_weather_condition": ["condition_key", "icon", "summary"],
        "fact_energy_minute": ["house_id", "date_key", "timeframe", "condition_key", "temperature", *KW],
        "fact_device_hourly": [
            "house_id",
            "device_key",
            "date_key",
            "hour_start",
            "kwh",
            "avg_kw",
            "max_kw",
            "minutes",
            "condition_key",
            "avg_temperature",
        ],
        "fact_weather_hourly": [
            "house_id",
            "date_key",
            "hour_start",
            "condition_key",
            "temperature",
            "apparent_temperature",
            "humidity",
            "cloud_cover",
            "wind_speed",
            "precip_intensity",
            "minutes",
        ],
    }
    for table, columns in expected.items():
        assert tables[table] == columns, table


def test_the_merge_covers_every_device_of_the_contract_in_file_order():
    devices = statement("merge", "insert_home_devices")
    listed = re.findall(
        r"SELECT (\d+)(?: AS ordinal)?, '(\w+)'(?: AS device)?, '([^']+)'(?: AS name)?, '(\w+)'", devices
    )
    assert [(int(n), d, name, kind) for n, d, name, kind in listed] == [
        (i + 1, c.name, contract.device_display_name(c), c.kind.value) for i, c in enumerate(contract.POWER_COLUMNS)
    ]
    hours = statement("merge", "insert_device_hours")
    assert re.findall(r"WHEN '(\w+)' THEN h\.\w+_sum", hours) == KW
    assert re.findall(r"WHEN '(\w+)' THEN h\.\w+_max", hours) == KW
    sums = re.findall(r"SUM\(CAST\(ROUND\((\w+) \* 1000000000\) AS BIGINT\)\) AS \1_sum, MAX\(\1\) AS \1_max", hours)
    assert sums == KW
    minutes = statement("merge", "insert_energy_minutes")
    assert re.findall(r"e\.(\w+_kw)", minutes) == KW


def test_the_redshift_copy_command_text():
    sql = copy_statement(
        "stg_weather",
        ("house_id", "timeframe"),
        "s3://bucket/p/warehouse/copy/m.json",
        "arn:aws:iam::123456789012:role/redshift-copy",
    )
    assert sql == (
        "COPY stg_weather (house_id, timeframe)\n"
        "FROM 's3://bucket/p/warehouse/copy/m.json'\n"
        "IAM_ROLE 'arn:aws:iam::123456789012:role/redshift-copy'\n"
        "MANIFEST\n"
        "FORMAT AS CSV\n"
        "IGNOREHEADER 1\n"
        "TIMEFORMAT 'auto'\n"
        "EMPTYASNULL"
    )
    assert "IAM_ROLE default\n" in copy_statement("t", ("a",), "s3://b/k", "default")
    assert "FROM 's3://b/it''s'" in copy_statement("t", ("a",), "s3://b/it's", "default")


def test_copy_parses_back_into_what_the_local_dialect_runs():
    sql = copy_statement("stg_energy", ("house_id", "use_kw"), "/var/store/warehouse/copy/m.json", "default")
    command = dialect.parse_copy(sql)
    assert command == dialect.CopyCommand(
        "stg_energy", ("house_id", "use_kw"), "/var/store/warehouse/copy/m.json", manifest=True, ignore_header=1
    )
    assert command.postgres_sql() == "COPY stg_energy (house_id, use_kw) FROM STDIN WITH (FORMAT csv)"
    plain = dialect.parse_copy("COPY t FROM 's3://b/k.csv' IAM_ROLE 'arn:x' CSV")
    assert (plain.manifest, plain.ignore_header, plain.columns) == (False, 0, ())


@pytest.mark.parametrize(
    "option", ["GZIP", "DELIMITER '|'", "TIMEFORMAT 'YYYY-MM-DD'", "FORMAT AS PARQUET", "MAXERROR 10"]
)
def test_copy_options_the_local_dialect_cannot_honour_are_refused(option):
    with pytest.raises(dialect.UnsupportedSql):
        dialect.parse_copy(f"COPY t (a) FROM 's3://b/k' IAM_ROLE default {option} FORMAT AS CSV")


def test_create_table_translation():
    redshift = (
        "CREATE TABLE IF NOT EXISTS f (\n    a INTEGER NOT NULL ENCODE az64,\n    b VARCHAR(8) ENCODE lzo,\n"
        "    PRIMARY KEY (a)\n)\nBACKUP NO\nDISTSTYLE KEY\nDISTKEY (a)\nCOMPOUND SORTKEY (b, a)\nENCODE AUTO"
    )
    assert dialect.to_postgres(redshift) == [
        "CREATE UNLOGGED TABLE IF NOT EXISTS f (\n    a INTEGER NOT NULL,\n    b VARCHAR(8),\n    PRIMARY KEY (a)\n)",
        "CREATE INDEX IF NOT EXISTS f_sortkey ON f USING brin (b, a)",
    ]
    assert dialect.to_postgres("CREATE TABLE d (a INTEGER) DISTSTYLE ALL") == ["CREATE TABLE d (a INTEGER)"]
    with pytest.raises(dialect.UnsupportedSql, match="table attribute"):
        dialect.to_postgres("CREATE TABLE d (a INTEGER) DISTSTYLE ALL PARTITION BY (a)")
    with pytest.raises(dialect.UnsupportedSql, match="IDENTITY"):
        dialect.to_postgres("CREATE TABLE d (a BIGINT IDENTITY(1, 1))")


def test_every_warehouse_statement_translates_and_only_ddl_changes():
    for file in ("schema", "stage", "merge", "counts"):
        for item in statements(file):
            translated = dialect.to_postgres(item.sql)
            if item.sql.startswith("CREATE TABLE"):
                assert not re.search(r"DIST|SORTKEY|BACKUP|ENCODE", " ".join(translated))
            else:
                assert translated == [item.sql], item.name


def test_redshift_only_sql_is_refused_rather_than_run_differently():
    for sql in ("SELECT GETDATE()", "SELECT NVL(a, 0) FROM t", "UNLOAD ('SELECT 1') TO 's3://b/k' IAM_ROLE default"):
        with pytest.raises(dialect.UnsupportedSql):
            dialect.to_postgres(sql)
    with pytest.raises(dialect.UnsupportedSql, match="COPY"):
        dialect.to_postgres("COPY t FROM 's3://b/k' IAM_ROLE default CSV")


# --- Redshift's own dialect (no Redshift runs here: sqlglot's parser stands in for its front end) -----------

#: Statements the warehouse code sends besides the .sql files (warehouse/resource.py).
INLINE_REDSHIFT_SQL = ("SELECT pg_last_copy_count()", "SET timezone TO 'UTC'")


def _with_literals(sql: str) -> str:
    """psycopg2 placeholders (`%(first_day)s`) as the literals the driver sends in their place."""
    return re.sub(r"%\((\w+)\)s", "'2016-01-01'", sql)


def test_every_warehouse_statement_parses_as_redshift_sql():
    """Every statement of warehouse/sql/*.sql, each COPY the load builds and the inline SQL parse with sqlglot's
    Redshift dialect. sqlglot has no LOCK statement: LOCK is checked by shape and its tables against the schema."""
    import sqlglot
    from sqlglot import exp

    created = (re.match(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", item.sql) for item in statements("schema"))
    tables = {match.group(1) for match in created if match}
    checked = 0
    for file in ("schema", "stage", "merge", "counts"):
        for item in statements(file):
            if item.sql.startswith("LOCK "):
                locked = re.fullmatch(r"LOCK (\w+(?:, \w+)*)", item.sql)
                assert locked, item.sql
                assert set(locked.group(1).split(", ")) <= tables, item.name
                continue
            tree = sqlglot.parse_one(_with_literals(item.sql), read="redshift")
            assert not isinstance(tree, exp.Command), f"{item.name} parsed only as an opaque command"
            checked += 1
    copies = [
        copy_statement("stg_weather", EXPORT_COLUMNS["weather"], "s3://b/p/exports/m.json", role)
        for role in ("arn:aws:iam::123456789012:role/copy", "default")
    ]
    for sql in [*copies, *INLINE_REDSHIFT_SQL]:
        sqlglot.parse_one(sql, read="redshift")
        checked += 1
    assert checked >= 30


def test_sqlglot_would_catch_broken_redshift_sql():
    import sqlglot
    from sqlglot.errors import ParseError

    broken = statement("merge", "insert_energy_minutes").replace("SELECT", "SELEC", 1)
    with pytest.raises(ParseError):
        sqlglot.parse_one(_with_literals(broken), read="redshift", error_level=sqlglot.ErrorLevel.RAISE)


def _physical_design(sql: str) -> dict[str, object]:
    """DISTSTYLE, DISTKEY and SORTKEY of a CREATE TABLE, read from sqlglot's Redshift parse tree."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="redshift")
    design: dict[str, object] = {}
    for prop in tree.find(exp.Properties).expressions:
        if isinstance(prop, exp.DistStyleProperty):
            design["diststyle"] = prop.this.name.upper()
        elif isinstance(prop, exp.DistKeyProperty):
            design["distkey"] = prop.this.name
        elif isinstance(prop, exp.SortKeyProperty):
            design["sortkey"] = tuple(column.name for column in prop.this)
            design["compound"] = bool(prop.args.get("compound"))
    return design


def test_the_facts_are_distributed_by_home_and_sorted_by_day_for_redshift():
    """Issue 19: at thousands of homes the facts are spread over Redshift's slices by home (a home's minutes,
    hours and weather on one slice, so the merge and a home's charts join locally) and sorted by day then home
    (a day's reload deletes a contiguous block; a chart of days reads sorted blocks). Dimensions are copied to
    every slice. Read from the Redshift parse tree of warehouse/sql/schema.sql, not from its text."""
    designs = {
        item.name.removeprefix("create_"): _physical_design(item.sql)
        for item in statements("schema")
        if item.name.startswith("create_")
    }
    facts = [name for name in designs if name.startswith("fact_")]
    assert sorted(facts) == ["fact_device_hourly", "fact_energy_minute", "fact_weather_hourly"]
    for name in facts:
        assert designs[name] == {
            "diststyle": "KEY",
            "distkey": "house_id",
            "sortkey": ("date_key", "house_id"),
            "compound": True,
        }, name
    for name in (n for n in designs if n.startswith("dim_")):
        assert designs[name]["diststyle"] == "ALL" and designs[name].get("sortkey"), name
    for name in ("stg_weather", "stg_energy"):  # co-located with the facts they are merged into
        assert designs[name]["distkey"] == "house_id", name
