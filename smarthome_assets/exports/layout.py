"""Where the daily exports live in the object store (docs/GLOSSARY.md), what their CSV files hold, and
which file is current.

Files are never overwritten: a re-run writes new files, then replaces the day's manifest (the commit marker)
in one put, so a run that dies half-way leaves the previous files current. An export's CSV header is exactly
its warehouse staging table's column list (`EXPORT_COLUMNS`)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime

from smarthome_assets.homec import contract
from smarthome_assets.storage.object_store import ObjectNotFound, ObjectStore

#: The per-day tables, named after the API routes that serve them (/weather, /energy).
DAY_TABLES = ("weather", "energy")
HOMES = "homes"
_KEYS = ("house_id", "timeframe", "time_raw")

EXPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "weather": (*_KEYS, *(c.name for c in contract.WEATHER_COLUMNS)),
    "energy": (*_KEYS, *(c.name for c in contract.POWER_COLUMNS)),
    HOMES: ("house_id", "name", "first_reading", "last_reading", "weather_rows", "energy_rows", "updated_at"),
}
MANIFEST_VERSION = 1


def header_line(table: str) -> bytes:
    """The first line every export file of `table` must have, byte for byte."""
    return (",".join(EXPORT_COLUMNS[table]) + "\n").encode()


def stamp(at: datetime) -> str:
    """`20261127T020000Z`: the UTC time of an export, as it appears in file names."""
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def export_key(table: str, day: date | str, at: str) -> str:
    return f"exports/{table}/date={day}/{table}_{day}_{at}.csv"


def homes_key(at: str) -> str:
    return f"exports/{HOMES}/{HOMES}_{at}.csv"


def manifest_key(day: date | str) -> str:
    return f"exports/manifests/date={day}.json"


@dataclass(frozen=True)
class ExportFile:
    """One written export object and what was measured while writing it."""

    key: str
    rows: int  # data lines in the object (its header excluded)
    pages: int  # API pages it was assembled from
    bytes: int
    sha256: str


@dataclass
class DayManifest:
    """The current export of one day: a file per day table, and the homes snapshot taken by the same run."""

    day: str
    exported_at: str  # ISO-8601 UTC
    files: dict[str, ExportFile] = field(default_factory=dict)  # "weather", "energy", "homes"
    version: int = MANIFEST_VERSION
    #: PostgreSQL as the export found it: rows per table and sum(use_kw) ("weather", "energy", "use_kw"). The
    #: warehouse and the lake are copies of this export, so they are held to these figures, not to a
    #: PostgreSQL that may have moved on since (the day is then exported again). Empty in older manifests.
    postgres: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, store: ObjectStore, day: date | str) -> DayManifest | None:
        """The day's manifest, or None when the day was never exported (or by an older layout)."""
        try:
            data = json.loads(store.get_bytes(manifest_key(day)))
        except ObjectNotFound:
            return None
        if data.get("version") != MANIFEST_VERSION:
            return None
        files = {name: ExportFile(**f) for name, f in data.pop("files").items()}
        return cls(files=files, **data)

    def save(self, store: ObjectStore) -> None:
        """Make this the day's current export (one atomic put of a small JSON object)."""
        store.put_bytes(manifest_key(self.day), json.dumps(asdict(self), indent=2).encode())
