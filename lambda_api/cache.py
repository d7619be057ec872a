"""Answers of past days, kept while the data under them is unchanged, and the HTTP caching they carry.

A readings or summary page whose timeframe ends by today's start (UTC) changes only when a load replaces one
of its days, and every load gives each day it replaces a new random version in the same transaction as the
rows (database migration 0005; any other write to a table renews that table's catch-all version). So such a
page is served again from memory as long as its days' versions are the ones it was built from: one small
indexed query instead of PostgreSQL building the page's JSON. The versions are read before the page, so an
answer is never kept under a version older than its rows.

Each such answer carries an ETag (a digest of the request and the versions) and `Cache-Control: public,
max-age=0, must-revalidate`: any cache may keep it, and must ask again before using it, which a client's
`If-None-Match` turns into a 304 costing only the version lookup. A timeframe that is open or reaches today
is `no-store`. The memory is bounded in bytes, least recently used first out; no memory (`cache_bytes=0`)
turns all of this off. A request never answered before reads the versions in its page's own statement (one
round trip); one whose answer may be kept, or whose client has one, reads them first.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

#: Cache-Control of a past timeframe's answer, and of any other.
PAST_DAYS = "public, max-age=0, must-revalidate"
NOT_CACHEABLE = "no-store"
#: Says whether this process's memory answered (`hit`) or PostgreSQL did (`miss`); past days only.
STATUS_HEADER = "X-Api-Cache"
#: Bookkeeping per entry counted against the bound, besides its body.
_ENTRY_OVERHEAD = 512


def past_days(start: datetime | None, end: datetime | None, now: datetime | None = None) -> tuple[date, date] | None:
    """The first and last UTC day of [start, end) when the timeframe is closed and ends by today's start
    (UTC); None otherwise (open, or today's readings may still arrive)."""
    if start is None or end is None or end <= start:
        return None
    now = now or datetime.now(UTC)
    today = datetime(now.year, now.month, now.day, tzinfo=UTC)
    if end > today:
        return None
    return start.astimezone(UTC).date(), (end - timedelta(microseconds=1)).astimezone(UTC).date()


def etag(key: str, versions: str) -> str:
    return '"' + hashlib.sha256(f"{key}\n{versions}".encode()).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether a request's If-None-Match names `tag` (weak or strong, in a list, or `*`)."""
    if not if_none_match:
        return False
    given = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in given or tag in given


@dataclass
class Answer:
    """A cached answer: the versions it was built from, and what the route returned."""

    versions: str
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)  # Content-Type and the page's links

    @property
    def size(self) -> int:
        return len(self.body) + _ENTRY_OVERHEAD


class ResponseCache:
    """Answers by request key, at most `max_bytes` of them (least recently used out); shared by threads."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, Answer] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: str, versions: str) -> Answer | None:
        """The answer kept for `key` if it was built from exactly these versions."""
        with self._lock:
            answer = self._entries.get(key)
            if answer is None or answer.versions != versions:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return answer

    def put(self, key: str, answer: Answer) -> None:
        if answer.size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = answer
            self._bytes += answer.size
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size

    def __contains__(self, key: str) -> bool:
        """Whether an answer is kept for `key`, whatever its versions."""
        with self._lock:
            return key in self._entries

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)
