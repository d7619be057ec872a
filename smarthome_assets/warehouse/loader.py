"""Load exported days into the warehouse, the way Redshift is loaded: COPY to staging, then merge.

1. Plan (outside any transaction): each day's export manifest names its current files; every file must
   exist, be non-empty and start with its staging table's header. Any problem fails the load before the
   warehouse is touched, naming every bad day.
2. Schema: CREATE TABLE IF NOT EXISTS (warehouse/sql/schema.sql), in its own transaction.
3. One transaction: lock and clear staging, COPY each staging table from a COPY manifest of the files,
   compare the staged rows per day with the export manifests, then rebuild dimensions and replace the
   facts of exactly the loaded days (warehouse/sql/merge.sql). Commit, or nothing happened.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from smarthome_assets.exports.layout import DAY_TABLES, EXPORT_COLUMNS, HOMES, DayManifest, header_line
from smarthome_assets.storage.object_store import ObjectStore
from smarthome_assets.warehouse import objects
from smarthome_assets.warehouse.resource import Warehouse, WarehouseSession
from smarthome_assets.warehouse.sql_files import copy_statement, statement, statements

#: Export table -> staging table.
STAGING_TABLES = {HOMES: "stg_home", "weather": "stg_weather", "energy": "stg_energy"}
_STAGED_COUNTS = {"weather": "staged_weather_per_day", "energy": "staged_energy_per_day"}


class LoadError(RuntimeError):
    """The load did not happen; the warehouse is as it was."""


def date_key(day: date | str) -> int:
    """yyyymmdd, the warehouse's day key."""
    return int(str(day).replace("-", ""))


def day_params(days: list[date]) -> dict[str, int]:
    return {"first_key": date_key(min(days)), "last_key": date_key(max(days))}


@dataclass
class LoadPlan:
    days: list[date]
    manifests: dict[str, DayManifest]  # ISO day -> its current export
    keys: dict[str, list[str]]  # export table -> the objects to COPY

    def exported_rows(self, table: str) -> dict[int, int]:
        """Rows in the export files per date key, as measured when they were written."""
        return {date_key(day): m.files[table].rows for day, m in self.manifests.items()}


@dataclass
class WarehouseLoad:
    days: list[date]
    manifests: dict[str, DayManifest] = field(default_factory=dict)  # ISO day -> the export it loaded
    copied: dict[str, int] = field(default_factory=dict)  # staging table -> rows COPY reported
    staged: dict[str, dict[int, int]] = field(default_factory=dict)  # export table -> date key -> rows
    seconds: dict[str, float] = field(default_factory=dict)


def plan_load(store: ObjectStore, days: list[date]) -> LoadPlan:
    """The current export files of `days`, each checked; LoadError listing every problem otherwise."""
    problems: list[str] = []
    manifests: dict[str, DayManifest] = {}
    for day in days:
        manifest = DayManifest.load(store, day)
        if manifest is None:
            problems.append(f"{day}: not exported (materialize daily_exports for this day first)")
        elif missing := [t for t in (*DAY_TABLES, HOMES) if t not in manifest.files]:
            problems.append(f"{day}: the export manifest lists no {', '.join(missing)} file")
        else:
            manifests[str(day)] = manifest
    keys = {table: [m.files[table].key for m in manifests.values()] for table in DAY_TABLES}
    if manifests:
        newest = max(manifests.values(), key=lambda m: m.exported_at)
        keys[HOMES] = [newest.files[HOMES].key]
    for table, table_keys in keys.items():
        for key in dict.fromkeys(table_keys):
            try:
                objects.check_header(store, key, header_line(table))
            except objects.ExportFileProblem as exc:
                problems.append(str(exc))
    if problems:
        raise LoadError(f"cannot load {len(days)} day(s); the warehouse is unchanged:\n  " + "\n  ".join(problems))
    return LoadPlan(days=days, manifests=manifests, keys=keys)


def ensure_schema(warehouse: Warehouse, store: ObjectStore) -> None:
    """Create any missing warehouse table, and on Redshift the lake's external schema (idempotent)."""
    with warehouse.session(store) as session:
        for item in statements("schema"):
            session.execute(item.sql)
        for sql in warehouse.external_schemas():
            session.execute(sql)


def _write_copy_manifests(store: ObjectStore, plan: LoadPlan) -> dict[str, str]:
    """One Redshift COPY manifest per staging table; returns export table -> manifest key."""
    run = f"{plan.days[0]}_{plan.days[-1]}_{uuid.uuid4().hex[:8]}"
    written = {}
    for table, keys in plan.keys.items():
        key = f"warehouse/copy/{STAGING_TABLES[table]}_{run}.json"
        store.put_bytes(key, objects.copy_manifest(store, keys))
        written[table] = key
    return written


