"""A synthetic year of one home, made by PostgreSQL itself (generate_series): the API benchmark's data.

Generated in SQL rather than through the pipeline so the API benchmark measures only the API, and a
fresh database is ready in seconds.
"""

from __future__ import annotations

import time
from pathlib import Path

import psycopg2

from smarthome_assets.database.migrate import apply_migrations
from smarthome_assets.homec import contract
from smarthome_assets.services import embedded_postgres

ROWS = contract.FULL_YEAR_ROWS
HOUSE = 1


def year_sql() -> list[str]:
    """A year of one home in SQL: readings with 6 decimals like HomeC's, weather changing every 58 rows."""
    power = ", ".join(c.name for c in contract.POWER_COLUMNS)
    power_values = ", ".join("round((random() * 2.5)::numeric, 6)::float8" for _ in contract.POWER_COLUMNS)
    weather = ", ".join(c.name for c in contract.WEATHER_COLUMNS)
    weather_values = []
    for column in contract.WEATHER_COLUMNS:
        if column.name == "icon":
            icons = "ARRAY[" + ", ".join(f"'{i}'" for i in contract.ICONS) + "]"
            weather_values.append(f"({icons})[1 + (i / 58) % {len(contract.ICONS)}]")
        elif column.name == "summary":
            summaries = "ARRAY[" + ", ".join(f"'{s}'" for s in contract.SUMMARIES) + "]"
            weather_values.append(f"({summaries})[1 + (i / 58) % {len(contract.SUMMARIES)}]")
        else:
            low = column.low or 0.0
            high = column.high if column.high is not None else low + 20
            weather_values.append(
                f"round(({low} + abs(sin(i / 58 + {len(weather_values)})) * {high - low})::numeric, 2)"
            )
    origin = "timestamptz '2016-01-01 05:00:00+00'"
    last = f"{origin} + interval '{ROWS - 1} minutes'"
    return [
        "SELECT setseed(0.42)",
        f"SELECT ensure_month_partitions((({origin}) AT TIME ZONE 'UTC')::date, (({last}) AT TIME ZONE 'UTC')::date)",
        f"INSERT INTO home (house_id, name, source_file, first_reading, last_reading, weather_rows, energy_rows) "
        f"VALUES ({HOUSE}, 'Synthetic year', 'generate_series', {origin}, {last}, {ROWS}, {ROWS})",
        "INSERT INTO device (house_id, device, name, raw_column, unit, kind) VALUES "
        + ", ".join(
            f"({HOUSE}, '{c.name}', '{contract.device_display_name(c)}', '{c.raw}', 'kW', '{c.kind.value}')"
            for c in contract.POWER_COLUMNS
        ),
        f"INSERT INTO energy_consuming_device (house_id, timeframe, time_raw, {power}) "
        f"SELECT {HOUSE}, {origin} + i * interval '1 minute', {contract.TIME_ORIGIN} + i, {power_values} "
        f"FROM generate_series(0, {ROWS - 1}) AS i",
        f"INSERT INTO weather (house_id, timeframe, time_raw, {weather}) "
        f"SELECT {HOUSE}, {origin} + i * interval '1 minute', {contract.TIME_ORIGIN} + i, {', '.join(weather_values)} "
        f"FROM generate_series(0, {ROWS - 1}) AS i",
    ]


#: A version for every day of the year, as `rds_tables` leaves them (the API's cache reads them).
DAY_VERSIONS = """
INSERT INTO day_version (dataset, day)
SELECT dataset, d::date FROM unnest(ARRAY['weather', 'energy']) AS dataset,
     generate_series(date '2016-01-01', date '2016-12-16', interval '1 day') AS d
ON CONFLICT (dataset, day) DO UPDATE SET version = gen_random_uuid()
"""


def prepare(home: Path, database: str) -> str:
    """Start the embedded server under `home`, migrate, load the year once; return the admin URL."""
    url = embedded_postgres.server_url(home / "postgres", database)
    apply_migrations(url)
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM energy_consuming_device")
        if cur.fetchone()[0] != ROWS:
            started = time.perf_counter()
            cur.execute("TRUNCATE home, device, weather, energy_consuming_device")
            for statement in year_sql():
                cur.execute(statement)
            cur.execute(DAY_VERSIONS)
            cur.execute("VACUUM ANALYZE home, device, weather, energy_consuming_device, day_version")
            print(f"loaded a synthetic year ({ROWS:,} rows per table) in {time.perf_counter() - started:.1f} s")
    conn.close()
    return url
