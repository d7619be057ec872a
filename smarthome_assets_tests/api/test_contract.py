"""lambda_api keeps its own allow-list (the zip cannot import smarthome_assets): it must equal the contract
and the migrated tables, and only name plain identifiers."""

from __future__ import annotations

import psycopg2
import pytest

from lambda_api import columns
from lambda_api.params import Cursor, parse_instant, wants_csv
from smarthome_assets.homec import contract
from smarthome_assets_tests.support.api_database import create_api_database, drop_api_database


def test_device_allow_list_is_the_contracts_power_columns():
    assert tuple(c.name for c in contract.POWER_COLUMNS) == columns.DEVICE_COLUMNS


def test_weather_allow_list_is_the_contracts_weather_columns():
    assert tuple(c.name for c in contract.WEATHER_COLUMNS) == columns.WEATHER_COLUMNS
    assert {c.name for c in contract.WEATHER_TEXT_COLUMNS} == columns.WEATHER_TEXT_COLUMNS


def test_identifiers_that_need_quoting_are_refused():
    bad = columns.Table("weather; drop table home", (columns.Column("x", "number"),))
    original = columns.SERVED_TABLES
    try:
        columns.SERVED_TABLES = (*original, bad)
        with pytest.raises(ValueError, match="not a plain SQL identifier"):
            columns._check_identifiers()
    finally:
        columns.SERVED_TABLES = original


def test_every_served_column_exists_in_the_migrated_tables(pg_server):
    db = create_api_database(pg_server, load=False)
    try:
        with psycopg2.connect(db.admin_url) as conn, conn.cursor() as cur:
            for table in columns.SERVED_TABLES:
                cur.execute(
                    "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s",
                    (table.name,),
                )
                types = dict(cur.fetchall())
                for column in table.columns:
                    assert column.name in types, (table.name, column.name)
                    expected = {
                        "integer": {"integer", "bigint"},
                        "number": {"double precision"},
                        "string": {"text"},
                        "date-time": {"timestamp with time zone"},
                    }[column.type]
                    assert types[column.name] in expected, (table.name, column.name, types[column.name])
    finally:
        drop_api_database(db, pg_server)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2016-01-01", "2016-01-01T00:00:00+00:00"),
        ("2016-01-01T05:00", "2016-01-01T05:00:00+00:00"),
        ("2016-01-01 05:00:00", "2016-01-01T05:00:00+00:00"),
        ("2016-01-01T05:00:00Z", "2016-01-01T05:00:00+00:00"),
        ("2016-01-01T00:00:00-05:00", "2016-01-01T05:00:00+00:00"),
        ("2016-01-01T06:30:00+01:30", "2016-01-01T05:00:00+00:00"),
        ("1451624400", "2016-01-01T05:00:00+00:00"),
        ("1451624400.5", "2016-01-01T05:00:00.500000+00:00"),
    ],
)
def test_instants_in_every_notation_become_utc(text, iso):
    assert parse_instant("start", text).isoformat() == iso


def test_cursor_round_trips_and_rejects_forgeries():
    cursor = Cursor(7, parse_instant("start", "2016-03-01T12:34:56.789Z"))
    assert Cursor.decode(cursor.encode()) == cursor
    for forged in ("", "abc", "YzIuMS4x", "c1.1.1", "YzEuLTEuMTIz", "%%%", "YzEuOTk5OTk5OTk5OTkuMQ"):
        with pytest.raises(ValueError):
            Cursor.decode(forged)


@pytest.mark.parametrize(
    ("accept", "csv"),
    [
        (None, False),
        ("*/*", False),
        ("text/csv", True),
        ("text/csv, application/json", False),
        ("application/json;q=0.5, text/csv", True),
        ("text/csv;q=0", False),
        ("text/html, */*;q=0.8", False),
        ("TEXT/CSV", True),
    ],
)
def test_accept_header_negotiation(accept, csv):
    assert wants_csv(accept) is csv
