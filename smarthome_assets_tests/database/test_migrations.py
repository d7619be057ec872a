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
