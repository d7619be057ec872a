"""The loader's two-phase commit: both tables or neither, also when one COPY fails or the process dies between
PREPARE and COMMIT PREPARED (real PostgreSQL, prepared transactions enabled by the embedded server)."""

from __future__ import annotations

from datetime import date

import psycopg2
import pyarrow as pa
import pytest

from smarthome_assets.cleaning.rules import ENERGY_SCHEMA, WEATHER_SCHEMA
from smarthome_assets.database import queries
from smarthome_assets.database.connection import PostgresUrl
from smarthome_assets.database.loading import load_range, recover_prepared_loads
from smarthome_assets.database.migrate import apply_migrations

DAY = [date(2016, 1, 2)]


def _rows(schema: pa.Schema, minutes: int, value: float) -> pa.Table:
    columns = {}
    for f in schema:
        if f.name == "house_id":
            columns[f.name] = pa.array([1] * minutes, pa.int32())
        elif f.name == "timeframe":
            columns[f.name] = pa.array([1451692800_000000 + m * 60_000_000 for m in range(minutes)], f.type)
        elif f.name == "time_raw":
            columns[f.name] = pa.array([1451624400 + 1140 + m for m in range(minutes)], pa.int64())
        elif pa.types.is_string(f.type):
            columns[f.name] = pa.array(["clear-day"] * minutes)
        else:
            columns[f.name] = pa.array([value] * minutes, pa.float64())
    return pa.Table.from_pydict(columns, schema=schema)


def _readers(minutes: int, value: float, fail: str | None = None):
    def reader(table: str):
        schema = WEATHER_SCHEMA if table == "weather" else ENERGY_SCHEMA
        data = _rows(schema, minutes, value)

        def batches():
            yield from data.to_batches(max_chunksize=10)
            if table == fail:
                raise OSError("the clean zone vanished mid-load")

        return lambda: pa.RecordBatchReader.from_batches(schema, batches())

    return {table: reader(table) for table in queries.LOADED_TABLES}


def _state(url: str) -> tuple:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), coalesce(sum(temperature), 0) FROM weather")
        weather = cur.fetchone()
        cur.execute("SELECT count(*), coalesce(sum(use_kw), 0) FROM energy_consuming_device")
        energy = cur.fetchone()
        cur.execute("SELECT count(*) FROM pg_prepared_xacts WHERE database = current_database()")
        return weather, energy, cur.fetchone()[0]


def _counts_kept(url: str) -> bool:
    """Each home's row count kept by the loads (`home_rows`) is the table's own count (migration 0007)."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT dataset, house_id, rows FROM home_rows WHERE rows <> 0 ORDER BY 1, 2")
        kept = cur.fetchall()
        cur.execute(
            "SELECT 'energy', house_id, count(*) FROM energy_consuming_device GROUP BY 2 UNION ALL "
            "SELECT 'weather', house_id, count(*) FROM weather GROUP BY 2 ORDER BY 1, 2"
        )
        return kept == cur.fetchall()


@pytest.fixture
def db(fresh_database):
    url, _ = fresh_database
    apply_migrations(url)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO home (house_id, name, source_file) VALUES (1, 'h', 'h.csv')")
    return url, PostgresUrl(database_url=url)


def test_both_tables_load_concurrently_and_replace_the_range(db):
    url, database = db
    first = load_range(database, _readers(30, 1.0), [1], DAY)
    assert first.concurrent and first.rows == {"weather": 30, "energy": 30}
    load_range(database, _readers(20, 2.0), [1], DAY)
    assert _state(url) == ((20, 40.0), (20, 40.0), 0) and _counts_kept(url)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT weather_rows, energy_rows FROM home")
        assert cur.fetchone() == (20, 20)


@pytest.mark.parametrize("failing", ["weather", "energy"])
def test_a_failed_copy_leaves_both_tables_as_they_were(db, failing):
    url, database = db
    load_range(database, _readers(30, 1.0), [1], DAY)
    before = _state(url)
    with pytest.raises(Exception, match="vanished"):
        load_range(database, _readers(20, 2.0, fail=failing), [1], DAY)
    assert _state(url) == before and _counts_kept(url)  # and no prepared transaction is left behind


def _prepare_orphans(url: str, load_id: str, decided: bool) -> None:
    """What a process killed after PREPARE leaves: both tables' changes prepared, maybe a decision."""
    for table, target in queries.LOADED_TABLES.items():
        conn = psycopg2.connect(url)
        with conn.cursor() as cur:
            cur.execute(f"DELETE FROM {target}")
            cur.execute("UPDATE home_rows SET rows = 0 WHERE dataset = %s", (table,))  # as a load keeps the count
            cur.execute(f"PREPARE TRANSACTION '{queries.LOAD_GID_PREFIX}{load_id}:{table}'")
        conn.close()
    if decided:
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute(queries.RECORD_DECISION, (load_id,))


