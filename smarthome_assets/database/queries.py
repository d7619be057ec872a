"""Every SQL statement the pipeline runs against the operational database, in one place.

Parameters are always bound (psycopg2's %s and %(name)s); table names come from the fixed `LOADED_TABLES`
mapping, never from input.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

#: Clean-zone table name -> PostgreSQL table.
LOADED_TABLES = {"weather": "weather", "energy": "energy_consuming_device"}

UPSERT_HOME = """
INSERT INTO home (house_id, name, source_file, source_sha256, updated_at)
VALUES (%s, %s, %s, %s, now())
ON CONFLICT (house_id) DO UPDATE
SET name = EXCLUDED.name, source_file = EXCLUDED.source_file,
    source_sha256 = EXCLUDED.source_sha256, updated_at = now()
"""

UPSERT_DEVICE = """
INSERT INTO device (house_id, device, name, raw_column, unit, kind)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (house_id, device) DO UPDATE
SET name = EXCLUDED.name, raw_column = EXCLUDED.raw_column, unit = EXCLUDED.unit, kind = EXCLUDED.kind
"""

SELECT_HOMES = """
SELECT house_id, name, source_file, first_reading, last_reading, weather_rows, energy_rows
FROM home ORDER BY house_id
"""

#: The newest UTC day with readings before a given day (what the exports should have reached).
NEWEST_DAY_BEFORE = """
SELECT (max(timeframe) AT TIME ZONE 'UTC')::date FROM energy_consuming_device
WHERE timeframe < (%s::date)::timestamp AT TIME ZONE 'UTC'
"""

DEVICES_PER_HOME = "SELECT house_id, count(*) FROM device GROUP BY house_id"

#: The tables a load changes, which `analyze` accepts (a fixed list: no name from input reaches SQL), and their
#: month partitions (migration 0006), named from the month by `month_partition`.
ANALYZED_TABLES = ("home", *LOADED_TABLES.values())
_MONTH_PARTITION = re.compile(r"^(weather|energy_consuming_device)_y\d{4}m\d{2}$")

#: Every load makes sure the months of its days have their partitions (migration 0006's function).
ENSURE_MONTH_PARTITIONS = "SELECT ensure_month_partitions(%s::date, %s::date)"


def month_partition(table: str, month: date) -> str:
    """The partition of `table` (a clean table: "weather" / "energy") holding `month`'s rows."""
    return f"{LOADED_TABLES[table]}_y{month.year:04d}m{month.month:02d}"


def month_partitions(table: str, first_day: date, last_day: date) -> list[str]:
    """The partitions of `table` holding the days first_day..last_day."""
    months, month = [], first_day.replace(day=1)
    while month <= last_day:
        months.append(month_partition(table, month))
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def analyze(tables) -> str:
    """ANALYZE of some of the tables a load changes (planner statistics): `home`, or month partitions. A
    partitioned parent is not analysed after a load: that would sample every month there is, and the plans of
    the API and the loads prune to months, whose statistics are the ones used. Of the per-minute tables only
    the columns every query filters or orders by: the rest would cost three times as much and change no plan
    (autovacuum analyses the whole table in its own time)."""
    unknown = {t for t in tables if t not in ANALYZED_TABLES and not _MONTH_PARTITION.match(t)}
    if unknown or not tables:
        raise ValueError(f"not a loaded table: {sorted(unknown)}")
    return "ANALYZE " + ", ".join(t if t == "home" else f"{t} (house_id, timeframe)" for t in tables)


MISSING_HOMES = "SELECT h FROM unnest(%s::integer[]) AS h WHERE h NOT IN (SELECT house_id FROM home)"

#: Marks the transaction's writes as the loader's: migration 0005's trigger leaves their day versions to it.
MARK_VERSIONED_LOAD = "SELECT set_config('smarthome.versioned_load', 'on', true)"
#: A new version for every UTC day of [start, end) of one dataset, in the transaction that replaces its rows
#: (the API's cache keys a past day's answer by it: lambda_api/cache.py).
BUMP_DAY_VERSIONS = """
INSERT INTO day_version (dataset, day)
SELECT %(dataset)s, d::date
FROM generate_series(%(start)s::timestamptz AT TIME ZONE 'UTC',
                     %(end)s::timestamptz AT TIME ZONE 'UTC' - interval '1 day', interval '1 day') AS d
ON CONFLICT (dataset, day) DO UPDATE SET version = gen_random_uuid()
"""


