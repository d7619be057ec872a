"""Export days through the API into CSV files in the object store (the work behind `daily_exports`).

A run takes one UTC timestamp (its `stamp`, in every file name it writes), lists the homes once, then
exports each day: every page of /weather and /energy for [day, day + 1) is converted to CSV rows (Arrow's
CSV writer: no per-value Python work), the day's two files are written, and only then is the day's
manifest replaced. A day that fails midway has its new files removed and keeps its previous manifest,
so no partial export ever becomes current. Days run a few at a time (`ApiClient.concurrency`); memory
is a few days' files whatever the number of days.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from smarthome_assets.exports import layout
from smarthome_assets.exports.api_client import ApiError, ApiSession
from smarthome_assets.homec import contract
from smarthome_assets.storage.object_store import ObjectStore

#: API route of each exported table.
ROUTES = {"weather": "/weather", "energy": "/energy", layout.HOMES: "/homes"}
_TEXT = {c.name for c in contract.WEATHER_TEXT_COLUMNS} | {
    "timeframe",
    "name",
    "first_reading",
    "last_reading",
    "updated_at",
}
_INTEGER = {"house_id", "time_raw", "weather_rows", "energy_rows"}
_CSV_OPTIONS = pcsv.WriteOptions(include_header=False, quoting_style="needed")


class ExportError(RuntimeError):
    """A day could not be exported; its previous export (if any) stays current."""


def _arrow_type(column: str) -> pa.DataType:
    if column in _INTEGER:
        return pa.int64()
    return pa.string() if column in _TEXT else pa.float64()


SCHEMAS = {table: pa.schema([(c, _arrow_type(c)) for c in columns]) for table, columns in layout.EXPORT_COLUMNS.items()}


def rows_to_table(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    """API rows (JSON objects) as an Arrow table in the export column order."""
    schema = SCHEMAS[table]
    if rows and set(rows[0]) != set(schema.names):
        raise ExportError(f"the API's {table} columns {sorted(rows[0])} are not the export's {list(schema.names)}")
    try:
        arrays = [pa.array([row[name] for row in rows], type=schema.field(name).type) for name in schema.names]
    except (KeyError, pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise ExportError(f"the API returned {table} rows of an unexpected shape: {exc}") from exc
    return pa.Table.from_arrays(arrays, schema=schema)


def check_window(table: str, rows: pa.Table, start: datetime, end: datetime) -> None:
    """Refuse a page holding a row outside [start, end): the API answered another request's question."""
    if rows.num_rows == 0:
        return
    instants = pc.cast(rows["timeframe"], pa.timestamp("us", tz="UTC"))
    low, high = pc.min_max(instants).values()
    if instants.null_count or low.as_py() < start or high.as_py() >= end:
        raise ExportError(f"the API returned {table} rows from {low} to {high} for [{start}, {end})")


@dataclass(frozen=True)
class Fetched:
    data: bytes  # the whole CSV file, header included
    rows: int
    pages: int


def fetch_csv(
    session: ApiSession, table: str, params: dict[str, Any], window: tuple[datetime, datetime] | None = None
) -> Fetched:
    """Every page of a table's route as one CSV file (each page checked against `window` when given)."""
    chunks, rows, pages = [layout.header_line(table)], 0, 0
    for page in session.pages(ROUTES[table], params):
        arrow = rows_to_table(table, page.rows)
        if window:
            check_window(table, arrow, *window)
        if page.rows:
            sink = io.BytesIO()
            pcsv.write_csv(arrow, sink, _CSV_OPTIONS)
            chunks.append(sink.getvalue())
        rows += len(page.rows)
        pages += 1
    return Fetched(b"".join(chunks), rows, pages)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def day_window(day: date) -> dict[str, str]:
    """The API's timeframe of one UTC day: start inclusive, end exclusive."""
    return {"start": f"{day}T00:00:00Z", "end": f"{day + timedelta(days=1)}T00:00:00Z"}


