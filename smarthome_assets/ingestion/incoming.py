"""The incoming zone: what homes deliver, how each home declares its time axis, and how a local file is
delivered into it (what `smarthome run --csv` and `sources` paths do, so there is one way in).

The layout and its rules are in docs/GLOSSARY.md. Plain code, no Dagster: the sensor
(defs/ingestion/sensors.py), `raw_csv` and the CLI use the same functions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from smarthome_assets.homec import contract
from smarthome_assets.homec.reader import TimeAxis
from smarthome_assets.ingestion import layout
from smarthome_assets.storage.object_store import ObjectNotFound, ObjectStore, sha256_of_file

ROW_POSITION, UNIX_SECONDS = "row_position", "unix_seconds"
TIME_AXES = (ROW_POSITION, UNIX_SECONDS)
_HOME_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class DeliveryError(ValueError):
    """A delivery or a `_source.json` that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Delivery:
    """One file in the incoming zone: `incoming/<home>/<name>`."""

    home: str
    name: str

    @property
    def path(self) -> str:
        """`<home>/<name>`: the delivery's identity in manifests, run keys and messages."""
        return f"{self.home}/{self.name}"

    @property
    def key(self) -> str:
        return layout.incoming_key(self.home, self.name)


@dataclass(frozen=True)
class SourceDeclaration:
    """A home's `_source.json`: how its `time` column becomes instants (docs/GLOSSARY.md)."""

    time_axis: str = ROW_POSITION
    timeframe_origin: datetime = contract.TIMEFRAME_ORIGIN
    origin: str = ""  # where `smarthome run --csv` copied the file from (identifies the home; see deliver)

    def axis(self, first_day: date, last_day: date | None = None) -> TimeAxis:
        """The reader's time axis; rows outside [first_day, last_day] are quarantined by the reader."""
        if self.time_axis == UNIX_SECONDS:
            return TimeAxis(
                time_origin=0, timeframe_origin=EPOCH, seconds_per_unit=1, first_day=first_day, last_day=last_day
            )
        return TimeAxis(timeframe_origin=self.timeframe_origin, first_day=first_day, last_day=last_day)

    def to_json(self) -> bytes:
        data = {"time_axis": self.time_axis}
        if self.time_axis == ROW_POSITION:
            data["timeframe_origin"] = self.timeframe_origin.isoformat()
        if self.origin:
            data["origin"] = self.origin
        return json.dumps(data, indent=2).encode()

    @classmethod
    def parse(cls, home: str, raw: bytes) -> SourceDeclaration:
        where = f"incoming/{home}/{layout.SOURCE_DECLARATION}"
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise DeliveryError(f"{where}: not JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise DeliveryError(f'{where}: expected an object like {{"time_axis": "unix_seconds"}}')
        axis = data.get("time_axis", ROW_POSITION)
        if axis not in TIME_AXES:
            raise DeliveryError(f"{where}: time_axis must be one of {', '.join(TIME_AXES)}, not {axis!r}")
        origin = data.get("timeframe_origin")
        try:
            parsed = datetime.fromisoformat(origin) if origin else contract.TIMEFRAME_ORIGIN
        except (TypeError, ValueError) as exc:
            raise DeliveryError(f"{where}: timeframe_origin must be ISO 8601, not {origin!r}") from exc
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return cls(time_axis=axis, timeframe_origin=parsed, origin=str(data.get("origin", "")))


def parse_key(key: str) -> Delivery | None:
    """The delivery a key of the incoming zone stands for, or None for what is not a delivery
    (`_source.json`, dot- or underscore-names being written, other suffixes, deeper folders)."""
    if not key.startswith(layout.INCOMING):
        return None
    parts = key[len(layout.INCOMING) :].split("/")
    if len(parts) != 2:
        return None
    home, name = parts
    if not _HOME_NAME.match(home) or name.startswith((".", "_")) or not name.lower().endswith(".csv"):
        return None
    return Delivery(home, name)


def list_deliveries(store: ObjectStore) -> dict[Delivery, str]:
    """Every delivery in the zone -> its fingerprint, with the home's `_source.json` fingerprint folded in
    (a changed declaration changes every delivery of the home). One listing, no reads."""
    listed = store.list_fingerprints(layout.INCOMING)
    out = {}
    for key, fingerprint in listed.items():
        delivery = parse_key(key)
        if delivery is not None:
            declared = listed.get(layout.source_declaration_key(delivery.home), "")
            out[delivery] = f"{fingerprint}|{declared}"
    return out


def declaration(store: ObjectStore, home: str) -> SourceDeclaration:
    try:
        raw = store.get_bytes(layout.source_declaration_key(home))
    except ObjectNotFound:
        return SourceDeclaration()
    return SourceDeclaration.parse(home, raw)


def deliver(
    store: ObjectStore, path: Path, timeframe_origin: datetime = contract.TIMEFRAME_ORIGIN, home: str | None = None
) -> Delivery:
    """Copy a local HomeC file into the incoming zone as `incoming/<home>/<its name>` (row-position axis).

    The home is where the file comes from: its stem, unless that home already holds deliveries from
    another path, then `<stem>-2`, `-3`, ... So `h1/HomeC.csv` and `h2/HomeC.csv` are two homes, and the
    same path delivered again is the same home (its changed bytes replace the previous version).
    Unchanged bytes are not copied again. Given `home` (an existing one), its `_source.json` is kept.
    """
    path = path.expanduser().resolve()
    declared = SourceDeclaration(time_axis=ROW_POSITION, timeframe_origin=timeframe_origin, origin=str(path))
    current = _current_declaration_bytes(store, home) if home else None
    home = home or _home_for(store, path, declared)
    if not _HOME_NAME.match(home):
        raise DeliveryError(f"{home!r} is not a usable home name (letters, digits, '.', '_', '-')")
    if current is None and _current_declaration_bytes(store, home) != declared.to_json():
        # only when new or changed: rewriting it would make the sensor re-check every delivery of the home
        store.put_bytes(layout.source_declaration_key(home), declared.to_json())
    delivery = Delivery(home, path.name if path.name.lower().endswith(".csv") else f"{path.name}.csv")
    target = store.local_path(delivery.key)
    if target is not None and target.is_file() and sha256_of_file(target) == sha256_of_file(path):
        return delivery
    store.put_file(delivery.key, path)
    return delivery


def withdraw(store: ObjectStore, delivery: Delivery) -> None:
    """Remove a delivery the CLI made that was rejected (and the home's `_source.json` when nothing else
    is left under it), so a rejected file leaves no trace and does not fail later runs."""
    store.delete(delivery.key)
    if not [k for k in store.list_keys(f"{layout.INCOMING}{delivery.home}/") if parse_key(k)]:
        store.delete(layout.source_declaration_key(delivery.home))


def _current_declaration_bytes(store: ObjectStore, home: str) -> bytes | None:
    try:
        return store.get_bytes(layout.source_declaration_key(home))
    except ObjectNotFound:
        return None


def _home_for(store: ObjectStore, path: Path, declared: SourceDeclaration) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", path.stem).lstrip("._-") or "home"
    for n in range(1, 1000):
        home = stem if n == 1 else f"{stem}-{n}"
        try:
            existing = SourceDeclaration.parse(home, store.get_bytes(layout.source_declaration_key(home)))
        except ObjectNotFound:
            return home
        if existing.origin == declared.origin:
            return home
    raise DeliveryError(f"too many homes named {stem!r}")
