"""The ingestion assets materialized for real: embedded PostgreSQL, a local or S3 (moto server) store."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from datetime import date

import dagster as dg
import psycopg2
import pytest

from smarthome_assets.database.connection import PostgresUrl
from smarthome_assets.defs.ingestion import assets as ingestion_assets
from smarthome_assets.ingestion.clean_days import load_days
from smarthome_assets.ingestion.landing import current_manifests
from smarthome_assets.ingestion.sources import HomeCSources
from smarthome_assets.lib.partitions import range_tags
from smarthome_assets.storage.object_store import LocalObjectStore, S3ObjectStore
from smarthome_assets_tests.support.homec_files import HEADER, minutes, row, write

ASSETS = dg.load_assets_from_modules([ingestion_assets])


def resources(store, url, paths):
    return {
        "object_store": store,
        "postgres": PostgresUrl(database_url=url),
        "sources": HomeCSources(paths=[str(p) for p in paths]),
    }


def run(res, first: str, last: str | None = None) -> dg.ExecuteInProcessResult:
    kwargs = (
        {"tags": range_tags(date.fromisoformat(first), date.fromisoformat(last))} if last else {"partition_key": first}
    )
    return dg.materialize(ASSETS, resources=res, **kwargs)


def counts(url) -> dict[str, int]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        out = {}
        for table in ("home", "device", "weather", "energy_consuming_device"):
            cur.execute(f"SELECT count(*) FROM {table}")
            out[table] = cur.fetchone()[0]
        return out


def fingerprint(url) -> str:
    """A hash of every loaded row, to prove a re-run changes nothing."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        digest = hashlib.sha256()
        for table in ("weather", "energy_consuming_device"):
            cur.execute(f"SELECT * FROM {table} ORDER BY house_id, timeframe")
            for r in cur:
                digest.update(repr(r).encode())
        return digest.hexdigest()


def metadata_of(result, asset: str) -> dict:
    """The metadata of `asset`'s first materialization in the run (one step materializes all five)."""
    events = result.get_asset_materialization_events()
    return next(e for e in events if e.asset_key.to_user_string() == asset).materialization.metadata


def checks_by_name(result) -> dict[str, bool]:
    return {f"{e.asset_key.to_user_string()}:{e.check_name}": e.passed for e in result.get_asset_check_evaluations()}


def test_the_real_excerpt_lands_with_its_58_cloud_cover_strings(tmp_path, fresh_database, excerpt_path):
    url, _ = fresh_database
    res = resources(LocalObjectStore(root=str(tmp_path / "store")), url, [excerpt_path])
    result = run(res, "2016-01-01", "2016-01-03")
    assert result.success
    assert counts(url) == {"home": 1, "device": 18, "weather": 2838, "energy_consuming_device": 2838}
    weather_meta = metadata_of(result, "clean_weather")
    assert weather_meta["values_replaced"].value == 58
    assert "| cloud_cover | 58 |" in weather_meta["replacements"].value
    assert "2: `cloudCover`" in weather_meta["replacements"].value  # line 2: the first data line
    store = res["object_store"]  # the pass writes nothing between the staged days and PostgreSQL
    assert not store.list_keys("clean/")
    checks = checks_by_name(result)
    assert checks["raw_csv:rows_accounted_for"] and checks["rds_tables:row_counts_match_clean"]
    assert checks["clean_devices:rows_and_keys"] and checks["clean_weather:rows_and_keys"]
    plausible = {
        e.asset_key.to_user_string(): e
        for e in result.get_asset_check_evaluations()
        if e.check_name == "values_plausible"
    }
    # use == House overall and gen == Solar on real rows; 2016-01-01 (from 05:00 UTC) and 01-03 are partial: warned
    assert plausible["clean_devices"].metadata["pair_mismatches"].value == {}
    assert not plausible["clean_weather"].passed and plausible["clean_weather"].metadata["incomplete_days"].value == 2

    before = fingerprint(url)
    again = run(res, "2016-01-01", "2016-01-03")
    assert again.success and counts(url)["weather"] == 2838 and fingerprint(url) == before
    raw_meta = metadata_of(again, "raw_csv")
    assert "unchanged" in raw_meta["files"].value


def test_a_single_day_and_a_range_give_the_same_rows(tmp_path, fresh_database, excerpt_path):
    url, _ = fresh_database
    res = resources(LocalObjectStore(root=str(tmp_path / "store")), url, [excerpt_path])
    assert run(res, "2016-01-02").success
    assert counts(url)["energy_consuming_device"] == 1440
    assert run(res, "2016-01-01", "2016-01-03").success
    whole = fingerprint(url)
    assert run(res, "2016-01-02").success  # replaces exactly that day
    assert fingerprint(url) == whole


