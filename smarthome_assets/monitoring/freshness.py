"""Freshness of the daily tables: is the newest complete day there, at most `max_age` after it ended?

Why a rule of our own beside Dagster's FreshnessPolicy (which the assets carry too, for the UI's asset
health): Dagster's policy looks at when the asset last materialized, whatever the partition, so re-running
an old day (a late correction of last March) makes a table look fresh while yesterday never arrived. This
rule looks at the days themselves. Day D ends at midnight UTC starting D + 1; it is "at most 26 h old"
until 02:00 UTC on D + 2. So at any instant the due day is the newest day that ended `max_age` ago or
less, and the table is fresh when that day is materialized. A day that never arrives fails from its due
time on, even when later days arrive.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta


def due_day(now: datetime, max_age: timedelta) -> date:
    """The oldest day still "at most `max_age` old" at `now`: its end (midnight after it) is >= now - max_age."""
    return (now.astimezone(UTC) - max_age - timedelta(microseconds=1)).date()


@dataclass(frozen=True)
class Freshness:
    passed: bool
    due_day: date
    newest_day: date | None
    description: str


def evaluate(asset: str, days: Iterable[date], now: datetime, max_age: timedelta) -> Freshness:
    """Fresh when the due day is among `days` (the asset's materialized day partitions)."""
    present = set(days)
    due = due_day(now, max_age)
    newest = max(present) if present else None
    limit = f"{max_age.total_seconds() / 3600:g} h"
    if due in present:
        return Freshness(True, due, newest, f"{asset}: {due} is there (newest day {newest}; limit {limit})")
    if newest is None:
        return Freshness(False, due, None, f"{asset} is stale: no day materialized yet; {due} was due")
    if newest > due:
        why = f"{due} never arrived (later days did, up to {newest})"
    else:
        ended = datetime.combine(newest + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        hours = (now.astimezone(UTC) - ended).total_seconds() / 3600
        why = f"its newest day, {newest}, ended {hours:.0f} h ago (limit {limit})"
    return Freshness(False, due, newest, f"{asset} is stale: {why}; {due} was due")
