"""The feed simulator behind `smarthome simulate`: homes delivering HomeC-shaped CSV files into the incoming
zone with real, recent timestamps, the way a live platform receives them.

What it writes (the incoming zone's convention, ingestion/layout.py):

* `incoming/<home>/_source.json` = `{"time_axis": "unix_seconds"}`: these homes' `time` is the reading's
  real unix time in seconds (not HomeC's row counter);
* a backlog: one file per home and complete past day, `incoming/<home>/<day>.csv` (the last `days` days);
* then, while it runs, a delta per home with the minutes completed since its previous delivery:
  `incoming/<home>/<day>T<HHMM>.csv`.

The readings come from the synthetic generator (`homec/generator/rows.py`): the same physical model, with
the calendar mapped onto the generator's year (the same day of the year, moved by at most three days so
the weekday matches; the house keeps UTC-5 like the Kaggle home). Every file is written atomically by the
object store (a temporary dot-name renamed into place locally; one PUT on S3).

Mishaps (issue 9), each on request, each in its own tick after the backlog so each shows as its own run:
`duplicate` (the same bytes as a backlog day under another name), `malformed` (a delta with one line cut
short, as after a crash), `late` (one backlog day held back, then delivered), `correction` (one backlog
day first delivered half, then re-delivered whole under the same name).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from smarthome_assets.homec.generator.rows import MAX_ROW, header_line, synthetic_lines
from smarthome_assets.storage.object_store import ObjectStore

#: The one place to adapt if the incoming zone's convention changes (ingestion/layout.py states it).
INCOMING = "incoming/"
SOURCE_DECLARATION = "_source.json"
TIME_AXIS = {"time_axis": "unix_seconds"}

MISHAPS = ("duplicate", "malformed", "late", "correction")
_HOUSE_UTC_OFFSET = timedelta(hours=-5)  # the generator's house keeps local standard time, UTC-5
_GENERATOR_FIRST_DAY = date(2016, 1, 1)  # its row 0 is local midnight of this Friday
_MINUTES_PER_DAY = 1440


def home_name(index: int) -> str:
    """`sim-01`, ...: the home's identity is its folder in the incoming zone."""
    return f"sim-{index + 1:02d}"


def generator_row(instant: datetime) -> int:
    """The generator's row for a real minute: same local day of the year (moved by -3..+3 days to keep the
    weekday), same local time of day."""
    local = instant.astimezone(UTC) + _HOUSE_UTC_OFFSET
    day_of_year = local.timetuple().tm_yday - 1
    generator_weekday = (_GENERATOR_FIRST_DAY + timedelta(days=day_of_year)).weekday()
    shift = (local.weekday() - generator_weekday) % 7
    day = day_of_year + (shift - 7 if shift > 3 else shift)
    day = day + 7 if day < 0 else day
    row = day * _MINUTES_PER_DAY + local.hour * 60 + local.minute
    if row >= MAX_ROW:
        raise ValueError(f"no generator row for {instant}")
    return row


def csv_for_minutes(seed: int, home_index: int, start: datetime, minutes: int) -> bytes:
    """A HomeC file (header + one line a minute) for `minutes` real minutes from `start`, `time` in unix
    seconds. A range is split where the generator's calendar jumps (a new local day of the year)."""
    start = start.astimezone(UTC).replace(second=0, microsecond=0)
    out = [header_line()]
    done = 0
    while done < minutes:
        instant = start + timedelta(minutes=done)
        local = instant + _HOUSE_UTC_OFFSET
        to_local_midnight = _MINUTES_PER_DAY - (local.hour * 60 + local.minute)
        take = min(minutes - done, to_local_midnight)
        lines = synthetic_lines(seed, home_index, generator_row(instant), take)
        first_second = int(instant.timestamp())
        for i, line in enumerate(lines):
            out.append(str(first_second + 60 * i).encode() + line[line.index(b",") :])
        done += take
    return b"\n".join(out) + b"\n"


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass
class Delivery:
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
    _pending: list[Callable[[], Iterator[Delivery]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = set(self.mishaps) - set(MISHAPS)
        if unknown:
            raise ValueError(f"unknown mishap(s) {sorted(unknown)}; choose from {', '.join(MISHAPS)}")
        if self.homes < 1 or self.days < 0:
            raise ValueError("homes must be at least 1 and days at least 0")

    def key(self, home: int, name: str) -> str:
        return f"{INCOMING}{home_name(home)}/{name}"

    def past_days(self) -> list[date]:
        today = self.now().astimezone(UTC).date()
        return [today - timedelta(days=n) for n in range(self.days, 0, -1)]

    def day_file(self, home: int, day: date) -> bytes:
        return csv_for_minutes(self.seed, home, day_start(day), _MINUTES_PER_DAY)

    def backlog(self) -> Iterator[Delivery]:
        """Each home's source declaration and its past days; mishaps set aside for the first ticks."""
        days = self.past_days()
        late = days[len(days) // 2] if "late" in self.mishaps and days else None
        corrected = days[0] if "correction" in self.mishaps and days else None
        for home in range(self.homes):
            yield Delivery(self.key(home, SOURCE_DECLARATION), json.dumps(TIME_AXIS).encode(), "time axis")
            for day in days:
                if home == 0 and day == late:
                    continue
                body = self.day_file(home, day)
                if home == 0 and day == corrected:
                    half = body[: body.index(b"\n", len(body) // 2) + 1]
                    yield Delivery(self.key(home, f"{day}.csv"), half, "first half only: to be corrected")
                    continue
                yield Delivery(self.key(home, f"{day}.csv"), body)
            self.delivered_until[home] = day_start(self.now().astimezone(UTC).date())
        self._pending = [m for m in (self._duplicate, self._malformed, self._late, self._correction) if m]
        self._late_day, self._corrected_day = late, corrected

    def _duplicate(self) -> Iterator[Delivery]:
        if "duplicate" in self.mishaps and self.past_days():
            day = self.past_days()[-1]
            yield Delivery(self.key(0, f"{day}-copy.csv"), self.day_file(0, day), f"duplicate of {day}.csv")

    def _malformed(self) -> Iterator[Delivery]:
        if "malformed" in self.mishaps:
            for delivery in self.deltas(home_filter={0}):
                lines = delivery.body.split(b"\n")
                middle = len(lines) // 2
                lines[middle] = lines[middle][: len(lines[middle]) // 2]  # cut short, as after a crash
                yield Delivery(delivery.key, b"\n".join(lines), f"line {middle + 1} cut short")

    def _late(self) -> Iterator[Delivery]:
        if self._late_day:
            yield Delivery(self.key(0, f"{self._late_day}.csv"), self.day_file(0, self._late_day), "late day")

    def _correction(self) -> Iterator[Delivery]:
        if self._corrected_day:
            day = self._corrected_day
            yield Delivery(self.key(0, f"{day}.csv"), self.day_file(0, day), "corrected re-delivery (whole day)")

    def deltas(self, home_filter: set[int] | None = None) -> Iterator[Delivery]:
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
            yield Delivery(self.key(home, f"{start:%Y-%m-%dT%H%M}.csv"), body, f"{minutes} min")

    def tick(self) -> Iterator[Delivery]:
        """One step of the live feed: the next mishap if any is pending, else the deltas."""
        while self._pending:
            deliveries = list(self._pending.pop(0)())
            if deliveries:
                yield from deliveries
                return
        yield from self.deltas()

    def deliver(self, deliveries: Iterator[Delivery]) -> list[Delivery]:
        written = []
        for delivery in deliveries:
            self.store.put_bytes(delivery.key, delivery.body)
            written.append(delivery)
        return written
