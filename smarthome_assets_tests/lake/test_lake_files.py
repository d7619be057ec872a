"""The lake's files: layout, types (the warehouse's), compression, atomic replacement of a day, idempotent re-runs.

Real parts only: export files written into a local object store, a real warehouse database on the embedded
PostgreSQL server for the type comparison, real DuckDB reading the files.
"""

from __future__ import annotations

import hashlib
from datetime import date

import psycopg2
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from smarthome_assets.database.connection import PostgresUrl
from smarthome_assets.lake import engine, layout
from smarthome_assets.lake.writer import LakeWriteError, write_days
from smarthome_assets.storage import object_store
from smarthome_assets.storage.object_store import LocalObjectStore
from smarthome_assets.warehouse.loader import load_days
from smarthome_assets.warehouse.resource import PostgresWarehouse
from smarthome_assets_tests.support.whole_chain import days, readings, write_day_export

DAYS = days(3)


@pytest.fixture
def store(tmp_path) -> LocalObjectStore:
    store = LocalObjectStore(root=str(tmp_path / "store"))
    for day in DAYS:
        write_day_export(store, day)
    return store


def _fingerprints(store: LocalObjectStore) -> dict[str, tuple[str, int]]:
    """key -> (sha256, mtime_ns) of every lake file."""
    out = {}
    for key in store.list_keys(layout.PREFIX):
        path = store.local_path(key)
        out[key] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    return out


def test_one_zstd_file_per_table_and_day_holding_the_export_rows_sorted(store):
    report = write_days(store, DAYS)
    assert store.list_keys(layout.PREFIX) == sorted(layout.part_key(t, d) for t in layout.TABLES for d in DAYS)
    assert store.list_keys(layout.PREFIX)[0] == "lake/energy/date=2016-01-01/part-00000.parquet"
    for table in layout.TABLES:
        parquet = pq.ParquetFile(store.local_path(layout.part_key(table, DAYS[1])))
        assert parquet.schema_arrow == layout.SCHEMAS[table]
        assert parquet.metadata.num_row_groups == 1 and parquet.metadata.num_rows == 2 * 1440
        assert {parquet.metadata.row_group(0).column(i).compression for i in range(parquet.metadata.num_columns)} == {
            "ZSTD"
        }
        rows = parquet.read()
        expected = readings(table, DAYS[1])
        assert rows.column("house_id").to_pylist() == [r[0] for r in expected]
        assert rows.column("timeframe").to_pylist() == [r[1] for r in expected]
        assert rows.column(3).to_pylist() == [r[3] for r in expected]  # use_kw / temperature, exactly
    assert report.total("rows") == 3 * 2 * 2 * 1440 and all(f.written for f in report.files())


def test_the_lake_columns_have_the_warehouse_types(store, fresh_database):
    """Same name, same type: the lake's Parquet schema against the warehouse's own tables after a real load."""
    url, _ = fresh_database
    load_days(PostgresWarehouse(database=PostgresUrl(database_url=url)), store, DAYS)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_name IN ('stg_energy', 'stg_weather', 'fact_energy_minute')"
        )
        warehouse = {(t, c): ty for t, c, ty in cur.fetchall()}
    arrow_of = {
        "integer": pa.int32(),
        "bigint": pa.int64(),
        "double precision": pa.float64(),
        "timestamp with time zone": pa.timestamp("us", tz="UTC"),
        "character varying": pa.string(),
    }
    for table, staging in (("energy", "stg_energy"), ("weather", "stg_weather")):
        for field in layout.SCHEMAS[table]:
            assert arrow_of[warehouse[(staging, field.name)]] == field.type, (table, field.name)
            if (key := ("fact_energy_minute", field.name)) in warehouse:
                assert arrow_of[warehouse[key]] == field.type, field.name


def test_a_rerun_writes_nothing_and_a_corrected_day_changes_only_its_files(store):
    write_days(store, DAYS)
    before = _fingerprints(store)
    assert not [f for f in write_days(store, DAYS).files() if f.written]
    assert _fingerprints(store) == before

    corrected = {t: readings(t, DAYS[1]) for t in ("weather", "energy")}
    corrected["energy"][100][3] = 9.5  # one minute's use_kw, re-delivered
    write_day_export(store, DAYS[1], stamp="20260102T000000Z", rows=corrected)
    report = write_days(store, DAYS)
    after = _fingerprints(store)
    assert sorted(k for k in after if after[k] != before[k]) == [layout.part_key("energy", DAYS[1])]
    assert [f.key for f in report.files() if f.written] == [layout.part_key("energy", DAYS[1])]
    rows = pq.read_table(store.local_path(layout.part_key("energy", DAYS[1])))
    assert 9.5 in rows.column("use_kw").to_pylist()


def test_a_crash_while_replacing_a_day_leaves_the_old_day_readable(store, monkeypatch):
    write_days(store, DAYS)
    before = _fingerprints(store)
    corrected = {t: readings(t, DAYS[2]) for t in ("weather", "energy")}
    corrected["energy"][0][3] = 7.25
    write_day_export(store, DAYS[2], stamp="20260103T000000Z", rows=corrected)

    def crash(*_args):
        raise OSError("killed while renaming")

    monkeypatch.setattr(object_store.os, "replace", crash)
    with pytest.raises(OSError, match="killed"):
        write_days(store, [DAYS[2]])
    monkeypatch.undo()
    assert _fingerprints(store) == before  # no half file, no second version: the old day only
    conn = engine.connect(engine.Lake(store).root())
    assert conn.execute("SELECT count(*) FROM energy WHERE date = ?", [DAYS[2]]).fetchone()[0] == 2 * 1440
    assert conn.execute("SELECT max(use_kw) FROM energy WHERE date = ?", [DAYS[2]]).fetchone()[0] < 7.25

    write_days(store, [DAYS[2]])  # the re-run recovers
    conn = engine.connect(engine.Lake(store).root())
    assert conn.execute("SELECT max(use_kw) FROM energy WHERE date = ?", [DAYS[2]]).fetchone()[0] == 7.25


def test_a_day_that_was_never_exported_changes_nothing(store):
    with pytest.raises(LakeWriteError, match=r"not exported: 2016-01-09.*the lake is unchanged"):
        write_days(store, [*DAYS, date(2016, 1, 9)])
    assert store.list_keys(layout.PREFIX) == []


def test_duckdb_counts_and_sums_per_day(store):
    write_days(store, DAYS)
    totals = engine.day_totals(engine.connect(engine.Lake(store).root()), DAYS)
    assert totals.rows == {t: {str(d): 2 * 1440 for d in DAYS} for t in layout.TABLES}
    expected = sum(r[3] for r in readings("energy", DAYS[0]))
    assert totals.use_kw[str(DAYS[0])] == pytest.approx(expected, abs=1e-9)
