"""Helpers for the export and warehouse tests: deterministic readings, written to PostgreSQL or as export files.

One source of rows (`readings`) serves both: the operational tables (for tests that go through the API)
and export CSV files written directly into an object store (for warehouse tests that skip the API). The
rows have what the warehouse must cope with: several homes, weather that changes every 58 minutes, a
missing weather icon (condition `unknown`), tiny values in scientific notation, a home name with a comma.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
from dagster_duckdb import DuckDBResource

from smarthome_assets.database.connection import PostgresUrl
from smarthome_assets.database.migrate import apply_migrations
from smarthome_assets.exports import layout
from smarthome_assets.exports.api_client import ApiClient
from smarthome_assets.homec import contract
from smarthome_assets.ingestion.sources import HomeCSources
from smarthome_assets.lake.engine import Lake
from smarthome_assets.storage.object_store import LocalObjectStore, ObjectStore
from smarthome_assets.warehouse.resource import PostgresWarehouse

HOMES = (1, 2)
FIRST_DAY = date(2016, 1, 1)
DAY_MINUTES = contract.MINUTES_PER_DAY
HOME_NAMES = {1: "Home 1, Main St", 2: "home_02"}


def _instant(day: date, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minute)


def _time_raw(at: datetime) -> int:
    return contract.TIME_ORIGIN + int((at - contract.TIMEFRAME_ORIGIN).total_seconds() // 60)


def kw(house: int, minute: int, column: int) -> float:
    raw = (house * 7919 + minute * 104_729 + column * 15_485_863) % 100_000
    return raw / 1e9 if raw % 97 == 0 else round(raw / 100_000 * 3.0, 6)


def weather(house: int, day: date, minute: int) -> list[Any]:
    period = (day.toordinal() * DAY_MINUTES + minute) // contract.WEATHER_PERIOD_ROWS
    seed = house * 31 + period * 17
    values: list[Any] = []
    for column in contract.WEATHER_COLUMNS:
        if column.name == "icon":
            values.append(None if minute == 700 else contract.ICONS[seed % 4])
        elif column.name == "summary":
            values.append(contract.SUMMARIES[seed % 3])
        else:
            low = column.low if column.low is not None else 0.0
            high = column.high if column.high is not None else low + 20.0
            values.append(round(low + (seed * 7 % 100) / 100 * (high - low), 2))
    return values


def readings(table: str, day: date, homes: tuple[int, ...] = HOMES, minutes: int = DAY_MINUTES) -> list[list[Any]]:
    """Rows of `weather` or `energy` for one UTC day, in export column order (house_id, timeframe, time_raw, ...)."""
    rows = []
    for house in homes:
        for minute in range(minutes):
            at = _instant(day, minute)
            values = (
                weather(house, day, minute)
                if table == "weather"
                else [kw(house, minute, i) for i in range(len(contract.POWER_COLUMNS))]
            )
            rows.append([house, at, _time_raw(at), *values])
    return rows


def _csv(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, datetime) else v for v in row])
    return out.getvalue()


def fill_operational(url: str, days: list[date], homes: tuple[int, ...] = HOMES) -> None:
    """Migrate the operational database and fill it with `readings` for `days`."""
    apply_migrations(url)
    tables = {"weather": "weather", "energy": "energy_consuming_device"}
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        home_rows = [[h, HOME_NAMES.get(h, f"home_{h:02d}"), f"/data/home_{h:02d}.csv"] for h in homes]
        cur.copy_expert(
            "COPY home (house_id, name, source_file) FROM STDIN WITH (FORMAT csv)", io.StringIO(_csv(home_rows))
        )
        cur.execute("SELECT ensure_month_partitions(%s, %s)", (min(days), max(days)))  # as the loader does
        for table, target in tables.items():
            columns = ", ".join(layout.EXPORT_COLUMNS[table])
            for day in days:
                data = io.StringIO(_csv(readings(table, day, homes)))
                cur.copy_expert(f"COPY {target} ({columns}) FROM STDIN WITH (FORMAT csv)", data)


def write_day_export(
    store: ObjectStore,
    day: date,
    *,
    stamp: str = "20260101T000000Z",
    homes: tuple[int, ...] = HOMES,
    rows: dict[str, list[list[Any]]] | None = None,
) -> layout.DayManifest:
    """Export files and the manifest of one day, written directly (what daily_exports would write)."""
    rows = dict(rows) if rows else {table: readings(table, day, homes) for table in layout.DAY_TABLES}
    rows[layout.HOMES] = [[h, HOME_NAMES.get(h, f"home_{h:02d}"), "", "", 0, 0, ""] for h in homes]
    files = {}
    for table, table_rows in rows.items():
        data = (layout.header_line(table).decode() + _csv(table_rows)).encode()
        key = layout.homes_key(stamp) if table == layout.HOMES else layout.export_key(table, day, stamp)
        store.put_bytes(key, data)
        files[table] = layout.ExportFile(key, len(table_rows), 1, len(data), hashlib.sha256(data).hexdigest())
    manifest = layout.DayManifest(
        day=str(day), exported_at=f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T00:00:00+00:00", files=files
    )
    manifest.save(store)
    return manifest


def days(count: int, first: date = FIRST_DAY) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]


def table_digest(url: str, table: str) -> tuple[int, str]:
    """(rows, md5 of the sorted rows): equal digests mean equal table contents."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {table} AS t")
        count, digest = cur.fetchone()
    return int(count), digest


WAREHOUSE_TABLES = (
    "dim_home",
    "dim_device",
    "dim_date",
    "dim_weather_condition",
    "fact_energy_minute",
    "fact_device_hourly",
    "fact_weather_hourly",
)


def warehouse_digest(url: str) -> dict[str, tuple[int, str]]:
    return {table: table_digest(url, table) for table in WAREHOUSE_TABLES}


def whole_chain_resources(tmp_path: Path, url: str, warehouse_url: str, sources: Sequence[Path] = ()) -> dict[str, Any]:
    """The local resources of every asset, on the test's folder, operational database and warehouse database."""
    store = LocalObjectStore(root=str(tmp_path / "store"))
    return {
        "dashboard_dir": str(tmp_path / "dashboard"),
        "object_store": store,
        "lake": Lake(store=store, cache_dir=str(tmp_path / "lake_cache")),
        "lake_duckdb": DuckDBResource(database=str(tmp_path / "lake.duckdb")),
        "postgres": PostgresUrl(database_url=url),
        "sources": HomeCSources(paths=[str(f) for f in sources]),
        "api_client": ApiClient(database=PostgresUrl(database_url=url)),
        "warehouse": PostgresWarehouse(database=PostgresUrl(database_url=warehouse_url)),
    }
