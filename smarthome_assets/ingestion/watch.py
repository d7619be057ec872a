"""Watching the incoming zone: what the sensor does each tick, as plain functions (no Dagster).

One tick: list the zone (one listing, fingerprints only), keep the deliveries whose fingerprint the
cursor has not seen, land them (landing.py: atomic, skips unchanged bytes and duplicates), and turn
the days they touched into contiguous day ranges, each one run. The cursor maps each delivery to the
fingerprint it was handled at; it is stored by Dagster with the sensor, so it survives a restart of the
daemon. Run keys are derived from the deliveries' checksums, landing ids and the range, so one landing
never causes a second run even if the cursor were lost (landing would report it unchanged anyway), while
bytes that come back after a change are a new landing and run again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from smarthome_assets.homec import contract
from smarthome_assets.homec.reader import SourceFormatError
from smarthome_assets.ingestion import incoming
from smarthome_assets.ingestion.incoming import Delivery, DeliveryError
from smarthome_assets.ingestion.landing import DUPLICATE, LANDED, UNCHANGED, Landing, land_delivery
from smarthome_assets.storage.object_store import ObjectStore

REJECTED = "rejected"
FIRST_DAY = contract.TIMEFRAME_ORIGIN.date()  # the first daily partition (lib/partitions.py, same date)
#: Run tag of the runs the sensor requests: their deliveries are landed, `raw_csv` does not land again.
LANDED_BY_TAG = "smarthome/landed_by"


@dataclass
class Cursor:
    """Delivery path (`<home>/<name>`) -> the fingerprint it was handled at."""

    seen: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: str | None) -> Cursor:
        if not raw:
            return cls()
        data = json.loads(raw)
        return cls(seen=dict(data.get("seen", {})))

    def serialize(self) -> str:
        return json.dumps({"seen": dict(sorted(self.seen.items()))}, separators=(",", ":"))


@dataclass
class Outcome:
    """One delivery handled in a tick."""

    delivery: Delivery
    fingerprint: str
    status: str  # landed, unchanged, duplicate, rejected
    reason: str = ""
    days: list[str] = field(default_factory=list)
    version: str = ""  # checksum and landing id of the current version: what a run key is made of
    error: Exception | None = field(default=None, repr=False)


@dataclass(frozen=True)
class DayRange:
    first: date
    last: date  # inclusive
    deliveries: tuple[tuple[str, str], ...]  # (path, checksum@landing) of the deliveries touching it

    @property
    def run_key(self) -> str:
        """Same landings and same range -> same key: Dagster will not start it twice. The landing id is in
        it, so bytes that come back after a change (v1, v2, v1 again) are a new landing and run again."""
        digest = hashlib.sha256(repr(self.deliveries).encode()).hexdigest()[:20]
        return f"incoming:{self.first}..{self.last}:{digest}"


def pending(listed: dict[Delivery, str], cursor: Cursor) -> list[tuple[Delivery, str]]:
    """Deliveries that are new or changed since the cursor, in key order (stable, deterministic)."""
    return sorted(
        ((d, fp) for d, fp in listed.items() if cursor.seen.get(d.path) != fp),
        key=lambda item: item[0].key,
    )


def land_pending(
    store: ObjectStore,
    deliveries: list[tuple[Delivery, str]],
    first_day: date,
    log: Callable[[str], None] | None = None,
) -> list[Outcome]:
    """Land each delivery; a rejected one is reported (with the reader's message), never raised."""
    outcomes = []
    for delivery, fingerprint in deliveries:
        try:
            declared = incoming.declaration(store, delivery.home)
            landing = land_delivery(store, delivery, declared.axis(first_day), fingerprint, log=log)
        except (SourceFormatError, DeliveryError) as exc:
            outcomes.append(Outcome(delivery, fingerprint, REJECTED, reason=str(exc), error=exc))
            continue
        outcomes.append(_outcome(landing, fingerprint))
    return outcomes


def land_incoming(store: ObjectStore, log: Callable[[str], None] | None = None) -> list[Outcome]:
    """Land every delivery of the zone that its manifest does not match (what a run does without the
    sensor: the CLI, a run from the UI). Unchanged deliveries cost one manifest read each."""
    return land_pending(store, pending(incoming.list_deliveries(store), Cursor()), FIRST_DAY, log=log)


def _outcome(landing: Landing, fingerprint: str) -> Outcome:
    m = landing.manifest
    version = f"{m.sha256[:16]}@{m.landing}" if m else ""
    reason = landing.reason or f"landed: {landing.manifest.staged_rows:,} rows over {len(landing.days)} day(s)"
    days = landing.days if landing.outcome in (LANDED, UNCHANGED) else []
    return Outcome(landing.delivery, fingerprint, landing.outcome, reason=reason, days=days, version=version)


def day_ranges(outcomes: Iterable[Outcome], last_day: date) -> tuple[list[DayRange], list[str]]:
    """Contiguous runs of touched days (up to `last_day`, the newest partition), each with the deliveries
    that touch it; and the days beyond `last_day` that cannot run yet."""
    touching: dict[date, set[tuple[str, str]]] = {}
    for outcome in outcomes:
        for day in outcome.days:
            touching.setdefault(date.fromisoformat(day), set()).add((outcome.delivery.path, outcome.version))
    future = sorted(str(d) for d in touching if d > last_day)
    days = sorted(d for d in touching if d <= last_day)
    ranges: list[DayRange] = []
    start = 0
    for i in range(1, len(days) + 1):
        if i == len(days) or days[i] != days[i - 1] + timedelta(days=1):
            chunk = days[start:i]
            deliveries = tuple(sorted(set().union(*(touching[d] for d in chunk))))
            ranges.append(DayRange(chunk[0], chunk[-1], deliveries))
            start = i
    return ranges, future


def advance(cursor: Cursor, outcomes: Iterable[Outcome]) -> Cursor:
    """The cursor after a tick: every handled delivery at the fingerprint it was handled at."""
    seen = dict(cursor.seen)
    for outcome in outcomes:
        seen[outcome.delivery.path] = outcome.fingerprint
    return Cursor(seen=seen)


def summarize(outcomes: list[Outcome]) -> str:
    """One line per delivery: what the tick did with it and why."""
    return "; ".join(f"{o.delivery.path}: {o.status} ({o.reason})" for o in outcomes)


__all__ = ["DUPLICATE", "LANDED", "REJECTED", "UNCHANGED", "Cursor", "DayRange", "Outcome"]
