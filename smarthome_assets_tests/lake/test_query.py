"""`smarthome query`: read-only is enforced, a bad query gets one named line, `date` filters prune files, the
named queries run on DuckDB (and parse as Athena's Trino SQL; Athena itself cannot run here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot

from smarthome_assets.lake import engine, query
from smarthome_assets.lake.writer import write_days
from smarthome_assets.storage.object_store import LocalObjectStore
from smarthome_assets_tests.support.whole_chain import days, kw, readings, write_day_export

DAYS = days(3)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """A SMARTHOME_HOME whose object store holds a three-day lake (two homes)."""
    home = tmp_path_factory.mktemp("home")
    store = LocalObjectStore(root=str(home / "object_store"))
    for day in DAYS:
        write_day_export(store, day)
    write_days(store, DAYS)
    return home


@pytest.fixture
def conn(home):
    return query.sandboxed(engine.Lake(LocalObjectStore(root=str(home / "object_store"))).root())


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SMARTHOME_HOME": str(home), "SMARTHOME_ENV": "local"}
    return subprocess.run(
        [sys.executable, "-m", "smarthome_assets.cli.main", "query", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE t AS SELECT 1",
        "INSERT INTO energy SELECT * FROM energy",
        "DROP VIEW energy",
        "COPY (SELECT 1) TO '{out}'",
        "ATTACH '{out}' AS other",
        "SET threads = 8",
        "INSTALL httpfs",
        "SELECT 1; SELECT 2",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_parquet('{lake}/../../outside.parquet')",
        "EXPLAIN ANALYZE COPY (SELECT 1) TO '{out}'",
    ],
)
def test_read_only_is_enforced(conn, home, tmp_path, sql):
    out = tmp_path / "written.csv"
    with pytest.raises(query.LakeQueryError) as refused:
        query.run(conn, sql.format(out=out, lake=home / "object_store" / "lake"))
    assert "\n" not in str(refused.value)
    assert not out.exists()
    assert query.run(conn, "SELECT count(*) FROM energy").rows == [(3 * 2 * 1440,)]  # the views are intact


def test_a_bad_query_gets_one_named_line_and_no_traceback(home):
    done = _cli(home, "selec count(*) from energy")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        'smarthome query: LakeQueryError: Parser Error: syntax error at or near "selec"'
    ]
    missing = _cli(home, "select nosuch from energy")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert (
        missing.stderr.startswith("smarthome query: LakeQueryError: Binder Error:") and missing.stderr.count("\n") == 1
    )
    written = _cli(home, "insert into energy select * from energy")
    assert written.stderr.strip() == (
        "smarthome query: LakeQueryError: read-only: INSERT statements are refused (SELECT and EXPLAIN only)"
    )


def test_the_count_matches_and_csv_output(home):
    done = _cli(home, "--csv", "select date, count(*) as n from energy group by 1 order by 1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["date,n", *(f"{d},{2 * 1440}" for d in DAYS)]
    table = _cli(home, "select count(*) as n from energy")
    assert table.stdout.split() == ["n", "-", str(3 * 2 * 1440)] or table.stdout.split()[-1] == str(3 * 2 * 1440)


def test_a_date_filter_reads_only_that_days_file(home, conn):
    """Pruning shown two ways: DuckDB's own count of files read, and a damaged file of another day that a
    filtered query never opens."""
    done = _cli(home, "--files", f"select count(*) from energy where date = '{DAYS[1]}'")
    assert done.returncode == 0 and done.stdout.split()[-1] == str(2 * 1440)
    assert done.stderr.strip() == "read 1 lake file(s) of 3 (pruned by date)"
    everything = _cli(home, "--files", "select count(*) from energy")
    assert everything.stderr.strip() == "read 3 lake file(s) (no date filter)"

    # not the first day: DuckDB reads the first file's footer for the views' schema
    damaged = home / "object_store" / "lake" / "energy" / f"date={DAYS[1]}" / "part-00000.parquet"
    saved = damaged.read_bytes()
    try:
        damaged.write_bytes(b"not parquet at all")
        assert query.run(conn, "SELECT count(*) FROM energy WHERE date = ?", [str(DAYS[2])]).rows == [(2 * 1440,)]
        with pytest.raises(query.LakeQueryError):
            query.run(conn, "SELECT count(*) FROM energy")
    finally:
        damaged.write_bytes(saved)


def test_the_named_queries_run_on_duckdb(conn, home):
    sql, values = query.named("day_energy_per_device", [str(DAYS[1])])
    result = query.run(conn, sql, values)
    assert [r[0] for r in result.rows] == [1, 2] and result.columns[:3] == ["house_id", "minutes", "use_kwh"]
    expected = round(sum(kw(1, minute, 0) for minute in range(1440)) / 60, 3)
    assert result.rows[0][1] == 1440 and result.rows[0][2] == pytest.approx(expected, abs=1e-3)

    sql, values = query.named("month_hourly_profile", [str(DAYS[0]), str(DAYS[-1])])
    profile = query.run(conn, sql, values)
    assert len(profile.rows) == 2 * 24 and sum(r[2] for r in profile.rows) == 3 * 2 * 1440

    sql, values = query.named("weather_vs_use", [str(DAYS[0]), str(DAYS[1])])
    versus = query.run(conn, sql, values)
    assert len(versus.rows) == 2 * 2 and {r[5] for r in versus.rows} == {1440}
    temperature = sum(r[3] for r in readings("weather", DAYS[0], homes=(1,))) / 1440
    assert versus.rows[0][2] == pytest.approx(temperature, abs=0.01)

    cli = _cli(home, "--files", "--named", "month_hourly_profile", str(DAYS[0]), str(DAYS[0]))
    assert cli.returncode == 0 and cli.stderr.strip() == "read 1 lake file(s) of 3 (pruned by date)"
    with pytest.raises(query.LakeQueryError, match="takes 2 value"):
        query.named("weather_vs_use", ["2016-01-01"])


@pytest.mark.parametrize("name", sorted(query.named_queries()))
def test_the_named_queries_parse_as_athena_sql(name):
    """What Athena runs (Trino SQL); that Athena itself plans them cannot be checked here."""
    parsed = sqlglot.parse_one(query.named_queries()[name].sql.replace("?", "'2016-01-01'"), read="athena")
    assert parsed.find(sqlglot.exp.Select) is not None


def test_a_slow_query_is_interrupted_and_rows_are_capped(conn):
    slow = "SELECT count(*) FROM range(100000000000) a"
    with pytest.raises(query.LakeQueryError, match=r"interrupted after the 0\.5 s time limit"):
        query.run(conn, slow, timeout_seconds=0.5)
    capped = query.run(conn, "SELECT * FROM energy", max_rows=5)
    assert len(capped.rows) == 5 and capped.truncated