def test_quarantine_keeps_every_bad_row_and_the_counts_add_up(tmp_path, fresh_database):
    url, _ = fresh_database
    lines = minutes(30)
    lines[4] = "1,2,3"
    lines.insert(10, row(8))  # a repeated minute
    lines.append("junk" + "," * 31)
    source = write(tmp_path / "house.csv", lines)
    store = LocalObjectStore(root=str(tmp_path / "store"))
    result = run(resources(store, url, [source]), "2016-01-01")
    assert result.success
    (manifest,) = current_manifests(store)
    assert manifest.data_lines == 32 == manifest.staged_rows + manifest.quarantined_rows
    assert manifest.quarantined_rows == 3 and counts(url)["weather"] == 29
    quarantine = list(csv.DictReader(io.StringIO(store.get_bytes(manifest.quarantine_key).decode())))
    assert [(q["file"], q["line"], q["reason"].split(":")[0]) for q in quarantine] == [
        ("house/house.csv", "6", "wrong number of fields"),  # the delivery: incoming/<home>/<name>
        ("house/house.csv", "12", "duplicate minute"),
        ("house/house.csv", "33", "time is not an integer unix timestamp"),
    ]
    assert quarantine[0]["row_text"] == "1,2,3"
    assert not checks_by_name(result)["raw_csv:no_quarantined_rows"]


def test_homes_keep_their_ids_when_sources_are_reordered(tmp_path, fresh_database):
    url, _ = fresh_database
    a, b = write(tmp_path / "a.csv", minutes(5)), write(tmp_path / "b.csv", minutes(5))
    store = LocalObjectStore(root=str(tmp_path / "store"))
    assert run(resources(store, url, [a, b]), "2016-01-01").success
    assert run(resources(store, url, [b, a]), "2016-01-01").success
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT house_id, name, weather_rows FROM home ORDER BY house_id")
        assert cur.fetchall() == [(1, "a", 5), (2, "b", 5)]


def test_a_failed_load_leaves_the_database_as_it_was(tmp_path, fresh_database, excerpt_path):
    url, _ = fresh_database
    store = LocalObjectStore(root=str(tmp_path / "store"))
    res = resources(store, url, [excerpt_path])
    assert run(res, "2016-01-01", "2016-01-03").success
    before = fingerprint(url)
    manifests = current_manifests(store)
    store.put_bytes(manifests[0].staged_key("2016-01-03"), b"not an arrow file")  # the last day of the stream
    days = [date(2016, 1, 1), date(2016, 1, 2), date(2016, 1, 3)]
    with pytest.raises(Exception, match=r"(?i)arrow|ipc|file"):
        load_days(res["postgres"], store, manifests, days)
    assert fingerprint(url) == before


def test_a_changed_file_replaces_its_rows(tmp_path, fresh_database):
    url, _ = fresh_database
    source = write(tmp_path / "h.csv", minutes(10))
    res = resources(LocalObjectStore(root=str(tmp_path / "store")), url, [source])
    assert run(res, "2016-01-01").success
    write(source, minutes(6))
    result = run(res, "2016-01-01")
    assert result.success and counts(url)["weather"] == 6
    assert "landed" in metadata_of(result, "raw_csv")["files"].value


