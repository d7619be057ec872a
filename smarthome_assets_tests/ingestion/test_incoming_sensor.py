"""The incoming sensor against a real Dagster instance and real stores, with an injected clock.

Three days arrive one by one, then a late correction of the first day together with a duplicate file.
Each tick is evaluated with `build_sensor_context(instance=..., cursor=...)`, each requested run is
executed on the same instance, and the exports and the warehouse follow for the same range. Every day
reaches PostgreSQL, the exports and the warehouse exactly once, the corrected day is replaced in every
store and nothing else re-runs.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import psycopg2
import pytest

from smarthome_assets import definitions as defs_module
from smarthome_assets.defs.ingestion.sensors import build_incoming_sensor
from smarthome_assets.exports import layout as export_layout
from smarthome_assets.homec.generator import generate_homes
from smarthome_assets.ingestion import incoming, watch
from smarthome_assets.ingestion.landing import current_manifests
from smarthome_assets.ingestion.registry import HomeRegistry
from smarthome_assets.services import embedded_postgres
from smarthome_assets.storage.object_store import LocalObjectStore, S3ObjectStore
from smarthome_assets_tests.support.whole_chain import whole_chain_resources

DAYS = ("2016-01-01", "2016-01-02", "2016-01-03")
BOUNDS = (0, 1140, 2580, 4020)  # row n is 2016-01-01 05:00 + n minutes: where each UTC day starts
NOW = datetime(2016, 1, 5, 12, 0, tzinfo=UTC)  # the injected clock
DOWNSTREAM = ["daily_exports", "redshift_tables"]


def day_files(tmp_path: Path, seed: int) -> list[list[str]]:
    """A generated home split into its three UTC days (header first in each)."""
    (source,) = generate_homes(tmp_path / f"seed{seed}", days=3, seed=seed)
    header, *lines = source.read_text().splitlines()
    return [[header, *lines[BOUNDS[i] : BOUNDS[i + 1]]] for i in range(3)]


def drop(store, home: str, name: str, lines: list[str], tmp_path: Path) -> None:
    local = tmp_path / f"drop-{uuid.uuid4().hex[:6]}.csv"
    local.write_text("\n".join(lines) + "\n")
    store.put_file(f"incoming/{home}/{name}", local)


def day_digest(url: str, table: str, day: str, column: str = "timeframe") -> tuple[int, str]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            f"SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {table} AS t "
            f"WHERE ({column} AT TIME ZONE 'UTC')::date = %s",
            (day,),
        )
        return cur.fetchone()


def materialized(instance, asset: str) -> Counter:
    records = instance.fetch_materializations(dg.AssetKey(asset), limit=1000).records
    return Counter(r.partition_key for r in records)


@pytest.fixture
def live(pg_server, fresh_database, tmp_path):
    url, _ = fresh_database
    warehouse_url = embedded_postgres.server_url(pg_server[1], f"w_{uuid.uuid4().hex[:10]}")
    resources = whole_chain_resources(tmp_path, url, warehouse_url)
    loaded = defs_module.defs()
    sensor = build_incoming_sensor(clock=lambda: NOW)
    defs = dg.Definitions(
        assets=[a for a in loaded.assets if "dashboard" not in a.group_names_by_key.values()],
        jobs=loaded.jobs,
        sensors=[sensor],
        resources=resources,
    )
    (tmp_path / "dagster").mkdir()
    instance = dg.DagsterInstance.local_temp(tempdir=str(tmp_path / "dagster"))
    yield defs, sensor, resources, instance, url, warehouse_url
    instance.dispose()


def tick(defs, sensor, resources, instance, cursor):
    """One sensor evaluation, then every run it requests and the exports + warehouse for the same range."""
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources, definitions=defs)
    result = sensor(context)
    if isinstance(result, dg.SkipReason):
        return result, [], cursor
    if not result.run_requests:  # a tick that handled files but has nothing to run says why
        return result.skip_reason, [], result.cursor
    for request in result.run_requests:
        tags = {**request.tags, "dagster/run_key": request.run_key}
        run = defs.resolve_job_def("ingestion_job").execute_in_process(instance=instance, tags=tags)
        assert run.success
        assets = [a for a in defs.assets if isinstance(a, dg.AssetsDefinition)]
        follow = dg.materialize(assets, selection=DOWNSTREAM, resources=resources, instance=instance, tags=tags)
        assert follow.success
    return result, result.run_requests, result.cursor


def test_three_days_a_late_correction_and_a_duplicate(live, tmp_path):
    defs, sensor, resources, instance, url, warehouse_url = live
    store = resources["object_store"]
    days, corrected = day_files(tmp_path, 0), day_files(tmp_path, 1)
    cursor = None
    for i, day in enumerate(DAYS):  # three days arrive, one a tick: one run each, for exactly that day
        drop(store, "home", f"day{i + 1}.csv", days[i], tmp_path)
        _, requests, cursor = tick(defs, sensor, resources, instance, cursor)
        assert [
            (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
            for r in requests
        ] == [(day, day)]
    nothing, requests, cursor = tick(defs, sensor, resources, instance, cursor)
    assert isinstance(nothing, dg.SkipReason) and not requests
    before = {d: day_digest(url, "energy_consuming_device", d) for d in DAYS}
    exported = {d: export_layout.DayManifest.load(store, d).exported_at for d in DAYS}
    warehouse = {d: day_digest(warehouse_url, "fact_energy_minute", d) for d in DAYS}
    assert [n for n, _ in before.values()] == [1140, 1440, 1440]

    # A late correction of the first day and a duplicate of the second, in one tick.
    drop(store, "home", "day1-corrected.csv", corrected[0], tmp_path)
    drop(store, "home", "day2-again.csv", days[1], tmp_path)
    _, requests, cursor = tick(defs, sensor, resources, instance, cursor)
    assert [r.tags["dagster/asset_partition_range_start"] for r in requests] == ["2016-01-01"]
    assert requests[0].tags["dagster/asset_partition_range_end"] == "2016-01-01"
    assert "home/day1-corrected.csv" in requests[0].tags["smarthome/deliveries"]
    assert "day2-again" not in requests[0].tags["smarthome/deliveries"]
    assert [m.file for m in current_manifests(store)][-1] == "home/day1-corrected.csv"
    assert "home/day2-again.csv" not in [m.file for m in current_manifests(store)]

    # The duplicate alone: nothing changes, and the tick says why.
    drop(store, "home", "day3-again.csv", days[2], tmp_path)
    skipped, requests, cursor = tick(defs, sensor, resources, instance, cursor)
    assert not requests and "duplicate of home/day3.csv" in skipped.skip_message

    after = {d: day_digest(url, "energy_consuming_device", d) for d in DAYS}
    assert after["2016-01-01"] != before["2016-01-01"] and after["2016-01-01"][0] == 1140
    assert {d: after[d] for d in DAYS[1:]} == {d: before[d] for d in DAYS[1:]}
    new_exports = {d: export_layout.DayManifest.load(store, d).exported_at for d in DAYS}
    assert new_exports["2016-01-01"] != exported["2016-01-01"]
    assert {d: new_exports[d] for d in DAYS[1:]} == {d: exported[d] for d in DAYS[1:]}
    new_warehouse = {d: day_digest(warehouse_url, "fact_energy_minute", d) for d in DAYS}
    assert new_warehouse["2016-01-01"] != warehouse["2016-01-01"] and new_warehouse["2016-01-01"][0] == 1140
    assert {d: new_warehouse[d] for d in DAYS[1:]} == {d: warehouse[d] for d in DAYS[1:]}
    # The corrected rows are the correction's, in PostgreSQL and in the warehouse alike.
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT round(sum(use_kw)::numeric, 6) FROM energy_consuming_device WHERE timeframe < '2016-01-02'")
        pg_sum = cur.fetchone()[0]
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT round(sum(use_kw)::numeric, 6) FROM fact_energy_minute WHERE timeframe < '2016-01-02'")
        assert cur.fetchone()[0] == pg_sum
    expected = sum(float(line.split(",")[1]) for line in corrected[0][1:])
    assert abs(float(pg_sum) - expected) < 1e-3

    # Exactly once per day in every store, plus once more for the corrected day; nothing else re-ran.
    for asset in ("raw_csv", "rds_tables", *DOWNSTREAM):
        assert materialized(instance, asset) == Counter({"2016-01-01": 2, "2016-01-02": 1, "2016-01-03": 1}), asset
    run_keys = [r.tags.get("dagster/run_key") for r in instance.get_runs() if r.job_name == "ingestion_job"]
    assert len(run_keys) == len(set(run_keys)) == 4


def test_the_cursor_is_all_it_needs_after_a_restart(live, tmp_path):
    """A new sensor object (a restarted daemon) with the stored cursor requests nothing already handled."""
    defs, sensor, resources, instance, _url, _ = live
    store = resources["object_store"]
    drop(store, "home", "day1.csv", day_files(tmp_path, 0)[0], tmp_path)
    _, requests, cursor = tick(defs, sensor, resources, instance, None)
    assert len(requests) == 1
    restarted = build_incoming_sensor(clock=lambda: NOW)
    again = restarted(dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources))
    assert isinstance(again, dg.SkipReason)
    # Even with the cursor lost, the same bytes give the same run key: Dagster would not run them twice.
    lost = restarted(dg.build_sensor_context(instance=instance, cursor=None, resources=resources))
    assert [r.run_key for r in lost.run_requests] == [r.run_key for r in requests]


def test_days_after_today_wait_for_their_partition(tmp_path):
    store = LocalObjectStore(root=str(tmp_path / "store"))
    drop(store, "home", "d.csv", [*day_files(tmp_path, 0)[0], *day_files(tmp_path, 0)[1][1:]], tmp_path)
    early = build_incoming_sensor(clock=lambda: datetime(2016, 1, 1, 23, tzinfo=UTC))
    result = early(dg.build_sensor_context(cursor=None, resources={"object_store": store}))
    (request,) = result.run_requests
    assert request.tags["dagster/asset_partition_range_end"] == "2016-01-01"
    assert watch.Cursor.parse(result.cursor).seen == {}  # kept pending until 2016-01-02 exists


def test_the_sensor_on_s3_and_a_live_feed_in_unix_seconds(tmp_path, s3_bucket):
    """The same sensor on an S3 prefix (moto server), for a home that declares real unix seconds."""
    _endpoint, bucket, s3 = s3_bucket
    store = S3ObjectStore(bucket=bucket, prefix="smarthome", **s3)
    store.put_bytes("incoming/live/_source.json", incoming.SourceDeclaration(time_axis="unix_seconds").to_json())
    header, *lines = day_files(tmp_path, 0)[0][:121]
    start = int(datetime(2026, 11, 29, 23, 0, tzinfo=UTC).timestamp())
    feed = [header, *(f"{start + 60 * i}," + line.split(",", 1)[1] for i, line in enumerate(lines))]
    drop(store, "live", "delta-0001.csv", feed, tmp_path)
    drop(store, "live", ".delta-0002.csv.part", feed, tmp_path)  # still being written: ignored
    sensor = build_incoming_sensor(clock=lambda: datetime(2026, 11, 30, 0, 30, tzinfo=UTC))
    result = sensor(dg.build_sensor_context(cursor=None, resources={"object_store": store}))
    ranges = [
        (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
        for r in result.run_requests
    ]
    assert ranges == [("2026-11-29", "2026-11-30")]  # 23:00 .. 00:59 UTC: two days, contiguous: one run
    (manifest,) = current_manifests(store)
    assert manifest.rows_per_day == {"2026-11-29": 60, "2026-11-30": 60}
    again = sensor(dg.build_sensor_context(cursor=result.cursor, resources={"object_store": store}))
    assert isinstance(again, dg.SkipReason)


def test_ten_new_homes_in_one_tick_each_on_other_days_all_reach_every_store(live, tmp_path):
    """Onboarding a fleet: ten homes appear in one tick, each delivering a different day. Landing registers all
    ten before any run starts; each run loads only its own days' homes, and its checks judge only those, so
    every run succeeds and every home reaches PostgreSQL, the exports and the warehouse."""
    defs, _sensor, resources, instance, url, warehouse_url = live
    store = resources["object_store"]
    sources = generate_homes(tmp_path / "fleet", homes=10, days=21, seed=5)
    days = {}
    for i, source in enumerate(sources):
        header, *lines = source.read_text().splitlines()
        k = 2 * i + 1  # UTC days 2016-01-02, 01-04, ...: no two homes share a day, no two runs touch
        first = BOUNDS[1] + (k - 1) * 1440
        drop(store, f"fleet-{i:02d}", "first.csv", [header, *lines[first : first + 1440]], tmp_path)
        days[f"fleet-{i:02d}"] = f"2016-01-{k + 1:02d}"
    february = build_incoming_sensor(clock=lambda: datetime(2016, 2, 1, tzinfo=UTC))  # every day has its partition
    _, requests, _ = tick(defs, february, resources, instance, None)
    assert len(requests) == 10  # one run per home's day, every one of them succeeded (tick asserts it)
    ids = {home.name: home.house_id for home in HomeRegistry.load(store).homes}
    for home, day in days.items():
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM energy_consuming_device WHERE house_id = %s "
                "AND (timeframe AT TIME ZONE 'UTC')::date = %s",
                (ids[home], day),
            )
            assert cur.fetchone()[0] == 1440, home
        assert export_layout.DayManifest.load(store, day).files["energy"].rows == 1440, home
        with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM fact_energy_minute WHERE house_id = %s AND date_key = %s",
                (ids[home], int(day.replace("-", ""))),
            )
            assert cur.fetchone()[0] == 1440, home
