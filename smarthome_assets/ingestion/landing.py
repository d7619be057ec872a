"""Land a HomeC file in the raw zone and stage it by day (the work behind the `raw_csv` asset).

A file whose checksum matches its manifest is skipped: nothing is re-read or re-written. Otherwise the
file is copied byte for byte into `raw/source/`, read once in bounded memory (homec.reader), and each
day is written as an Arrow file so that a day's downstream work reads only that day. The manifest
is written last: it is the commit marker, so an interrupted landing is simply redone next time.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from smarthome_assets.homec.reader import ReadReport, TimeAxis, read_days
from smarthome_assets.ingestion import arrow_files, layout
from smarthome_assets.ingestion.registry import HomeRegistry, RegisteredHome
from smarthome_assets.storage.object_store import ObjectNotFound, ObjectStore, sha256_of_file

MANIFEST_VERSION = 3  # 2: records the time axis; 3: data_lines counted on the bytes, quotes never parsed


@dataclass
class Manifest:
    """What landing one file produced. `data_lines` is counted on the file's bytes, apart from the parser, so
    the blocking check `data_lines == staged_rows + quarantined_rows` fails if a line is ever lost."""

    file: str
    house_id: int
    sha256: str
    size_bytes: int
    data_lines: int
    staged_rows: int
    quarantined_rows: int
    quarantine_reasons: dict[str, int]
    rows_per_day: dict[str, int]
    quarantine_key: str | None
    time_axis: str = ""  # how `time` became days: a changed axis (origin, date range) means staging again
    version: int = MANIFEST_VERSION
    skipped: bool = field(default=False, compare=False)

    @classmethod
    def load(cls, store: ObjectStore, file_name: str) -> Manifest | None:
        try:
            data = json.loads(store.get_bytes(layout.manifest_key(file_name)))
        except ObjectNotFound:
            return None
        data.pop("skipped", None)
        return cls(**data) if data.get("version") == MANIFEST_VERSION else None

    def save(self, store: ObjectStore) -> None:
        data = asdict(self)
        data.pop("skipped")
        store.put_bytes(layout.manifest_key(self.file), json.dumps(data, indent=2).encode())


def land_file(store: ObjectStore, path: Path, home: RegisteredHome, axis: TimeAxis, log=None) -> Manifest:
    """Land and stage one file, or skip it when unchanged. Raises SourceFormatError on unusable files."""
    sha256 = sha256_of_file(path)
    previous = Manifest.load(store, home.source_file)
    axis_key = describe_axis(axis)
    if previous and (previous.sha256, previous.house_id, previous.time_axis) == (sha256, home.house_id, axis_key):
        previous.skipped = True
        return previous
    days, report = read_days(path, home.source_file, axis)
    written: set[str] = set()
    for number, (day, table) in enumerate(days, start=1):
        arrow_files.write_table(store, layout.staged_day_key(day, home.house_id), table)
        written.add(str(day))
        if log and number % 60 == 0:
            log(f"{home.source_file}: staged {number} days (up to {day})")
    _remove_stale_days(store, previous, written, home.house_id)
    store.put_file(layout.source_key(home.source_file), path)
    quarantine_key = _write_quarantine(store, report, sha256)
    manifest = Manifest(
        file=home.source_file,
        house_id=home.house_id,
        sha256=sha256,
        size_bytes=path.stat().st_size,
        data_lines=report.data_lines,
        staged_rows=report.staged_rows,
        quarantined_rows=len(report.quarantined),
        quarantine_reasons=report.quarantine_counts(),
        rows_per_day=dict(sorted(report.rows_per_day.items())),
        quarantine_key=quarantine_key,
        time_axis=axis_key,
    )
    manifest.save(store)
    return manifest


def describe_axis(axis: TimeAxis) -> str:
    return (
        f"{axis.time_origin}@{axis.timeframe_origin.isoformat()}/{axis.seconds_per_unit}s"
        f"[{axis.first_day or ''}..{axis.last_day or ''}]"
    )


def _remove_stale_days(store: ObjectStore, previous: Manifest | None, written: set[str], house_id: int) -> None:
    """Days the previous version of the file had and this one has not: their staged rows must go."""
    if previous is None:
        return
    for day in set(previous.rows_per_day) - written:
        store.delete(layout.staged_day_key(day, house_id))


def _write_quarantine(store: ObjectStore, report: ReadReport, sha256: str) -> str | None:
    if not report.quarantined:
        return None
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["file", "line", "reason", "column", "row_text"])
    for q in sorted(report.quarantined, key=lambda q: q.line):
        writer.writerow([report.file, q.line, q.reason, q.column or "", q.text])
    key = layout.quarantine_key(report.file, sha256)
    store.put_bytes(key, buffer.getvalue().encode())
    return key


def current_manifests(store: ObjectStore) -> list[Manifest]:
    """The landing manifests of every registered home (the record of what raw_csv staged)."""
    manifests = [Manifest.load(store, home.source_file) for home in HomeRegistry.load(store).homes]
    return [m for m in manifests if m is not None]


def merged_reasons(manifests: list[Manifest]) -> dict[str, int]:
    """Quarantine reasons -> rows, over several files."""
    reasons: dict[str, int] = {}
    for m in manifests:
        for reason, n in m.quarantine_reasons.items():
            reasons[reason] = reasons.get(reason, 0) + n
    return reasons
