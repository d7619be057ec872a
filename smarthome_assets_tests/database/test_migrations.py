import psycopg2

from smarthome_assets.database.migrate import MigrationError, apply_migrations
from smarthome_assets.homec import contract


def _columns(url: str, table: str) -> list[str]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
            (table,),
        )
        return [r[0] for r in cur.fetchall()]


def test_migrations_apply_once_and_match_the_contract(fresh_database):
    url, _ = fresh_database
    first = apply_migrations(url)
    assert first and first[0] == "0001_operational_schema"
    assert apply_migrations(url) == []  # idempotent
    keys = ["house_id", "timeframe", "time_raw"]
    assert _columns(url, "weather") == keys + [c.name for c in contract.WEATHER_COLUMNS]
    assert _columns(url, "energy_consuming_device") == keys + [c.name for c in contract.POWER_COLUMNS]


def test_an_edited_migration_is_refused(fresh_database, tmp_path, monkeypatch):
    url, _ = fresh_database
    apply_migrations(url)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE schema_migrations SET checksum = 'x' WHERE version = '0001_operational_schema'")
    try:
        apply_migrations(url)
    except MigrationError as exc:
        assert "0001_operational_schema" in str(exc)
    else:
        raise AssertionError("an edited migration must be refused")


def test_a_database_migrated_before_comments_left_the_checksum_is_still_accepted(fresh_database):
    """Databases migrated by earlier releases recorded the whole file's sha256; fixing a comment in an
    applied migration must not lock them out, and a changed statement is still refused."""
    url, _ = fresh_database
    apply_migrations(url)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE schema_migrations SET checksum = "
            "'979e93ad8d4bc6feb3115dae982ab68c899f13308eb77cdd918e3198f9b09211' "
            "WHERE version = '0001_operational_schema'"
        )
    assert apply_migrations(url) == []


def test_only_comments_are_left_out_of_the_checksum():
    from smarthome_assets.database.migrate import Migration

    base = Migration("0001", "-- what it is\nCREATE TABLE t (a int);\n")
    assert base.checksum == Migration("0001", "-- what it really is\nCREATE TABLE t (a int);\n").checksum
    assert base.checksum != Migration("0001", "-- what it is\nCREATE TABLE t (a bigint);\n").checksum


def _package_of_the_first(tmp_path, monkeypatch, count: int) -> str:
    """A migrations package holding only the first `count` migrations: a database as an earlier release left it."""
    from importlib import resources

    package = tmp_path / f"early_migrations_{count}"
    package.mkdir()
    (package / "__init__.py").write_text("")
    files = sorted(
        f for f in resources.files("smarthome_assets.database.migrations").iterdir() if f.name.endswith(".sql")
    )
    for source in files[:count]:
        (package / source.name).write_text(source.read_text())
    monkeypatch.syspath_prepend(str(tmp_path))
    return package.name


def test_a_database_of_the_unpartitioned_release_moves_its_rows_into_month_partitions(
    fresh_database, tmp_path, monkeypatch
):
    """Migrations 0006-0007 on a database migrated up to 0005 with rows in it: the rows move into their months
    unchanged, each home's row counts are taken once, and the day versions' triggers are on the new tables."""
    url, _ = fresh_database
    assert apply_migrations(url, _package_of_the_first(tmp_path, monkeypatch, 5))[-1] == "0005_day_versions"
    power = ", ".join(c.name for c in contract.POWER_COLUMNS)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO home (house_id, name, source_file) VALUES (1, 'a', 'a.csv'), (2, 'b', 'b.csv')")
        for house, minutes in ((1, 90), (2, 3)):  # home 1 spans a month's end
            cur.execute(
                f"INSERT INTO energy_consuming_device (house_id, timeframe, time_raw, {power}) "
                f"SELECT %s, timestamptz '2016-01-31 23:00+00' + n * interval '1 minute', n, "
                f"{', '.join('n' for _ in contract.POWER_COLUMNS)} FROM generate_series(0, %s - 1) AS n",
                (house, minutes),
            )
        cur.execute("SELECT sum(use_kw), count(*) FROM energy_consuming_device")
        before = cur.fetchone()

    assert apply_migrations(url) == ["0006_monthly_partitions", "0007_home_row_counts"]
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT sum(use_kw), count(*) FROM energy_consuming_device")
        assert cur.fetchone() == before
        cur.execute(
            "SELECT c.relname, count(*) FROM energy_consuming_device e JOIN pg_class c ON c.oid = e.tableoid "
            "GROUP BY 1 ORDER BY 1"
        )
        assert cur.fetchall() == [("energy_consuming_device_y2016m01", 63), ("energy_consuming_device_y2016m02", 30)]
        cur.execute("SELECT dataset, house_id, rows FROM home_rows ORDER BY 1, 2")
        assert cur.fetchall() == [("energy", 1, 90), ("energy", 2, 3)]
        cur.execute("SELECT version FROM day_version WHERE dataset = 'energy' AND day = 'infinity'")
        version = cur.fetchone()[0]
        cur.execute("DELETE FROM energy_consuming_device WHERE house_id = 2")  # a write the loader did not mark
        cur.execute("SELECT version FROM day_version WHERE dataset = 'energy' AND day = 'infinity'")
        assert cur.fetchone()[0] != version
    try:  # a minute of a month without its partition is refused, never kept in a catch-all
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute(
                f"INSERT INTO energy_consuming_device (house_id, timeframe, time_raw, {power}) "
                f"VALUES (1, '2017-06-01T00:00Z', 0, {', '.join('0' for _ in contract.POWER_COLUMNS)})"
            )
    except psycopg2.errors.CheckViolation as exc:
        assert "no partition" in str(exc)
    else:
        raise AssertionError("a row outside every partition must be refused")


def test_a_database_that_ran_the_partition_migrations_under_their_first_numbers_is_up_to_date(fresh_database):
    """Issue 19's work numbered them 0005 and 0006 before 0005_day_versions existed: recorded under those names,
    they are not applied a second time (which would fail: the tables are partitioned already)."""
    url, _ = fresh_database
    apply_migrations(url)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE schema_migrations SET version = '0005_monthly_partitions' WHERE version LIKE '0006%'")
        cur.execute("UPDATE schema_migrations SET version = '0006_home_row_counts' WHERE version LIKE '0007%'")
    assert apply_migrations(url) == []
