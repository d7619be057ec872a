"""The feed simulator behind `smarthome simulate`: homes delivering HomeC-shaped CSV files into the incoming
zone (docs/GLOSSARY.md) with real, recent timestamps, the way a live platform receives them.

Each home declares the `unix_seconds` time axis, delivers a backlog of its last complete days, then a delta
of the minutes completed since its previous delivery on every tick. Mishaps on request, one per tick after
the backlog: `duplicate`, `malformed` (a line cut short), `late` (a day held back), `correction` (a day
delivered half, then whole under the same name)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from smarthome_assets.ingestion import layout
from smarthome_assets.ingestion.incoming import UNIX_SECONDS
from smarthome_assets.simulator.calendar import csv_for_minutes, day_start
from smarthome_assets.storage.object_store import ObjectStore

MISHAPS = ("duplicate", "malformed", "late", "correction")
_MINUTES_PER_DAY = 1440


def home_name(index: int) -> str:
    """`sim-01`, ...: the home's identity is its folder in the incoming zone."""
    return f"sim-{index + 1:02d}"


@dataclass
class SimulatedFile:
    """One file the simulator writes into the incoming zone, and why (shown by `smarthome simulate`)."""

    key: str
    body: bytes
    note: str = ""


@dataclass
class Feed:
    """The deliveries of `homes` homes: a backlog of `days` complete days, then deltas up to `now()`."""

    store: ObjectStore
    homes: int
    days: int
    seed: int = 0
    mishaps: tuple[str, ...] = ()
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    delivered_until: dict[int, datetime] = field(default_factory=dict)
    _pending: list[Callable[[], Iterator[SimulatedFile]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = set(self.mishaps) - set(MISHAPS)
        if unknown:
            raise ValueError(f"unknown mishap(s) {sorted(unknown)}; choose from {', '.join(MISHAPS)}")
        if self.homes < 1 or self.days < 0:
            raise ValueError("homes must be at least 1 and days at least 0")

    def key(self, home: int, name: str) -> str:
        return layout.incoming_key(home_name(home), name)

    def past_days(self) -> list[date]:
        today = self.now().astimezone(UTC).date()
        return [today - timedelta(days=n) for n in range(self.days, 0, -1)]

    def day_file(self, home: int, day: date) -> bytes:
        return csv_for_minutes(self.seed, home, day_start(day), _MINUTES_PER_DAY)

    def backlog(self) -> Iterator[SimulatedFile]:
        """Each home's source declaration and its past days; mishaps set aside for the first ticks."""
        days = self.past_days()
        late = days[len(days) // 2] if "late" in self.mishaps and days else None
        corrected = days[0] if "correction" in self.mishaps and days else None
        for home in range(self.homes):
            yield SimulatedFile(
                layout.source_declaration_key(home_name(home)),
                json.dumps({"time_axis": UNIX_SECONDS}).encode(),
                "time axis",
            )
            for day in days:
                if home == 0 and day == late:
                    continue
                body = self.day_file(home, day)
                if home == 0 and day == corrected:
                    half = body[: body.index(b"\n", len(body) // 2) + 1]
                    yield SimulatedFile(self.key(home, f"{day}.csv"), half, "first half only: to be corrected")
                    continue
                yield SimulatedFile(self.key(home, f"{day}.csv"), body)
            self.delivered_until[home] = day_start(self.now().astimezone(UTC).date())
        self._pending = [m for m in (self._duplicate, self._malformed, self._late, self._correction) if m]
        self._late_day, self._corrected_day = late, corrected

    def _duplicate(self) -> Iterator[SimulatedFile]:
        if "duplicate" in self.mishaps and self.past_days():
            day = self.past_days()[-1]
            yield SimulatedFile(self.key(0, f"{day}-copy.csv"), self.day_file(0, day), f"duplicate of {day}.csv")

    def _malformed(self) -> Iterator[SimulatedFile]:
        if "malformed" in self.mishaps:
            for delivery in self.deltas(home_filter={0}):
                lines = delivery.body.split(b"\n")
                middle = len(lines) // 2
                lines[middle] = lines[middle][: len(lines[middle]) // 2]  # cut short, as after a crash
                yield SimulatedFile(delivery.key, b"\n".join(lines), f"line {middle + 1} cut short")

    def _late(self) -> Iterator[SimulatedFile]:
        if self._late_day:
            yield SimulatedFile(self.key(0, f"{self._late_day}.csv"), self.day_file(0, self._late_day), "late day")

    def _correction(self) -> Iterator[SimulatedFile]:
        if self._corrected_day:
            day = self._corrected_day
            yield SimulatedFile(self.key(0, f"{day}.csv"), self.day_file(0, day), "corrected re-delivery (whole day)")

    def deltas(self, home_filter: set[int] | None = None) -> Iterator[SimulatedFile]:
        """Per home, the minutes completed since its previous delivery (none when less than a minute)."""
        now = self.now().astimezone(UTC).replace(second=0, microsecond=0)
        for home in range(self.homes):
            if home_filter is not None and home not in home_filter:
                continue
            start = self.delivered_until.get(home, day_start(now.date()))
            if start.date() < now.date():  # a new UTC day began: the rest of yesterday goes first
                start = max(start, day_start(now.date() - timedelta(days=1)))
            minutes = int((now - start).total_seconds() // 60)
            if minutes <= 0:
                continue
            body = csv_for_minutes(self.seed, home, start, minutes)
            self.delivered_until[home] = now
            yield SimulatedFile(self.key(home, f"{start:%Y-%m-%dT%H%M}.csv"), body, f"{minutes} min")

    def tick(self) -> Iterator[SimulatedFile]:
        """One step of the live feed: the next mishap if any is pending, else the deltas."""
        while self._pending:
            deliveries = list(self._pending.pop(0)())
            if deliveries:
                yield from deliveries
                return
        yield from self.deltas()

    def deliver(self, deliveries: Iterator[SimulatedFile]) -> list[SimulatedFile]:
        written = []
        for delivery in deliveries:
            self.store.put_bytes(delivery.key, delivery.body)
            written.append(delivery)
        return written
