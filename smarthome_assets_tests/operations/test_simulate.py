"""`smarthome simulate` (issue 9): deliveries that look like real homes, with real recent timestamps, into
the incoming zone; deltas that follow on without gaps or overlaps; each mishap when asked for. The project's
own strict reader reads every file (real unix-second time axis)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smarthome_assets.cli.main import main
from smarthome_assets.homec import contract
from smarthome_assets.homec.reader import TimeAxis, read_days
from smarthome_assets.simulator.calendar import generator_row
from smarthome_assets.simulator.feed import MISHAPS, Feed, home_name
from smarthome_assets.storage.object_store import LocalObjectStore

NOW = datetime(2026, 11, 30, 18, 7, 30, tzinfo=UTC)  # a Monday
UNIX_SECONDS = TimeAxis(time_origin=0, timeframe_origin=datetime(1970, 1, 1, tzinfo=UTC), seconds_per_unit=1)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode())))


def _feed(tmp_path: Path, clock: Clock, **kwargs) -> Feed:
    return Feed(store=LocalObjectStore(root=str(tmp_path)), now=clock, **kwargs)


def test_the_backlog_is_whole_recent_days_per_home_read_cleanly(tmp_path):
    feed = _feed(tmp_path, Clock(NOW), homes=2, days=3)
    written = feed.deliver(feed.backlog())
    keys = sorted(d.key for d in written)
    assert keys == sorted(
        f"incoming/{home}/{name}"
        for home in ("sim-01", "sim-02")
        for name in ("_source.json", "2026-11-27.csv", "2026-11-28.csv", "2026-11-29.csv")
    )
    assert json.loads((tmp_path / "incoming/sim-01/_source.json").read_text()) == {"time_axis": "unix_seconds"}
    path = tmp_path / "incoming/sim-02/2026-11-28.csv"
    rows = _rows(path.read_bytes())
    assert rows[0] == list(contract.RAW_HEADER)
    times = [int(r[0]) for r in rows[1:]]
    start = int(datetime(2026, 11, 28, tzinfo=UTC).timestamp())
    assert times == list(range(start, start + 86400, 60))
    days, report = read_days(path, path.name, UNIX_SECONDS)
    staged = {str(day): table.num_rows for day, table in days}
    assert staged == {"2026-11-28": 1440} and report.quarantined == []
    for row in rows[1:]:
        assert row[1] == row[3] and row[2] == row[18]  # use == House overall, gen == Solar, like HomeC
        assert 0 <= float(row[1]) <= 25 and -40 <= float(row[19]) <= 110
    assert _rows((tmp_path / "incoming/sim-01/2026-11-28.csv").read_bytes())[1:] != rows[1:]  # homes differ


def test_deltas_follow_on_minute_by_minute(tmp_path):
    clock = Clock(NOW)
    feed = _feed(tmp_path, clock, homes=1, days=1)
    feed.deliver(feed.backlog())
    [first] = feed.deliver(feed.tick())
    assert first.key == "incoming/sim-01/2026-11-30T0000.csv"
    assert len(_rows(first.body)) - 1 == 18 * 60 + 7  # 00:00 .. 18:06, the minutes completed by 18:07:30
    assert list(feed.tick()) == []  # nothing new within the same minute
    clock.now += timedelta(minutes=5)
    [second] = feed.deliver(feed.tick())
    assert second.key == "incoming/sim-01/2026-11-30T1807.csv"
    first_times = [int(r[0]) for r in _rows(first.body)[1:]]
    second_times = [int(r[0]) for r in _rows(second.body)[1:]]
    assert second_times[0] == first_times[-1] + 60 and len(second_times) == 5


def test_each_mishap_on_request(tmp_path):
    clock = Clock(NOW)
    feed = _feed(tmp_path, clock, homes=1, days=3, mishaps=MISHAPS)
    backlog = {d.key: d.body for d in feed.deliver(feed.backlog())}
    assert "incoming/sim-01/2026-11-28.csv" not in backlog  # the late day is held back
    half = backlog["incoming/sim-01/2026-11-27.csv"]
    ticks = [feed.deliver(feed.tick()) for _ in range(4)]
    [[duplicate], [malformed], [late], [correction]] = ticks
    assert duplicate.key.endswith("2026-11-29-copy.csv") and duplicate.body == backlog[duplicate.key[:-9] + ".csv"]
    lines = malformed.body.decode().splitlines()
    short = [n for n, line in enumerate(lines) if line.count(",") != len(contract.RAW_HEADER) - 1]
    assert len(short) == 1
    assert late.key.endswith("2026-11-28.csv") and len(_rows(late.body)) == 1441
    assert correction.key == "incoming/sim-01/2026-11-27.csv"
    assert len(_rows(correction.body)) == 1441 and len(_rows(half)) < 1441 and correction.body.startswith(half)


def test_the_calendar_keeps_the_weekday_and_the_season():
    saturday_noon = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)  # 12:00 in the house (UTC-5)
    row = generator_row(saturday_noon)
    day, minute = divmod(row, 1440)
    assert (datetime(2016, 1, 1) + timedelta(days=day)).weekday() == 5  # a generator Saturday too
    assert abs(day - (saturday_noon.timetuple().tm_yday - 1)) <= 3 and minute == 12 * 60


def test_unknown_mishaps_and_nonsense_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown mishap"):
        _feed(tmp_path, Clock(NOW), homes=1, days=1, mishaps=("flood",))
    with pytest.raises(SystemExit):
        main(["simulate", "--homes", "0"])


def test_the_command_writes_into_the_home_incoming_zone(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SMARTHOME_HOME", str(tmp_path))
    assert main(["simulate", "--homes", "1", "--days", "1", "--interval", "0.01", "--ticks", "1"]) == 0
    incoming = tmp_path / "object_store" / "incoming" / home_name(0)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    assert (incoming / f"{yesterday}.csv").is_file() and (incoming / "_source.json").is_file()
    assert "backlog: 2 file(s)" in capsys.readouterr().out
