"""Write exported days into the lake as Parquet (the work behind the `lake_parquet` asset).

The rows are the API's: each day's current export files (named by the export manifest, the files the
warehouse loads too) are read with the lake's column types and written as one Parquet file per table and day,
sorted by home and minute (so each row group's statistics bound its time range), zstd-compressed. The bytes
depend only on the rows, so a re-run of an unchanged day writes the same file, and the write is skipped.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from smarthome_assets.exports.layout import EXPORT_COLUMNS, DayManifest
from smarthome_assets.lake import layout
from smarthome_assets.storage.object_store import ObjectNotFound, ObjectStore


class LakeWriteError(RuntimeError):
    """A day could not be written to the lake; every day's previous file stays as it was."""


@dataclass(frozen=True)
class LakeFile:
    """One written (or already current) lake object and what it holds."""

    key: str
    rows: int
    bytes: int
    sha256: str
    written: bool  # False: the object already held exactly these bytes


@dataclass
class LakeReport:
    """What a run wrote: ISO day -> table -> its file."""

    days: dict[str, dict[str, LakeFile]] = field(default_factory=dict)

    def files(self) -> list[LakeFile]:
        return [f for tables in self.days.values() for f in tables.values()]

    def total(self, attribute: str, table: str | None = None) -> int:
        return sum(
            getattr(f, attribute) for tables in self.days.values() for t, f in tables.items() if table in (None, t)
        )


def _read_options(table: str) -> tuple[pcsv.ReadOptions, pcsv.ConvertOptions]:
    schema = layout.SCHEMAS[table]
    read = pcsv.ReadOptions(column_names=list(schema.names), skip_rows=1, block_size=4 << 20)
    convert = pcsv.ConvertOptions(
        column_types={f.name: f.type for f in schema},
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
        timestamp_parsers=[pcsv.ISO8601],
    )
    return read, convert


def export_rows(store: ObjectStore, table: str, key: str) -> pa.Table:
    """An export file's rows with the lake's types (its header checked against the export's columns)."""
    path = store.local_path(key)
    try:
        data = path.read_bytes() if path is not None else store.get_bytes(key)
    except (FileNotFoundError, ObjectNotFound) as exc:
        raise LakeWriteError(f"export file {key} is missing: re-run daily_exports for its day") from exc
    header = data.split(b"\n", 1)[0].decode("utf-8", "replace")
    if header.split(",") != list(EXPORT_COLUMNS[table]):
        raise LakeWriteError(f"{key}: header {header[:80]!r} is not the {table} export's columns")
    read, convert = _read_options(table)
    try:
        rows = pcsv.read_csv(io.BytesIO(data), read_options=read, convert_options=convert)
    except pa.ArrowInvalid as exc:
        raise LakeWriteError(f"{key}: not a readable {table} export ({exc})") from exc
    return rows.cast(layout.SCHEMAS[table])


def parquet_bytes(rows: pa.Table) -> bytes:
    """The day's file: sorted by (house_id, timeframe), zstd, Athena-sized row groups, statistics kept."""
    if rows.num_rows:
        rows = rows.take(pc.sort_indices(rows, sort_keys=[("house_id", "ascending"), ("timeframe", "ascending")]))
    sink = io.BytesIO()
    pq.write_table(
        rows,
        sink,
        compression=layout.COMPRESSION,
        row_group_size=layout.ROW_GROUP_ROWS,
        write_statistics=True,
        coerce_timestamps="us",
    )
    return sink.getvalue()


def _current_sha(store: ObjectStore, key: str) -> str | None:
    path = store.local_path(key)
    try:
        data = path.read_bytes() if path is not None else store.get_bytes(key)
    except (FileNotFoundError, ObjectNotFound):
        return None
    return hashlib.sha256(data).hexdigest()


def write_day(store: ObjectStore, day: date, manifest: DayManifest) -> dict[str, LakeFile]:
    """Both tables of one day. Each file is converted in memory first, then put whole (one atomic write)."""
    converted = {}
    for table in layout.TABLES:
        if table not in manifest.files:
            raise LakeWriteError(f"{day}: the export manifest lists no {table} file")
        rows = export_rows(store, table, manifest.files[table].key)
        if rows.num_rows != manifest.files[table].rows:
            raise LakeWriteError(
                f"{day}: {manifest.files[table].key} holds {rows.num_rows:,} rows, its manifest says "
                f"{manifest.files[table].rows:,}"
            )
        converted[table] = (rows.num_rows, parquet_bytes(rows))
    files = {}
    for table, (rows, data) in converted.items():
        key, sha = layout.part_key(table, day), hashlib.sha256(data).hexdigest()
        written = _current_sha(store, key) != sha
        if written:
            store.put_bytes(key, data)
        files[table] = LakeFile(key=key, rows=rows, bytes=len(data), sha256=sha, written=written)
    return files


def write_days(
    store: ObjectStore, days: list[date], progress: Callable[[str], None] | None = None, workers: int = 2
) -> LakeReport:
    """Every day's current export into the lake, `workers` days at a time (Arrow's parsing and Parquet's encoding
    release the GIL). All manifests are checked before anything is written, so a day range with an unexported
    day changes nothing; a failure stops the range with the days written so far complete and current."""
    manifests: dict[date, DayManifest] = {}
    missing = []
    for day in days:
        manifest = DayManifest.load(store, day)
        if manifest is None:
            missing.append(str(day))
        else:
            manifests[day] = manifest
    if missing:
        raise LakeWriteError(
            f"not exported: {', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''} "
            "(materialize daily_exports for these days first); the lake is unchanged"
        )
    report = LakeReport()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lake") as pool:
        ordered = sorted(manifests.items())
        for done, (day, files) in enumerate(
            zip((d for d, _ in ordered), pool.map(lambda item: write_day(store, *item), ordered), strict=True),
            start=1,
        ):
            report.days[str(day)] = files
            if progress and (done % 60 == 0 or done == len(manifests)):
                progress(f"lake: {done}/{len(manifests)} days")
    return report