@pytest.mark.parametrize("decided", [True, False])
def test_the_next_load_finishes_what_a_dead_process_prepared(db, decided):
    url, database = db
    load_range(database, _readers(30, 1.0), [1], DAY)
    _prepare_orphans(url, "deadbeef", decided)
    outcome = recover_prepared_loads(database)
    assert set(outcome.values()) == {decided}
    expected = ((0, 0), (0, 0), 0) if decided else ((30, 30.0), (30, 30.0), 0)
    assert _state(url) == expected and _counts_kept(url)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM load_decision")
        assert cur.fetchone()[0] == 0


def test_a_server_without_prepared_transactions_gets_one_transaction(db):
    url, database = db
    result = load_range(database, _readers(30, 1.0), [1], DAY, concurrent=False)
    assert not result.concurrent and _state(url) == ((30, 30.0), (30, 30.0), 0)
    with pytest.raises(Exception, match="vanished"):
        load_range(database, _readers(20, 2.0, fail="energy"), [1], DAY, concurrent=False)
    assert _state(url) == ((30, 30.0), (30, 30.0), 0)


@pytest.mark.parametrize("concurrent", [True, False])
def test_a_load_leaves_fresh_planner_statistics_and_home_counts(db, concurrent):
    """The API's plans depend on them (a one-day query took 65 ms instead of 7.8 ms without): every table a
    load changes is analysed before the load returns, also when the statistics are refreshed in parallel."""
    url, database = db
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT now()")
        started = cur.fetchone()[0]
    load_range(database, _readers(25, 1.0), [1], DAY, concurrent=concurrent)
    # `home`, and the month partitions the load wrote into (not every month of the partitioned tables).
    touched = ["home", *(queries.month_partition(t, DAY[0]) for t in queries.LOADED_TABLES)]
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT relname, last_analyze FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            (touched,),
        )
        analysed = dict(cur.fetchall())
        cur.execute("SELECT weather_rows, energy_rows FROM home WHERE house_id = 1")
        assert cur.fetchone() == (25, 25)
    assert set(analysed) == set(touched)
    assert all(when is not None and when >= started for when in analysed.values()), analysed


def test_only_the_loaded_tables_can_be_analysed():
    assert queries.analyze(["weather", "home"]) == "ANALYZE weather (house_id, timeframe), home"
    partition = "energy_consuming_device_y2016m01"
    assert queries.analyze([partition]) == f"ANALYZE {partition} (house_id, timeframe)"
    for bad in ([], ["pg_class"], ["weather; DROP TABLE home"], ["weather_y2016m01; DROP TABLE home"]):
        with pytest.raises(ValueError):
            queries.analyze(bad)


class Refused(Exception):
    pass


@pytest.mark.parametrize("concurrent", [True, False])
def test_a_load_refused_before_its_commit_leaves_both_tables_as_they_were(db, concurrent):
    """What a failed blocking check does: every row is in, then the caller says no."""
    url, database = db
    load_range(database, _readers(30, 1.0), [1], DAY, concurrent=concurrent)
    before = _state(url)
    seen = []

    def refuse(load):
        seen.append(_state(url))  # called with the new rows in, none of them visible yet
        assert load.counts == {t: {(1, "2016-01-02"): 20} for t in ("weather", "energy")}  # as the load sees them
        raise Refused

    with pytest.raises(Refused):
        load_range(database, _readers(20, 2.0), [1], DAY, concurrent=concurrent, before_commit=refuse)
    assert seen[0][:2] == before[:2] and _state(url) == before and _counts_kept(url)


def _versions(url: str) -> dict[tuple[str, str], str]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT dataset, day::text, version::text FROM day_version")
        return {(dataset, day): version for dataset, day, version in cur.fetchall()}


@pytest.mark.parametrize("concurrent", [True, False])
def test_each_load_gives_its_days_new_versions_and_any_other_write_the_catch_all(db, concurrent):
    url, database = db
    two_days = [date(2016, 1, 2), date(2016, 1, 3)]
    load_range(database, _readers(30, 1.0), [1], two_days, concurrent=concurrent)
    first = _versions(url)
    assert {k for k in first if k[1] != "infinity"} == {
        (d, day) for d in ("weather", "energy") for day in ("2016-01-02", "2016-01-03")
    }
    load_range(database, _readers(30, 1.0), [1], DAY, concurrent=concurrent)  # the same rows again: new versions
    second = _versions(url)
    changed = {k for k in first if first[k] != second[k]}
    assert changed == {("weather", "2016-01-02"), ("energy", "2016-01-02")}
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE energy_consuming_device SET use_kw = 0 WHERE false")  # a write the loader did not mark
    third = _versions(url)
    assert {k for k in second if second[k] != third[k]} == {("energy", "infinity")}
