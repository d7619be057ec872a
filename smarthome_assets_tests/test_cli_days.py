"""`smarthome run` picks the days from the files: its messages name the files' days and the partitions."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime

import pytest

from smarthome_assets.cli.run_command import _day_range
from smarthome_assets.homec import contract
from smarthome_assets.settings import load_settings

from .homec_files import minutes, row, write

SETTINGS = load_settings()
NO_RANGE = argparse.Namespace(first_day=None, last_day=None)


def test_days_outside_the_partitions_are_named_with_the_partitions(tmp_path):
    """The partitions run from 2016-01-01 to today: a file of days in the future has no partition yet."""
    later = contract.TIME_ORIGIN + 40 * 366 * 1440  # 40 x 366 days of minutes: 2056-01-31
    path = write(tmp_path / "later.csv", [row(0, time=str(later + m)) for m in range(3)])
    with pytest.raises(SystemExit) as info:
        _day_range([path], SETTINGS, NO_RANGE)
    today = datetime.now(UTC).date()
    assert f"the files' days (2056-01-31..2056-01-31) or the partitions (2016-01-01 .. {today})" in str(info.value)


def test_a_newest_first_file_selects_its_days_and_is_not_blamed_on_the_partitions(tmp_path):
    path = write(tmp_path / "newest_first.csv", list(reversed(minutes(3) + minutes(3, start=1140))))
    assert _day_range([path], SETTINGS, NO_RANGE) == (date(2016, 1, 1), date(2016, 1, 2))


def test_time_in_milliseconds_is_left_to_the_reader_to_name_not_an_overflow(tmp_path):
    path = write(tmp_path / "ms.csv", [row(m, time=str((contract.TIME_ORIGIN + m) * 1000)) for m in range(3)])
    assert _day_range([path], SETTINGS, NO_RANGE) == (date(2016, 1, 1), datetime.now(UTC).date())
