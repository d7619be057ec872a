"""Turning request strings into typed values, with errors that name the parameter.

Powertools checks types and ranges declared on the routes (`limit`, `house_id`, enums); what needs more
than a type lives here: timestamps in three notations, the start/end order, device names against the
allow-list, and the opaque pagination cursor.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lambda_api.columns import DEVICE_COLUMNS

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Eight bare digits are a basic-format ISO date (20160102), not 1970-08-21 in unix seconds.
_BASIC_DATE = re.compile(r"[0-9]{8}", re.ASCII)
_UNIX_SECONDS = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,6})?", re.ASCII)
_ISO_SHAPE = re.compile(r"[0-9]{4}-?[0-9]{2}-?[0-9]{2}([T ][0-9:.,]+(Z|[+-][0-9:]+)?)?", re.ASCII | re.I)
_TIME_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-/]{0,63}", re.ASCII)
_MAX_DEVICES_TEXT = 64  # how much of a bad value an error message repeats


class BadParameter(ValueError):
    """A request parameter is malformed or inconsistent: answered as 400 naming the parameter."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


def parse_instant(parameter: str, text: str) -> datetime:
    """ISO-8601 date or date-time (no offset means UTC) or unix seconds -> an aware UTC datetime.

    Eight bare digits are read as a date (YYYYMMDD): as seconds they would be a day in 1970, which no
    caller means. An instant whose UTC time falls outside years 1-9999 (0001-01-01T00:00+05:00) is a 400:
    Python cannot represent it, and no reading is there.
    """
    text = text.strip()
    if _BASIC_DATE.fullmatch(text):
        try:
            return datetime.strptime(text, "%Y%m%d").replace(tzinfo=UTC)
        except ValueError:
            raise BadParameter(
                parameter, "eight digits are a date, YYYYMMDD; this one is not a calendar date"
            ) from None
    if _UNIX_SECONDS.fullmatch(text):
        try:
            return EPOCH + timedelta(seconds=float(text))
        except OverflowError:
            raise BadParameter(parameter, "unix seconds out of range") from None
    if not _ISO_SHAPE.fullmatch(text):
        raise BadParameter(
            parameter,
            "expected an ISO-8601 date or date-time (2016-01-01, 2016-01-01T05:00:00Z, "
            "2016-01-01T00:00:00-05:00) or unix seconds",
        )
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadParameter(parameter, "not a valid calendar date or time") from None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise BadParameter(parameter, "outside the years 1-9999 once converted to UTC") from None


@dataclass(frozen=True)
class Timeframe:
    """[start, end): either bound may be open."""

    start: datetime | None
    end: datetime | None


def parse_timeframe(start: str | None, end: str | None) -> Timeframe:
    """Both bounds parsed, and `end` strictly after `start` when both are given."""
    first = parse_instant("start", start) if start else None
    last = parse_instant("end", end) if end else None
    if first is not None and last is not None and last <= first:
        raise BadParameter("end", "must be after start (start is inclusive, end exclusive)")
    return Timeframe(first, last)


def parse_devices(values: list[str] | None) -> tuple[str, ...]:
    """`device=a&device=b` or `device=a,b` -> allow-listed names in request order; none means all."""
    if not values:
        return DEVICE_COLUMNS
    chosen: list[str] = []
    for value in values:
        for name in value.split(","):
            name = name.strip()
            if name not in DEVICE_COLUMNS:
                shown = name[:_MAX_DEVICES_TEXT]
                raise BadParameter("device", f"unknown device {shown!r}; known: {', '.join(DEVICE_COLUMNS)}")
            if name not in chosen:
                chosen.append(name)
    return tuple(chosen)


def parse_time_zone(value: str) -> str:
    """An IANA zone name's shape; PostgreSQL decides whether it exists (see routes)."""
    if not _TIME_ZONE.fullmatch(value):
        raise BadParameter("tz", "expected an IANA time zone name such as UTC or America/New_York")
    return value


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts (inclusive): the (house_id, time) key of its first row."""

    house_id: int
    at: datetime

    def encode(self) -> str:
        micros = (self.at - EPOCH) // timedelta(microseconds=1)
        return base64.urlsafe_b64encode(f"c1.{self.house_id}.{micros}".encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """Parse a token made by `encode`; anything else is a 400 on `cursor`."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
            version, house, micros = raw.split(".")
            if version != "c1" or not house.isdigit() or not micros.lstrip("-").isdigit():
                raise ValueError(raw)
            house_id, at = int(house), EPOCH + timedelta(microseconds=int(micros))
        except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError):
            raise BadParameter("cursor", "not a cursor this API handed out; use the `next` link") from None
        if house_id > 2**31 - 1:
            raise BadParameter("cursor", "not a cursor this API handed out; use the `next` link")
        return cls(house_id, at)


def wants_csv(accept: str | None) -> bool:
    """True when the Accept header prefers text/csv over JSON (q-values honoured, JSON wins ties)."""
    if not accept:
        return False
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, *options = (p.strip() for p in part.split(";"))
        quality = 1.0
        for option in options:
            key, _, value = option.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        weights[media.lower()] = max(quality, weights.get(media.lower(), 0.0))
    csv = weights.get("text/csv", 0.0)
    json = max(weights.get("application/json", 0.0), weights.get("*/*", 0.0) * 0.999)
    return csv > 0 and csv > json
