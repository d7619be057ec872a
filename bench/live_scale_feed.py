"""The live scale benchmark's homes and its stopwatch: N simulated homes delivering into the incoming zone on
real time, and each delivery followed from its drop until the API serves its rows.

Homes deliver at their own phase within the interval (home i at i/N of it), as independent meters would,
each a delta of the minutes completed since its previous delivery (smarthome_assets.simulator). A delivery is
*landed* when its manifest holds its bytes (the manifest's own landing time is used), and *served* when the
API (the real Lambda handler, in this process) returns all its rows; corrections (a past day re-delivered with
other readings) are served when the day's sum of `use_kw` is the new one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from smarthome_assets.ingestion import layout
from smarthome_assets.ingestion.incoming import UNIX_SECONDS
from smarthome_assets.ingestion.registry import HomeRegistry
from smarthome_assets.simulator.calendar import csv_for_minutes, day_start
from smarthome_assets.simulator.feed import home_name
from smarthome_assets.storage.object_store import ObjectNotFound, ObjectStore

#: How often the stopwatch looks (adds at most this much to a measured latency).
POLL_SECONDS = 2.0


@dataclass
class Drop:
    """One file the homes delivered, and when it was landed and served (unix seconds)."""

    key: str
    home: str
    kind: str  # backlog, delta, correction
    sha256: str
    rows: int
    first: datetime  # first minute
    last: datetime  # last minute, inclusive
    dropped: float
    homes_active: int  # how many homes were delivering when it was dropped
    use_sum: float = 0.0  # sum of `use [kW]` in the file (what a corrected day must show)
    landed: float | None = None
    served: float | None = None

    @property
    def latency(self) -> float | None:
        return None if self.served is None else self.served - self.dropped


def _describe(key: str, home: str, kind: str, body: bytes, homes: int) -> Drop:
    lines = body.rstrip(b"\n").split(b"\n")[1:]
    first, last = int(lines[0].split(b",", 1)[0]), int(lines[-1].split(b",", 1)[0])
    return Drop(
        key=key,
        home=home,
        kind=kind,
        sha256=hashlib.sha256(body).hexdigest(),
        rows=len(lines),
        first=datetime.fromtimestamp(first, UTC),
        last=datetime.fromtimestamp(last, UTC),
        dropped=time.time(),
        homes_active=homes,
        use_sum=sum(float(line.split(b",", 2)[1]) for line in lines),
    )


class Homes:
    """N homes delivering every `interval` seconds; `resize()` changes N while they run."""

    def __init__(self, store: ObjectStore, homes: int, interval: float, seed: int = 0):
        self.store, self.interval, self.seed = store, interval, seed
        self.active = 0
        self.drops: list[Drop] = []
        self._until: dict[int, datetime] = {}
        self._due: dict[int, float] = {}
        self._lock = threading.Lock()
        self._corrections = 0
        self.resize(homes)

    def _put(self, key: str, home: str, kind: str, body: bytes) -> None:
        drop = _describe(key, home, kind, body, self.active)
        self.store.put_bytes(key, body)  # atomic: a temporary file renamed into place
        drop.dropped = time.time()
        with self._lock:
            self.drops.append(drop)

    def resize(self, homes: int) -> None:
        """New homes declare their time axis and start delivering live (no history); removed homes stop."""
        now = time.time()
        minute = datetime.now(UTC).replace(second=0, microsecond=0)
        for h in range(self.active, homes):
            if h not in self._until:
                self.store.put_bytes(
                    layout.source_declaration_key(home_name(h)), json.dumps({"time_axis": UNIX_SECONDS}).encode()
                )
                self._until[h] = minute - timedelta(seconds=self.interval)
            self._due[h] = now + self.interval * h / max(homes, 1)
        self.active = homes

    def backlog(self, days: int) -> None:
        """Each active home's last `days` complete UTC days, one file a day, and today's minutes so far."""
        today = datetime.now(UTC).date()
        for h in range(self.active):
            for n in range(days, 0, -1):
                day = today - timedelta(days=n)
                body = csv_for_minutes(self.seed, h, day_start(day), 1440)
                self._put(layout.incoming_key(home_name(h), f"{day}.csv"), home_name(h), "backlog", body)
            self._until[h] = day_start(today)

    def deliver_due(self) -> int:
        """Every home whose turn has come delivers the minutes completed since its previous delivery."""
        now, minute = time.time(), datetime.now(UTC).replace(second=0, microsecond=0)
        sent = 0
        for h in range(self.active):
            if self._due[h] > now:
                continue
            self._due[h] += self.interval
            start = max(self._until[h], day_start(minute.date() - timedelta(days=1)))
            minutes = int((minute - start).total_seconds() // 60)
            if minutes <= 0:
                continue
            body = csv_for_minutes(self.seed, h, start, minutes)
            self._until[h] = minute
            self._put(layout.incoming_key(home_name(h), f"{start:%Y-%m-%dT%H%M}.csv"), home_name(h), "delta", body)
            sent += 1
        return sent

    def correct(self, days_back: int) -> None:
        """One home (in turn) re-delivers a past day under the same name with other readings (another seed)."""
        self._corrections += 1
        h = self._corrections % max(self.active, 1)
        day = datetime.now(UTC).date() - timedelta(days=days_back)
        body = csv_for_minutes(self.seed + 1000 + self._corrections, h, day_start(day), 1440)
        self._put(layout.incoming_key(home_name(h), f"{day}.csv"), home_name(h), "correction", body)

    def snapshot(self) -> list[Drop]:
        with self._lock:
            return list(self.drops)


class Stopwatch:
    """Marks drops landed (from their manifests) and served (asking the API), every POLL_SECONDS."""

    def __init__(self, store: ObjectStore, database_url: str):
        from smarthome_assets.exports.api_client import LambdaTransport

        logging.getLogger("lambda_api").setLevel(logging.CRITICAL)  # until the first run creates the tables
        self.store = store
        self.api = LambdaTransport(database_url=database_url)
        self._ids: dict[str, int] = {}

    def _house_id(self, home: str) -> int | None:
        if home not in self._ids:
            self._ids = {h.name: h.house_id for h in HomeRegistry.load(self.store).homes}
        return self._ids.get(home)

    def _get(self, path: str, query: list[tuple[str, str]]) -> dict | None:
        try:
            reply = self.api.get(path, query, {})
        except Exception:
            return None
        return json.loads(reply.body) if reply.status == 200 else None

    def _newest_readings(self) -> dict[int, datetime]:
        body = self._get("/homes", [("limit", "10000")])
        rows = body.get("data", []) if body else []
        return {r["house_id"]: datetime.fromisoformat(r["last_reading"]) for r in rows if r.get("last_reading")}

    def _landed(self, drop: Drop) -> float | None:
        name = drop.key.removeprefix(layout.INCOMING)
        try:
            manifest = json.loads(self.store.get_bytes(layout.manifest_key(name)))
        except (ObjectNotFound, ValueError):
            return None
        return manifest["landed_ns"] / 1e9 if manifest.get("sha256") == drop.sha256 else None

    def _served(self, drop: Drop, house_id: int) -> bool:
        query = [
            ("house_id", str(house_id)),
            ("start", drop.first.isoformat()),
            ("end", (drop.last + timedelta(minutes=1)).isoformat()),
            ("device", "use_kw"),
            ("limit", str(drop.rows + 1)),
        ]
        body = self._get("/energy", query)
        if body is None or body.get("count") != drop.rows:
            return False
        if drop.kind != "correction":
            return True
        served = sum(row["use_kw"] for row in body.get("data", []))
        return abs(served - drop.use_sum) <= 1e-6 * max(1.0, abs(drop.use_sum))

    def poll(self, drops: list[Drop]) -> None:
        for drop in drops:
            if drop.landed is None:
                drop.landed = self._landed(drop)
        waiting = [d for d in drops if d.landed is not None and d.served is None]
        if not waiting:
            return
        newest = self._newest_readings()
        for drop in waiting:
            house_id = self._house_id(drop.home)
            if house_id is None:
                continue  # its home is not registered yet
            if drop.kind == "delta" and newest.get(house_id, datetime.min.replace(tzinfo=UTC)) < drop.last:
                continue  # its home's newest reading is older than its last minute: not loaded yet
            if self._served(drop, house_id):
                drop.served = time.time()
