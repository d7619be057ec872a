"""Land a delivery of the incoming zone and stage it by day (the work behind the sensor and `raw_csv`).

Atomic on a directory and on S3: everything goes under a new version, and the delivery's manifest, written
last in one put, makes it current; only then are the previous version's objects deleted. An unchanged
delivery (fingerprint or checksum) is skipped, a duplicate of a current delivery of the same home writes
nothing, and a rejected file leaves nothing."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from smarthome_assets.homec.reader import ReadReport, TimeAxis, read_days
from smarthome_assets.ingestion import arrow_files, incoming, layout
from smarthome_assets.ingestion.incoming import Delivery
from smarthome_assets.ingestion.registry import HomeRegistry
from smarthome_assets.storage.object_store import ObjectNotFound, ObjectStore, sha256_of_file

MANIFEST_VERSION = 4  # 3: one manifest per delivery, versioned staged objects; 4: lines counted on the bytes

LANDED, UNCHANGED, DUPLICATE = "landed", "unchanged", "duplicate"


@dataclass
class Manifest:
    """What landing one delivery produced. `data_lines` is counted on the file's bytes, apart from the parser,
    so the blocking check `data_lines == staged_rows + quarantined_rows + joined_lines` fails if a line is ever
    lost (`joined_lines`: the extra physical lines of quoted records spanning several lines)."""

    file: str  # `<home>/<name>`: the delivery's path in the incoming zone
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
    landing: str = ""  # the current version's id: every staged/raw object of this delivery carries it
    landed_ns: int = 0  # landing order: between deliveries of a home, the newest wins minute by minute
    fingerprint: str = ""  # the incoming object's fingerprint when landed: unchanged without a read
    joined_lines: int = 0
    version: int = MANIFEST_VERSION
    skipped: bool = field(default=False, compare=False)

    @property
    def balanced(self) -> bool:
        """Every physical line of the file staged or quarantined (what the blocking check asks)."""
        return self.data_lines == self.staged_rows + self.quarantined_rows + self.joined_lines

    @property
    def home(self) -> str:
        return self.file.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.file.split("/", 1)[1]

    def staged_key(self, day: str) -> str:
        return layout.staged_day_key(day, self.house_id, self.name, self.landing)

    @classmethod
    def load(cls, store: ObjectStore, delivery: str) -> Manifest | None:
        try:
            return cls.parse(store.get_bytes(layout.manifest_key(delivery)))
        except ObjectNotFound:
            return None

    @classmethod
    def parse(cls, raw: bytes) -> Manifest | None:
        data = json.loads(raw)
        data.pop("skipped", None)
        return cls(**data) if data.get("version") == MANIFEST_VERSION else None

    def save(self, store: ObjectStore) -> None:
        data = asdict(self)
        data.pop("skipped")
        store.put_bytes(layout.manifest_key(self.file), json.dumps(data, indent=2).encode())


@dataclass
class Landing:
    """The outcome for one delivery, and the days whose staged rows it changed."""

    delivery: Delivery
    outcome: str  # LANDED, UNCHANGED or DUPLICATE (a rejected file raises instead)
    manifest: Manifest | None
    previous_days: set[str] = field(default_factory=set)
    reason: str = ""

    @property
    def days(self) -> list[str]:
        """Days to (re)process: the new version's and the previous version's (those it no longer has lose
        this delivery's rows). Unchanged: the current version's days (re-requesting them is harmless)."""
        if self.manifest is None:
            return []
        return sorted(set(self.manifest.rows_per_day) | self.previous_days)


def land_delivery(
    store: ObjectStore,
    delivery: Delivery,
    axis: TimeAxis,
    fingerprint: str = "",
    log: Callable[[str], None] | None = None,
) -> Landing:
    """Land and stage one delivery, or skip it (unchanged, duplicate). Raises SourceFormatError on an
    unusable file, leaving no trace of it."""
    previous = Manifest.load(store, delivery.path)
    axis_key = describe_axis(axis)
    if previous and previous.time_axis == axis_key and fingerprint and previous.fingerprint == fingerprint:
        previous.skipped = True
        return Landing(delivery, UNCHANGED, previous, reason="same fingerprint")
    with _local_copy(store, delivery) as path:
        sha256 = sha256_of_file(path)
        if previous and (previous.sha256, previous.time_axis) == (sha256, axis_key):
            previous.fingerprint = fingerprint or previous.fingerprint
            previous.save(store)  # same version, new fingerprint: the next check needs no read
            previous.skipped = True
            return Landing(delivery, UNCHANGED, previous, reason="same checksum")
        if previous is None:
            twin = _same_bytes(store, delivery, sha256, axis_key)
            if twin is not None:
                reason = f"duplicate of {twin.file}: same bytes, nothing changed"
                return Landing(delivery, DUPLICATE, None, reason=reason)
        registry = HomeRegistry.load(store)
        home = registry.register(delivery.home)
        landed_ns = time.time_ns()
        manifest = Manifest(
            file=delivery.path,
            house_id=home.house_id,
            sha256=sha256,
            size_bytes=path.stat().st_size,
            data_lines=0,
            staged_rows=0,
            quarantined_rows=0,
            quarantine_reasons={},
            rows_per_day={},
            quarantine_key=None,
            time_axis=axis_key,
            landing=f"{landed_ns}",
            landed_ns=landed_ns,
            fingerprint=fingerprint,
        )
        written: list[str] = [layout.source_key(delivery.path, manifest.landing)]
        try:
            # The raw copy (system calls, or an S3 upload) on a thread of its own while the file is parsed;
            # leaving the `with` waits for it, so the cleanup below never races it.
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="raw-copy") as copier:
                copy = copier.submit(store.put_file, written[0], path)
                report = _stage(store, path, manifest, axis, written, log)
                copy.result()
        except BaseException:
            for key in written:  # a rejected or interrupted landing leaves nothing of its version
                store.delete(key)
            raise
    manifest.data_lines = report.data_lines
    manifest.staged_rows = report.staged_rows
    manifest.quarantined_rows = len(report.quarantined)
    manifest.joined_lines = report.joined_lines
    manifest.quarantine_reasons = report.quarantine_counts()
    manifest.rows_per_day = dict(sorted(report.rows_per_day.items()))
    manifest.quarantine_key = _write_quarantine(store, report, delivery.path, sha256)
    registry.save(store)  # before the switch: a manifest's house_id is always registered
    manifest.save(store)  # the switch
    if previous is not None:
        _delete_version(store, previous, keep_quarantine=manifest.quarantine_key)
    return Landing(delivery, LANDED, manifest, previous_days=set(previous.rows_per_day) if previous else set())


def describe_axis(axis: TimeAxis) -> str:
    return (
        f"{axis.time_origin}@{axis.timeframe_origin.isoformat()}/{axis.seconds_per_unit}s"
        f"[{axis.first_day or ''}..{axis.last_day or ''}]"
    )


#: Staged days being written while the reader parses the next ones (bounds the memory they hold).
STAGING_WRITES_IN_FLIGHT = 4


def _stage(store, path: Path, manifest: Manifest, axis: TimeAxis, written: list[str], log) -> ReadReport:
    """Parse the file and write each day's staged object, the writes on a thread of their own.

    A write is mostly system calls (creating the file and its folders; an S3 PUT's round trip) that
    release the GIL, so the reader parses on meanwhile (a good part of a landing's time is these writes).
    One writer keeps them in order (a day a restarted read emits again is written again,
    after the first). Every key is in `written` before its write starts, and the pool is drained before
    an error leaves, so the caller's cleanup never races a write.
    """
    days, report = read_days(path, manifest.file, axis)
    in_flight: deque[Future] = deque()
    staged: list[str] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="staging-writer") as writer:
        for number, (day, table) in enumerate(days, start=1):
            key = manifest.staged_key(str(day))
            if key not in written:
                written.append(key)
                staged.append(key)
            in_flight.append(writer.submit(arrow_files.write_table, store, key, table))
            while len(in_flight) > STAGING_WRITES_IN_FLIGHT or (in_flight and in_flight[0].done()):
                in_flight.popleft().result()  # a failed write fails the landing here
            if log and number % 60 == 0:
                log(f"{manifest.file}: staged {number} days (up to {day})")
        while in_flight:
            in_flight.popleft().result()
    keep = {manifest.staged_key(d) for d in report.rows_per_day}
    for key in [k for k in staged if k not in keep]:  # a day a restarted read emitted, then quarantined
        store.delete(key)
        written.remove(key)
    return report


class _local_copy:
    """The delivery as a local file: the object itself on a directory store, a temporary download on S3."""

    def __init__(self, store: ObjectStore, delivery: Delivery):
        self.store, self.delivery, self._tmp = store, delivery, None

    def __enter__(self) -> Path:
        local = self.store.local_path(self.delivery.key)
        if local is not None:
            if not local.is_file():
                raise ObjectNotFound(f"no delivery {self.delivery.key!r}")
            return local
        self._tmp = tempfile.TemporaryDirectory(prefix="smarthome-landing-")
        path = Path(self._tmp.name) / self.delivery.name
        self.store.get_file(self.delivery.key, path)
        return path

    def __exit__(self, *exc) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def _same_bytes(store: ObjectStore, delivery: Delivery, sha256: str, axis_key: str) -> Manifest | None:
    for other in current_manifests(store, home=delivery.home):
        if other.file != delivery.path and (other.sha256, other.time_axis) == (sha256, axis_key):
            return other
    return None


def _delete_version(store: ObjectStore, previous: Manifest, keep_quarantine: str | None) -> None:
    """The replaced version's objects (after the switch: a kill here only leaves unreferenced objects)."""
    for day in previous.rows_per_day:
        store.delete(previous.staged_key(day))
    store.delete(layout.source_key(previous.file, previous.landing))
    if previous.quarantine_key and previous.quarantine_key != keep_quarantine:
        store.delete(previous.quarantine_key)


def _write_quarantine(store: ObjectStore, report: ReadReport, delivery: str, sha256: str) -> str | None:
    if not report.quarantined:
        return None
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["file", "line", "reason", "column", "row_text"])
    for q in sorted(report.quarantined, key=lambda q: q.line):
        writer.writerow([report.file, q.line, q.reason, q.column or "", q.text])
    key = layout.quarantine_key(delivery, sha256)
    store.put_bytes(key, buffer.getvalue().encode())
    return key


def current_manifests(store: ObjectStore, home: str | None = None) -> list[Manifest]:
    """The manifests of every landed delivery (of one home), oldest landing first."""
    prefix = layout.manifest_prefix() + (f"{home}/" if home else "")
    manifests = []
    for key in store.list_keys(prefix):
        if key.endswith(".json"):
            try:
                manifest = Manifest.parse(store.get_bytes(key))
            except ObjectNotFound:
                continue
            if manifest is not None:
                manifests.append(manifest)
    return sorted(manifests, key=lambda m: (m.landed_ns, m.file))


def deliver_local(store: ObjectStore, path: Path, timeframe_origin: datetime) -> Delivery:
    """Deliver a local file into the incoming zone (incoming.deliver), except that bytes already landed
    for a home go to that home under their own name: the same data under another name is a duplicate
    of that home's delivery, not a second home."""
    sha256 = sha256_of_file(path)
    twin = next((m for m in current_manifests(store) if m.sha256 == sha256), None)
    if twin is not None:
        return incoming.deliver(store, path, timeframe_origin, home=twin.home)
    return incoming.deliver(store, path, timeframe_origin)


def manifests_for_days(manifests: list[Manifest], days) -> list[Manifest]:
    """The manifests with rows on any of the days (what a run for those days is about)."""
    wanted = {str(d) for d in days}
    return [m for m in manifests if wanted.intersection(m.rows_per_day)]


def merged_reasons(manifests: list[Manifest]) -> dict[str, int]:
    """Quarantine reasons -> rows, over several files."""
    reasons: dict[str, int] = {}
    for m in manifests:
        for reason, n in m.quarantine_reasons.items():
            reasons[reason] = reasons.get(reason, 0) + n
    return reasons