def _verify_staged(session: WarehouseSession, plan: LoadPlan) -> dict[str, dict[int, int]]:
    """Staged rows per day == rows in the export files per day, for both day tables."""
    staged: dict[str, dict[int, int]] = {}
    for table, query in _STAGED_COUNTS.items():
        got = {int(k): int(n) for k, n in session.query(statement("counts", query))}
        expected = {k: n for k, n in plan.exported_rows(table).items() if n}
        if got != expected:
            wrong = {
                k: (expected.get(k, 0), got.get(k, 0))
                for k in set(got) | set(expected)
                if expected.get(k, 0) != got.get(k, 0)
            }
            raise LoadError(
                f"{table}: staged rows differ from the export files (day: exported, staged): "
                f"{dict(sorted(wrong.items())[:10])}; nothing was loaded"
            )
        staged[table] = got
    return staged


def load_days(
    warehouse: Warehouse, store: ObjectStore, days: list[date], log: Callable[[str], None] = lambda message: None
) -> WarehouseLoad:
    """Replace `days` in the warehouse with their current exports, in one transaction."""
    days = sorted(days)
    plan = plan_load(store, days)
    ensure_schema(warehouse, store)
    result = WarehouseLoad(days=days, manifests=plan.manifests)
    manifest_keys = _write_copy_manifests(store, plan)
    try:
        with warehouse.session(store) as session:
            started = time.perf_counter()
            for item in statements("stage"):
                session.execute(item.sql)
            for table, key in manifest_keys.items():
                sql = copy_statement(STAGING_TABLES[table], EXPORT_COLUMNS[table], store.uri(key), warehouse.iam_role)
                result.copied[STAGING_TABLES[table]] = session.copy(sql)
            result.staged = _verify_staged(session, plan)
            result.seconds["copy"] = time.perf_counter() - started
            log(
                f"staged {sum(result.copied.values()):,} rows from {sum(map(len, plan.keys.values()))} files "
                f"in {result.seconds['copy']:.1f}s"
            )
            started = time.perf_counter()
            for item in statements("merge"):
                session.execute(item.sql, day_params(days))
            result.seconds["merge"] = time.perf_counter() - started
            log(f"merged {len(days)} day(s) into dimensions and facts in {result.seconds['merge']:.1f}s")
    finally:
        for key in manifest_keys.values():
            store.delete(key)
    return result


def warehouse_counts(warehouse: Warehouse, store: ObjectStore, days: list[date]) -> dict[str, dict[int, int]]:
    """Rows in the warehouse per date key over `days`: weather and energy minutes, device-minutes."""
    queries = {
        "weather": "weather_minutes_per_day",
        "energy": "energy_minutes_per_day",
        "device_minutes": "device_minutes_per_day",
    }
    with warehouse.session(store) as session:
        return {
            name: {int(k): int(n) for k, n in session.query(statement("counts", query), day_params(days))}
            for name, query in queries.items()
        }


def use_kw_per_day(warehouse: Warehouse, store: ObjectStore, days: list[date]) -> dict[str, float]:
    """sum(use_kw) of fact_energy_minute per ISO day over `days` (0.0 for a day without minutes)."""
    sums = {str(day): 0.0 for day in days}
    by_key = {date_key(day): str(day) for day in days}
    with warehouse.session(store) as session:
        for key, total in session.query(statement("counts", "use_kw_per_day"), day_params(days)):
            if int(key) in by_key:
                sums[by_key[int(key)]] = float(total or 0.0)
    return sums


def energy_per_month(warehouse: Warehouse, store: ObjectStore) -> dict[str, tuple[int, float]]:
    """`YYYY-MM` -> (minutes, sum(use_kw)) in fact_energy_minute."""
    with warehouse.session(store) as session:
        rows = session.query(statement("counts", "energy_per_month"))
    return {f"{int(k) // 100}-{int(k) % 100:02d}": (int(n), float(s or 0.0)) for k, n, s in rows}


def duplicate_minutes(warehouse: Warehouse, store: ObjectStore, days: list[date]) -> int:
    with warehouse.session(store) as session:
        return int(session.query(statement("counts", "duplicate_energy_minutes"), day_params(days))[0][0])


def table_rows(warehouse: Warehouse, store: ObjectStore) -> dict[str, int]:
    """Rows in every dimension and fact (for the run summary)."""
    with warehouse.session(store) as session:
        return {name: int(n) for name, n in session.query(statement("counts", "table_rows"))}
