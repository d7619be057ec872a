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