def test_an_unusable_file_fails_the_run_with_file_line_and_column(tmp_path, fresh_database):
    url, _ = fresh_database
    source = write(tmp_path / "renamed.csv", minutes(3), header=HEADER.replace("time,", "tick,", 1))
    res = resources(LocalObjectStore(root=str(tmp_path / "store")), url, [source])
    result = dg.materialize(ASSETS, resources=res, partition_key="2016-01-01", raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = str(failure.event_specific_data.error)
    assert "renamed.csv, line 1, column 'time': missing column(s) 'time'; found instead: 'tick'" in message
    skipped = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"}
    assert {"rds_tables", "homes"} <= skipped or not result.asset_materializations_for_node("rds_tables")


def test_the_s3_code_path_against_a_moto_server(tmp_path, fresh_database, s3_bucket):
    url, _ = fresh_database
    _endpoint, bucket, s3 = s3_bucket
    store = S3ObjectStore(bucket=bucket, prefix="smarthome", **s3)
    source = write(tmp_path / "home.csv", minutes(2838))  # the excerpt's span: 2016-01-01 05:00 .. 01-03
    result = run(resources(store, url, [source]), "2016-01-01", "2016-01-03")
    assert result.success and counts(url)["weather"] == 2838
    (manifest,) = current_manifests(store)
    raw = f"smarthome/raw/source/home/home.csv@{manifest.landing}"
    assert S3ObjectStore(bucket=bucket, **s3).list_keys("smarthome/raw/source/") == [raw]
    staged = f"staging/raw/date=2016-01-02/house_id=1/home.csv@{manifest.landing}.arrow"
    assert store.list_keys("staging/raw/date=2016-01-02/") == [staged]
    assert store.exists("incoming/home/home.csv")
    assert store.uri("registry/homes.json") == f"s3://{bucket}/smarthome/registry/homes.json"


def test_the_local_store_rejects_keys_outside_its_root(tmp_path):
    store = LocalObjectStore(root=str(tmp_path))
    with pytest.raises(ValueError, match="escapes"):
        store.put_bytes("../outside", b"x")
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_a_changed_time_axis_stages_the_file_again(tmp_path):
    from datetime import UTC, datetime

    from smarthome_assets.homec.reader import TimeAxis
    from smarthome_assets.ingestion.incoming import deliver
    from smarthome_assets.ingestion.landing import land_delivery

    store = LocalObjectStore(root=str(tmp_path / "store"))
    delivery = deliver(store, write(tmp_path / "h.csv", minutes(3)))
    first = land_delivery(store, delivery, TimeAxis()).manifest
    assert not first.skipped and land_delivery(store, delivery, TimeAxis()).manifest.skipped
    moved = land_delivery(store, delivery, TimeAxis(timeframe_origin=datetime(2020, 3, 1, tzinfo=UTC))).manifest
    assert not moved.skipped and list(moved.rows_per_day) == ["2020-03-01"]
    assert not store.exists(first.staged_key("2016-01-01"))  # the old version's staging is gone
    assert store.list_keys("staging/") == [moved.staged_key("2020-03-01")]


def test_a_failed_blocking_clean_check_rolls_the_load_back(tmp_path, fresh_database, excerpt_path, monkeypatch):
    """The clean tables' blocking checks are judged once every row has streamed in, before the commit: a
    failure (here a duplicate key, as a cleaning bug would make) leaves PostgreSQL as it was and ends the run."""
    from smarthome_assets.cleaning.quality import QualityStats

    url, _ = fresh_database
    source = tmp_path / "home.csv"
    source.write_bytes(excerpt_path.read_bytes())
    res = resources(LocalObjectStore(root=str(tmp_path / "store")), url, [source])
    assert run(res, "2016-01-01", "2016-01-03").success
    before, rows = fingerprint(url), counts(url)
    observe = QualityStats.observe_rows

    def with_a_duplicate(self, table, segments, days):
        observe(self, table, segments, days)
        self.duplicate_keys += 1

    monkeypatch.setattr(QualityStats, "observe_rows", with_a_duplicate)
    text = source.read_text()
    source.write_text(text[: text.rindex("\n", 0, len(text) - 1) + 1])  # re-delivered one line shorter
    result = dg.materialize(
        ASSETS, resources=res, tags=range_tags(date(2016, 1, 1), date(2016, 1, 3)), raise_on_error=False
    )
    assert not result.success
    assert fingerprint(url) == before and counts(url) == rows
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {"raw_csv", "clean_weather", "clean_devices"}
    assert not checks_by_name(result)["clean_weather:rows_and_keys"]


def test_postgres_counts_that_disagree_roll_the_load_back(tmp_path, fresh_database, excerpt_path, monkeypatch):
    """rds_tables' reconciliation is counted inside the load's transactions and judged before the commit: a
    disagreement (here the expected counts made wrong by one row) loads nothing."""
    from smarthome_assets.defs.ingestion import assets as module

    url, _ = fresh_database
    res = resources(LocalObjectStore(root=str(tmp_path / "store")), url, [excerpt_path])
    expected_rows = module.expected_rows

    def one_more(*args):
        counts = expected_rows(*args)
        counts[(1, "2016-01-02")] += 1
        return counts

    monkeypatch.setattr(module, "expected_rows", one_more)
    result = dg.materialize(ASSETS, resources=res, partition_key="2016-01-02", raise_on_error=False)
    assert not result.success and counts(url)["weather"] == counts(url)["energy_consuming_device"] == 0
    assert not checks_by_name(result)["rds_tables:row_counts_match_clean"]
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "rds_tables" not in materialized and "homes" in materialized
