"""Loading export files into the warehouse with the local `postgres` dialect, on a real PostgreSQL server.

Export files are written directly by the tests (exports_support.write_day_export), so these tests
exercise the loader alone: COPY from the object store into staging, the merge into the star schema,
replacing exactly the loaded days, and every way a load can fail leaving the warehouse as it was.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date

import psycopg2
import pytest

from smarthome_assets.database.connection import PostgresUrl
from smarthome_assets.exports import layout
from smarthome_assets.homec import contract
from smarthome_assets.storage.object_store import LocalObjectStore, S3ObjectStore
from smarthome_assets.warehouse import loader
from smarthome_assets.warehouse.loader import LoadError, load_days, table_rows, warehouse_counts
from smarthome_assets.warehouse.resource import PostgresWarehouse
from smarthome_assets.warehouse.sql_files import Statement, statements
from smarthome_assets_tests.support.whole_chain import (
    HOME_NAMES,
    days,
    kw,
    readings,
    warehouse_digest,
    write_day_export,
)

DAY1, DAY2 = date(2016, 1, 1), date(2016, 1, 2)


@pytest.fixture
def warehouse(fresh_database) -> tuple[PostgresWarehouse, str]:
    url, _ = fresh_database
    return PostgresWarehouse(database=PostgresUrl(database_url=url)), url


@pytest.fixture
def store(tmp_path) -> LocalObjectStore:
    return LocalObjectStore(root=str(tmp_path / "store"))


def _query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SET timezone TO 'UTC'")
        cur.execute(sql, params)
        return cur.fetchall()


def _export(store, day_list, **kwargs) -> None:
    for day in day_list:
        write_day_export(store, day, **kwargs)


def test_a_load_fills_every_table_with_the_right_values(warehouse, store):
    wh, url = warehouse
    _export(store, [DAY1, DAY2])
    result = load_days(wh, store, [DAY1, DAY2])
    assert result.copied == {"stg_weather": 5760, "stg_energy": 5760, "stg_home": 2}
    assert table_rows(wh, store) == {
        "dim_home": 2,
        "dim_device": 36,
        "dim_date": 2,
        "dim_weather_condition": len(
            set((r[4] or "unknown", r[7]) for day in (DAY1, DAY2) for r in readings("weather", day))
        ),
        "fact_energy_minute": 5760,
        "fact_device_hourly": 2 * 2 * 24 * 18,
        "fact_weather_hourly": 2 * 2 * 24,
    }
    assert _query(url, "SELECT house_id, name FROM dim_home ORDER BY 1") == sorted(HOME_NAMES.items())
    assert _query(url, "SELECT device_key, device, name, kind FROM dim_device WHERE house_id = 2 ORDER BY 1")[4] == (
        205,
        "furnace_1_kw",
        "Furnace 1",
        "appliance",
    )
    assert _query(url, "SELECT date_key, full_date, day_of_week, day_name, is_weekend FROM dim_date ORDER BY 1") == [
        (20160101, DAY1, 5, "Friday", False),
        (20160102, DAY2, 6, "Saturday", True),
    ]
    # Energy of one device in one hour: sum of its per-minute kW / 60, as the docs define it.
    minutes = range(3 * 60, 4 * 60)
    kwh, avg_kw, max_kw, n = _query(
        url,
        "SELECT kwh, avg_kw, max_kw, minutes FROM fact_device_hourly "
        "WHERE device_key = 105 AND hour_start = '2016-01-01 03:00+00'",
    )[0]
    expected = [kw(1, m, 4) for m in minutes]
    assert (n, max_kw) == (60, max(expected))
    assert kwh == pytest.approx(sum(expected) / 60) and avg_kw == pytest.approx(sum(expected) / 60)
    # The minute without a weather icon has the `unknown` condition; the hour keeps its most frequent one.
    (icon,) = _query(
        url,
        "SELECT c.icon FROM fact_energy_minute f JOIN dim_weather_condition c USING (condition_key)"
        " WHERE f.house_id = 1 AND f.timeframe = '2016-01-01 11:40+00'",
    )[0]
    assert icon == "unknown"
    (hour_icon,) = _query(
        url,
        "SELECT c.icon FROM fact_weather_hourly f JOIN dim_weather_condition c "
        "USING (condition_key) WHERE f.house_id = 1 AND f.hour_start = '2016-01-01 11:00+00'",
    )[0]
    assert hour_icon != "unknown"
    counts = warehouse_counts(wh, store, [DAY1, DAY2])
    assert counts["energy"] == counts["weather"] == {20160101: 2880, 20160102: 2880}
    assert counts["device_minutes"] == {
        20160101: 2880 * len(contract.POWER_COLUMNS),
        20160102: 2880 * len(contract.POWER_COLUMNS),
    }


def test_reloading_changes_nothing_and_a_new_export_of_the_same_rows_neither(warehouse, store):
    wh, url = warehouse
    _export(store, [DAY1, DAY2])
    load_days(wh, store, [DAY1, DAY2])
    before = warehouse_digest(url)
    load_days(wh, store, [DAY1, DAY2])
    assert warehouse_digest(url) == before
    _export(store, [DAY2], stamp="20260202T000000Z")  # a re-export: new files, same rows
    load_days(wh, store, [DAY2])
    assert warehouse_digest(url) == before


def test_a_load_replaces_exactly_its_days(warehouse, store):
    wh, url = warehouse
    three = days(3)
    _export(store, three)
    load_days(wh, store, three)
    _export(store, [DAY2], stamp="20260202T000000Z", homes=(1,))  # day 2 now has home 1 only
    load_days(wh, store, [DAY2])
    per_day = dict(_query(url, "SELECT date_key, count(*) FROM fact_energy_minute GROUP BY 1"))
    assert per_day == {20160101: 2880, 20160102: 1440, 20160103: 2880}
    hours = dict(_query(url, "SELECT date_key, count(*) FROM fact_weather_hourly GROUP BY 1"))
    assert hours == {20160101: 48, 20160102: 24, 20160103: 48}


def _break_missing_manifest(store):
    store.delete(layout.manifest_key(DAY2))


def _break_missing_file(store):
    store.delete(layout.DayManifest.load(store, DAY2).files["energy"].key)


def _break_empty_file(store):
    store.put_bytes(layout.DayManifest.load(store, DAY2).files["weather"].key, b"")


def _break_header(store):
    key = layout.DayManifest.load(store, DAY2).files["energy"].key
    data = store.get_bytes(key)
    store.put_bytes(key, data.replace(b"use_kw,gen_kw", b"gen_kw,use_kw", 1))


def _break_truncated_file(store):
    key = layout.DayManifest.load(store, DAY2).files["weather"].key
    store.put_bytes(key, store.get_bytes(key).rsplit(b"\n", 10)[0] + b"\n")


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (_break_missing_manifest, "2016-01-02: not exported"),
        (_break_missing_file, "export file missing"),
        (_break_empty_file, "export file is empty"),
        (_break_header, "wrong header"),
        (_break_truncated_file, "staged rows differ from the export files"),
    ],
)
def test_a_bad_export_fails_the_load_and_the_warehouse_keeps_its_rows(warehouse, store, breakage, message):
    wh, url = warehouse
    _export(store, [DAY1, DAY2])
    load_days(wh, store, [DAY1, DAY2])
    before = warehouse_digest(url)
    _export(store, [DAY1, DAY2], stamp="20260303T000000Z", homes=(1,))  # a newer export, then broken
    breakage(store)
    with pytest.raises(LoadError, match=message):
        load_days(wh, store, [DAY1, DAY2])
    assert warehouse_digest(url) == before
    assert not store.list_keys("warehouse/copy/")  # the load's COPY manifests are cleaned up


def test_a_failure_late_in_the_transaction_rolls_everything_back(warehouse, store, monkeypatch):
    wh, url = warehouse
    _export(store, [DAY1, DAY2])
    load_days(wh, store, [DAY1, DAY2])
    before = warehouse_digest(url)
    _export(store, [DAY1, DAY2], stamp="20260303T000000Z", homes=(1,))
    real = statements

    def merge_then_fail(file):
        extra = (Statement("boom", "SELECT 1 / 0"),) if file == "merge" else ()
        return real(file) + extra

    monkeypatch.setattr(loader, "statements", merge_then_fail)
    with pytest.raises(psycopg2.errors.DivisionByZero):
        load_days(wh, store, [DAY1, DAY2])
    assert warehouse_digest(url) == before


_KILLED_LOAD = """
import sys
from datetime import date, timedelta
from smarthome_assets.storage.object_store import LocalObjectStore
from smarthome_assets.database.connection import PostgresUrl
from smarthome_assets.warehouse.loader import load_days
from smarthome_assets.warehouse.resource import PostgresWarehouse
days = [date(2016, 1, 1) + timedelta(days=i) for i in range(int(sys.argv[3]))]
load_days(PostgresWarehouse(database=PostgresUrl(database_url=sys.argv[1])), LocalObjectStore(root=sys.argv[2]), days)
print("COMMITTED", flush=True)
"""


def _writing_load(cur, dbname: str) -> bool:
    """True once the load's transaction has written (it has an xid) and is not committing."""
    cur.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = 'smarthome-warehouse'"
        " AND backend_xid IS NOT NULL AND query NOT ILIKE 'COMMIT%%'",
        (dbname,),
    )
    return cur.fetchone()[0] > 0


