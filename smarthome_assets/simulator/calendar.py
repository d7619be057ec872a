"""Real minutes mapped onto the synthetic generator's year, as HomeC files with `time` in unix seconds.

The generator (`homec/generator/rows.py`) models one year of one house; a live feed needs readings for
any recent minute. Each real minute takes the generator's row of the same local day of the year, moved by
at most three days so the weekday matches (weekday habits are part of the model), and the same local time
of day. The house keeps UTC-5, like the Kaggle home.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from smarthome_assets.homec.generator.rows import MAX_ROW, header_line, synthetic_lines

_HOUSE_UTC_OFFSET = timedelta(hours=-5)  # the generator's house keeps local standard time, UTC-5
_GENERATOR_FIRST_DAY = date(2016, 1, 1)  # its row 0 is local midnight of this Friday
_MINUTES_PER_DAY = 1440


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