def delete_range(table: str) -> str:
    """Rows of the given homes in [start, end): what a load of that range replaces."""
    return (
        f"DELETE FROM {LOADED_TABLES[table]} WHERE house_id = ANY(%s::integer[]) AND timeframe >= %s AND timeframe < %s"
    )


def delete_range_counted(table: str) -> str:
    """`delete_range`, returning how many rows each home lost (what the home's row count loses)."""
    return f"WITH gone AS ({delete_range(table)} RETURNING house_id) SELECT house_id, count(*) FROM gone GROUP BY 1"


#: Add each home's change of rows to its count for one dataset (migration 0007), in the load's transaction.
ADJUST_HOME_ROWS = """
INSERT INTO home_rows (dataset, house_id, rows)
SELECT %s, changed.house_id, changed.delta FROM unnest(%s::integer[], %s::bigint[]) AS changed(house_id, delta)
ON CONFLICT (dataset, house_id) DO UPDATE SET rows = home_rows.rows + EXCLUDED.rows
"""


#: Homes with readings in [start, end) by their statistics: a load replaces their rows too, so a home whose
#: deliveries no longer cover the range loses its rows there (its statistics are refreshed after every load).
HOMES_WITH_READINGS_IN = "SELECT house_id FROM home WHERE first_reading < %(end)s AND last_reading >= %(start)s"


def refresh_home_stats() -> str:
    """Each loaded home's first/last reading (two index probes per month partition) and row counts (the counts
    each load keeps in `home_rows`): nothing here reads the home's history."""
    return """
UPDATE home AS h
SET first_reading = span.first_reading, last_reading = span.last_reading,
    weather_rows = coalesce(w.rows, 0), energy_rows = coalesce(e.rows, 0), updated_at = now()
FROM unnest(%(homes)s::integer[]) AS ids(house_id)
CROSS JOIN LATERAL (SELECT min(timeframe) AS first_reading, max(timeframe) AS last_reading
                    FROM weather WHERE weather.house_id = ids.house_id) AS span
LEFT JOIN home_rows AS w ON w.dataset = 'weather' AND w.house_id = ids.house_id
LEFT JOIN home_rows AS e ON e.dataset = 'energy' AND e.house_id = ids.house_id
WHERE h.house_id = ids.house_id
"""


def count_per_day(table: str) -> str:
    """Rows per (home, UTC day) in [start, end): what the reconciliation check compares."""
    return (
        f"SELECT house_id, (timeframe AT TIME ZONE 'UTC')::date AS day, count(*) FROM {LOADED_TABLES[table]} "
        "WHERE timeframe >= %s AND timeframe < %s GROUP BY 1, 2"
    )


#: sum(use_kw) per UTC day in [start, end), all homes: what the lake's agreement check compares.
USE_KW_PER_DAY = """
SELECT (timeframe AT TIME ZONE 'UTC')::date AS day, sum(use_kw) FROM energy_consuming_device
WHERE timeframe >= %s AND timeframe < %s GROUP BY 1
"""
#: Energy rows and sum(use_kw) per UTC month, all homes: the dashboard's agreement table.
ENERGY_PER_MONTH = """
SELECT to_char(timeframe AT TIME ZONE 'UTC', 'YYYY-MM'), count(*), sum(use_kw) FROM energy_consuming_device GROUP BY 1
"""

#: Two-phase loads (loading.py): the prefix of their transaction ids, and their decision records.
LOAD_GID_PREFIX = "smarthome-load:"
LOCK_LOADS = "SELECT pg_advisory_lock(hashtext('smarthome-load'))"
MAX_PREPARED = "SELECT current_setting('max_prepared_transactions')::int"
PREPARED_LOADS = "SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND gid LIKE %s"
DECIDED_LOADS = "SELECT load_id FROM load_decision"
RECORD_DECISION = "INSERT INTO load_decision (load_id) VALUES (%s)"
FORGET_DECISION = "DELETE FROM load_decision WHERE load_id = %s"


def copy_binary(table: str, columns: list[str]) -> str:
    """COPY of one loaded table from the client in binary format, `columns` being the stream's fields in order
    (the clean schema's names: no input reaches this text)."""
    if not all(re.fullmatch(r"[a-z_][a-z0-9_]*", c) for c in columns):
        raise ValueError(f"not plain column names: {columns}")
    return f"COPY {LOADED_TABLES[table]} ({', '.join(columns)}) FROM STDIN WITH (FORMAT binary)"