def _load_backends(cur, dbname: str) -> int:
    cur.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = 'smarthome-warehouse'",
        (dbname,),
    )
    return cur.fetchone()[0]


def test_killing_the_process_mid_load_leaves_the_warehouse_as_it_was(warehouse, fresh_database, store):
    """SIGKILL inside the load's transaction, early enough that COMMIT is far off: nothing changes."""
    wh, url = warehouse
    _, dbname = fresh_database
    count = 12
    _export(store, days(count))
    load_days(wh, store, days(count))
    before = warehouse_digest(url)
    _export(store, days(count), stamp="20260303T000000Z", homes=(1,))  # would change every fact if committed
    monitor = psycopg2.connect(url)
    monitor.autocommit = True
    cur = monitor.cursor()
    process = subprocess.Popen(
        [sys.executable, "-c", _KILLED_LOAD, url, store.root, str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    try:
        while not _writing_load(cur, dbname):
            assert process.poll() is None, f"the load ended before it could be killed: {process.communicate()}"
            assert time.monotonic() < deadline
        os.kill(process.pid, signal.SIGKILL)
        out, _ = process.communicate(timeout=30)
        assert process.returncode == -signal.SIGKILL and "COMMITTED" not in out
        while _load_backends(cur, dbname):  # the server notices the lost client and rolls back
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        monitor.close()
    assert warehouse_digest(url) == before
    load_days(wh, store, days(count))  # no lock or staging left behind: the next load just works
    assert _query(url, "SELECT count(DISTINCT house_id) FROM fact_energy_minute") == [(1,)]


def test_the_local_dialect_copies_from_s3(fresh_database, s3_bucket):
    """The postgres dialect reads COPY manifests and export files from S3 (a moto server over HTTP)."""
    url, _ = fresh_database
    _endpoint, bucket, s3 = s3_bucket
    store = S3ObjectStore(bucket=bucket, prefix="smarthome", **s3)
    wh = PostgresWarehouse(database=PostgresUrl(database_url=url))
    _export(store, [DAY1, DAY2])
    result = load_days(wh, store, [DAY1, DAY2])
    assert result.copied["stg_energy"] == 5760
    assert table_rows(wh, store)["fact_energy_minute"] == 5760
    assert store.uri("x").startswith(f"s3://{bucket}/smarthome/") and not store.list_keys("warehouse/copy/")


def test_duplicate_minutes_are_found(warehouse, store):
    """The minute fact has no key constraint (like Redshift): duplicates are the check's to find."""
    wh, url = warehouse
    _export(store, [DAY1])
    load_days(wh, store, [DAY1])
    assert loader.duplicate_minutes(wh, store, [DAY1]) == 0
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO fact_energy_minute SELECT * FROM fact_energy_minute WHERE house_id = 2 LIMIT 3")
    assert loader.duplicate_minutes(wh, store, [DAY1]) == 3
    load_days(wh, store, [DAY1])  # a reload replaces the day, duplicates included
    assert loader.duplicate_minutes(wh, store, [DAY1]) == 0
