"""The ingestion assets account for every physical line, and the accounting can fail (real PostgreSQL).

The issue's first probe: one stray `"` on line 1001 of the real excerpt used to drop the rest of the file
while the run reported "1,000 lines = 999 loaded + 1 quarantined". Now the line count comes from the bytes,
so a parser that loses rows fails the blocking `rows_accounted_for` check and nothing is loaded.
"""

from __future__ import annotations

import csv
import io

import dagster as dg
import psycopg2

from smarthome_assets.database.connection import PostgresUrl
from smarthome_assets.defs.ingestion import assets as ingestion_assets
from smarthome_assets.homec import reader
from smarthome_assets.ingestion.landing import current_manifests
from smarthome_assets.ingestion.sources import HomeCSources
from smarthome_assets.lib.partitions import range_tags
from smarthome_assets.storage.object_store import LocalObjectStore
from smarthome_assets_tests.support.homec_files import minutes, row, write

ASSETS = dg.load_assets_from_modules([ingestion_assets])


def materialize(tmp_path, url, source) -> tuple[dg.ExecuteInProcessResult, LocalObjectStore]:
    from datetime import date

    store = LocalObjectStore(root=str(tmp_path / "store"))
    resources = {
        "object_store": store,
        "postgres": PostgresUrl(database_url=url),
        "sources": HomeCSources(paths=[str(source)]),
    }
    tags = range_tags(date(2016, 1, 1), date(2016, 1, 3))
    return dg.materialize(ASSETS, resources=resources, tags=tags, raise_on_error=False), store


def rows_in(url, table: str = "weather") -> int:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table}")
        return cur.fetchone()[0]


def accounting(result) -> dg.AssetCheckEvaluation:
    return next(e for e in result.get_asset_check_evaluations() if e.check_name == "rows_accounted_for")


def test_a_stray_quote_costs_one_line_not_the_rest_of_the_file(tmp_path, fresh_database, excerpt_path):
    url, _ = fresh_database
    lines = excerpt_path.read_bytes().split(b"\n")
    fields = lines[1000].split(b",")  # line 1001
    fields[5] = b'"' + fields[5]
    lines[1000] = b",".join(fields)
    source = tmp_path / "HomeC.csv"
    source.write_bytes(b"\n".join(lines))
    result, store = materialize(tmp_path, url, source)
    assert result.success
    check = accounting(result)
    assert check.passed and check.metadata["data_lines"].value == 2838 and check.metadata["staged"].value == 2837
    assert rows_in(url, "weather") == rows_in(url, "energy_consuming_device") == 2837
    (manifest,) = current_manifests(store)
    quarantine = list(csv.DictReader(io.StringIO(store.get_bytes(manifest.quarantine_key).decode())))
    assert [(q["line"], q["column"]) for q in quarantine] == [("1001", "Furnace 1 [kW]")]
    assert "double quote" in quarantine[0]["reason"]


def test_a_parser_that_loses_rows_fails_the_blocking_check_and_loads_nothing(tmp_path, fresh_database, monkeypatch):
    """Simulate a parser fault (the last block of rows silently dropped): the count on the bytes catches it."""
    url, _ = fresh_database
    real_batches = reader._batches

    def losing_batches(source, *, strict):
        batches = list(real_batches(source, strict=strict))
        yield from batches[:-1]

    monkeypatch.setattr(reader, "_batches", losing_batches)
    source = write(tmp_path / "home.csv", minutes(2000))  # one parse block: losing it loses every row
    result, _store = materialize(tmp_path, url, source)
    assert not result.success
    check = accounting(result)
    assert not check.passed and check.metadata["data_lines"].value == 2000
    assert check.metadata["unbalanced_files"].value == {"home/home.csv": 2000}
    assert check.description.startswith("home/home.csv: 2,000 lines in the file but 0 staged + 0 quarantined")
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {"raw_csv"}  # the blocking check stopped cleaning and loading


def test_a_summary_too_wide_for_the_warehouse_is_quarantined_before_postgres(tmp_path, fresh_database):
    url, _ = fresh_database
    long = "Breezy and Partly Cloudy with Rain Later and Heavy Snow Overnight!!"  # 67 characters
    source = write(tmp_path / "home.csv", [*minutes(5), row(5, summary=long), *minutes(4, start=6)])
    result, store = materialize(tmp_path, url, source)
    assert result.success and rows_in(url) == 9
    (manifest,) = current_manifests(store)
    assert manifest.quarantine_reasons == {"summary too long": 1}


def test_a_quoted_newline_in_the_real_excerpt_loads_one_row_and_every_line_balances(
    tmp_path, fresh_database, excerpt_path
):
    """Issue 20's probe: a valid CSV record whose `summary` is `"Partly<newline>Cloudy"` was quarantined as two
    broken lines and its row was lost. Now it is one record: loaded, and its two lines accounted for."""
    url, _ = fresh_database
    lines = excerpt_path.read_bytes().split(b"\n")
    fields = lines[1500].split(b",")  # line 1501
    fields[23] = b'"Partly\nCloudy"'  # summary
    lines[1500] = b",".join(fields)
    source = tmp_path / "HomeC.csv"
    source.write_bytes(b"\n".join(lines))
    result, store = materialize(tmp_path, url, source)
    assert result.success and accounting(result).passed
    [manifest] = current_manifests(store)
    assert (manifest.data_lines, manifest.staged_rows, manifest.quarantined_rows, manifest.joined_lines) == (
        2839,
        2838,
        0,
        1,
    )
    assert rows_in(url) == 2838
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT summary FROM weather ORDER BY timeframe OFFSET 1499 LIMIT 1")
        assert cur.fetchone()[0] == "Partly Cloudy"
