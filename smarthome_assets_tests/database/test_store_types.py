"""One contract decides each column's type and width in every store: PostgreSQL and the warehouse agree.

A `summary` of 67 characters used to load into PostgreSQL (`text`) and then fail every later warehouse
load (`VARCHAR(64)`). Now homec/contract.py gives each column its type and, for text, its width in bytes;
these tests read the warehouse DDL as written and the PostgreSQL schema as migrated, and hold both to it.
"""

from __future__ import annotations

import re
from importlib import resources

import psycopg2
import pytest

from smarthome_assets.database.migrate import apply_migrations
from smarthome_assets.homec import contract

#: Warehouse tables whose columns carry HomeC values, and the contract columns each holds.
WAREHOUSE_TABLES = ("stg_weather", "stg_energy", "fact_energy_minute", "dim_weather_condition")


def warehouse_columns() -> dict[str, dict[str, str]]:
    """table -> column -> type, as schema.sql declares them (one column per line, as the file writes them)."""
    text = resources.files("smarthome_assets.warehouse.sql").joinpath("schema.sql").read_text()
    tables: dict[str, dict[str, str]] = {}
    for name, body in re.findall(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\)", text, flags=re.S):
        columns = {}
        for line in body.splitlines():
            match = re.match(r"\s*(\w+)\s+([A-Z]+(?: PRECISION)?(?:\(\d+\))?)", line)
            if match and match.group(1) != "PRIMARY":
                columns[match.group(1)] = match.group(2)
        tables[name] = columns
    return tables


def test_the_warehouse_ddl_agrees_with_the_contract():
    tables = warehouse_columns()
    staged = set()
    for table in WAREHOUSE_TABLES:
        for column, declared in tables[table].items():
            if column in contract.BY_NAME:
                assert declared == contract.BY_NAME[column].sql_type("redshift"), (table, column)
                staged.update([column] if table.startswith("stg_") else [])
    assert staged == set(contract.BY_NAME)  # every source column reaches the warehouse through staging


def test_the_warehouse_takes_every_device_the_contract_names():
    tables = warehouse_columns()["dim_device"]
    widths = {c: int(re.search(r"\((\d+)\)", t).group(1)) for c, t in tables.items() if t.startswith("VARCHAR")}
    assert max(len(c.name.encode()) for c in contract.POWER_COLUMNS) <= widths["device"]
    assert max(len(contract.device_display_name(c).encode()) for c in contract.POWER_COLUMNS) <= widths["name"]
    assert max(len(c.kind.value.encode()) for c in contract.POWER_COLUMNS) <= widths["kind"]


def test_postgres_agrees_with_the_contract(fresh_database):
    url, _ = fresh_database
    apply_migrations(url)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_name IN ('weather', 'energy_consuming_device')"
        )
        types = {(t, c): d for t, c, d in cur.fetchall()}
        cur.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'weather'::regclass AND contype = 'c'"
        )
        checks = [r[0] for r in cur.fetchall()]
    for column in contract.COLUMNS:
        table = "energy_consuming_device" if column.is_power else "weather"
        assert types[(table, column.name)] == column.sql_type("postgres"), column.name
        if column.max_bytes is not None:
            expected = f"CHECK ((octet_length({column.name}) <= {column.max_bytes}))"
            assert any(c.removesuffix(" NOT VALID") == expected for c in checks), column.name


@pytest.mark.parametrize(("summary", "accepted"), [("x" * 64, True), ("x" * 65, False), ("é" * 33, False)])
def test_postgres_refuses_what_the_warehouse_would_refuse(fresh_database, summary, accepted):
    url, _ = fresh_database
    apply_migrations(url)
    numbers = ", ".join(["0"] * len(contract.WEATHER_NUMBER_COLUMNS))
    insert = (
        "INSERT INTO weather (house_id, timeframe, time_raw, icon, summary, "
        + ", ".join(c.name for c in contract.WEATHER_NUMBER_COLUMNS)
        + f") VALUES (1, now(), 1, 'clear-day', %s, {numbers})"
    )
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT ensure_month_partitions(current_date, current_date)")
        if accepted:
            cur.execute(insert, (summary,))
        else:
            with pytest.raises(psycopg2.errors.CheckViolation, match="weather_summary_max_bytes"):
                cur.execute(insert, (summary,))
