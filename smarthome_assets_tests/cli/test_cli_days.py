"""`smarthome run` runs the days its landings touched: when those lie outside the partitions, or outside the
days asked for, its message names the files' days and the partitions."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime

import pytest

from smarthome_assets.cli.run_command import _day_range

NO_RANGE = argparse.Namespace(first_day=None, last_day=None)


def test_days_outside_the_partitions_are_named_with_the_partitions():
    """The partitions run from 2016-01-01 to today: days in the future have no partition yet."""
    with pytest.raises(SystemExit) as info:
        _day_range([date(2056, 1, 31)], NO_RANGE)
    today = datetime.now(UTC).date()
    assert f"the files' days (2056-01-31..2056-01-31) or the partitions (2016-01-01 .. {today})" in str(info.value)


def test_days_asked_for_outside_the_files_days_are_named():
    asked = argparse.Namespace(first_day=date(2016, 3, 1), last_day=date(2016, 3, 2))
    with pytest.raises(SystemExit) as info:
        _day_range([date(2016, 1, 1), date(2016, 1, 2)], asked)
    assert "the files' days (2016-01-01..2016-01-02)" in str(info.value)


def test_the_touched_days_are_the_run_within_what_was_asked():
    days = [date(2016, 1, 1), date(2016, 1, 5), date(2016, 1, 9)]
    assert _day_range(days, NO_RANGE) == (date(2016, 1, 1), date(2016, 1, 9))
    asked = argparse.Namespace(first_day=date(2016, 1, 3), last_day=None)
    assert _day_range(days, asked) == (date(2016, 1, 3), date(2016, 1, 9))