def put_export(store: ObjectStore, key: str, fetched: Fetched) -> layout.ExportFile:
    store.put_bytes(key, fetched.data)
    return layout.ExportFile(
        key=key,
        rows=fetched.rows,
        pages=fetched.pages,
        bytes=len(fetched.data),
        sha256=hashlib.sha256(fetched.data).hexdigest(),
    )


def count_data_lines(store: ObjectStore, key: str) -> int:
    """Data lines of a stored export (header excluded), read back from the store."""
    path = store.local_path(key)
    data = path.read_bytes() if path is not None else store.get_bytes(key)
    return max(data.count(b"\n") - 1, 0)


def choose_stamp(store: ObjectStore, now: datetime) -> str:
    """The run's stamp: the export time in whole seconds, moved on while a run of that second exists."""
    at = now.astimezone(UTC).replace(microsecond=0)
    while store.exists(layout.homes_key(layout.stamp(at))):
        at += timedelta(seconds=1)
    return layout.stamp(at)


@dataclass
class ExportReport:
    """What a run exported: the new manifest of every day, and the API traffic it took."""

    stamp: str
    homes: layout.ExportFile
    days: dict[str, layout.DayManifest] = field(default_factory=dict)
    requests: int = 0
    retries: int = 0

    def total(self, table: str, attribute: str) -> int:
        return sum(getattr(m.files[table], attribute) for m in self.days.values())


class ExportRun:
    """One run's exports, all under one stamp."""

    def __init__(self, session: ApiSession, store: ObjectStore, page_rows: int, now: datetime | None = None):
        self.session = session
        self.store = store
        self.page_rows = page_rows
        self.exported_at = (now or datetime.now(UTC)).astimezone(UTC)
        self.stamp = choose_stamp(store, self.exported_at)

    def export_homes(self) -> layout.ExportFile:
        """The homes, listed once per run (the warehouse's home dimension comes from this file)."""
        return put_export(self.store, layout.homes_key(self.stamp), fetch_csv(self.session, layout.HOMES, {}))

    def export_day(self, day: date, homes: layout.ExportFile, postgres: dict[str, float]) -> layout.DayManifest:
        """Both tables of one day, then the day's manifest; on failure nothing of the day changes."""
        written: list[str] = []
        try:
            files = {layout.HOMES: homes}
            for table in layout.DAY_TABLES:
                fetched = fetch_csv(
                    self.session, table, {**day_window(day), "limit": self.page_rows}, window=day_bounds(day)
                )
                key = layout.export_key(table, day, self.stamp)
                written.append(key)
                files[table] = put_export(self.store, key, fetched)
            manifest = layout.DayManifest(
                day=str(day), exported_at=self.exported_at.isoformat(), files=files, postgres=postgres
            )
            manifest.save(self.store)
            return manifest
        except BaseException as exc:
            for key in written:
                self.store.delete(key)
            if isinstance(exc, ApiError | ExportError):
                raise ExportError(f"{day}: {exc}") from exc
            raise


def export_days(
    session: ApiSession,
    store: ObjectStore,
    days: list[date],
    *,
    page_rows: int,
    concurrency: int,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
    postgres: dict[str, dict[str, float]] | None = None,
) -> ExportReport:
    """Export every day (a few at a time); the first failure stops the run and is raised. `postgres`: day ->
    PostgreSQL's figures as the export found them, kept in the day's manifest."""
    run = ExportRun(session, store, page_rows, now)
    report = ExportReport(stamp=run.stamp, homes=run.export_homes())
    lock = threading.Lock()

    def one(day: date) -> None:
        manifest = run.export_day(day, report.homes, (postgres or {}).get(str(day), {}))
        with lock:
            report.days[str(day)] = manifest
            done = len(report.days)
        if progress and (done % 30 == 0 or done == len(days)):
            progress(f"exported {done}/{len(days)} days")

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="export") as pool:
        futures = [pool.submit(one, day) for day in days]
        wait(futures, return_when=FIRST_EXCEPTION)
        failed = [f for f in futures if f.done() and f.exception() is not None]
        if failed:
            for future in futures:
                future.cancel()
            wait(futures)
            raise failed[0].exception()
    report.days = dict(sorted(report.days.items()))
    report.requests, report.retries = session.requests, session.retries
    return report
