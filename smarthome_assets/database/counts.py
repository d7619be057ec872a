"""Rows the operational database holds per home and UTC day: what every reconciliation downstream of
PostgreSQL compares against (the load's own check, the exports, the warehouse, the lake)."""

from __future__ import annotations

from datetime import date

from smarthome_assets.database import queries
from smarthome_assets.database.connection import PostgresDatabase
from smarthome_assets.database.loading import day_range_bounds

#: dataset (`weather`, `energy`) -> (house_id, ISO day) -> rows
HomeDayCounts = dict[str, dict[tuple[int, str], int]]


def rows_per_home_day(db: PostgresDatabase, days: list[date]) -> HomeDayCounts:
    """Rows of both loaded tables per (home, day) over `days` (days without rows are absent)."""
    start, end = day_range_bounds(days)
    counts: HomeDayCounts = {}
    with db.connect() as conn, conn.cursor() as cur:
        for dataset in queries.LOADED_TABLES:
            cur.execute(queries.count_per_day(dataset), (start, end))
            counts[dataset] = {(house, str(day)): n for house, day, n in cur.fetchall()}
    return counts


def rows_per_day(db: PostgresDatabase, days: list[date]) -> dict[str, dict[str, int]]:
    """Rows of both loaded tables per day, all homes together; every day of `days` present (0 when empty)."""
    per_day = {dataset: {str(day): 0 for day in days} for dataset in queries.LOADED_TABLES}
    for dataset, counts in rows_per_home_day(db, days).items():
        for (_house, day), n in counts.items():
            per_day[dataset][day] += n
    return per_day


def use_kw_per_day(db: PostgresDatabase, days: list[date]) -> dict[str, float]:
    """sum(use_kw) of `energy_consuming_device` per UTC day, all homes; every day of `days` present (0.0 when empty)."""
    start, end = day_range_bounds(days)
    sums = {str(day): 0.0 for day in days}
    with db.connect() as conn, conn.cursor() as cur:
        cur.execute(queries.USE_KW_PER_DAY, (start, end))
        for day, total in cur.fetchall():
            if str(day) in sums:
                sums[str(day)] = float(total or 0.0)
    return sums


def energy_per_month(db: PostgresDatabase) -> dict[str, tuple[int, float]]:
    """`YYYY-MM` -> (energy rows, sum(use_kw)) over the whole table, all homes."""
    with db.connect() as conn, conn.cursor() as cur:
        cur.execute(queries.ENERGY_PER_MONTH)
        return {str(m): (int(n), float(s or 0.0)) for m, n, s in cur.fetchall()}
