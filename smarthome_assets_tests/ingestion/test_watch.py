"""The sensor's pure logic: which keys are deliveries, the cursor, day ranges and run keys."""

from __future__ import annotations

from datetime import date

import numpy as np

from smarthome_assets.ingestion import incoming, watch
from smarthome_assets.storage.object_store import LocalObjectStore
from smarthome_assets_tests.support.homec_files import minutes, write


def outcome(path: str, days: list[str], version: str = "v") -> watch.Outcome:
    home, name = path.split("/")
    return watch.Outcome(incoming.Delivery(home, name), "fp", watch.LANDED, days=days, version=version)


def test_only_csv_files_directly_in_a_home_folder_are_deliveries():
    assert incoming.parse_key("incoming/h1/day 1.csv") == incoming.Delivery("h1", "day 1.csv")
    for key in (
        "incoming/h1/_source.json",
        "incoming/h1/.day2.csv.part",
        "incoming/h1/_draft.csv",
        "incoming/h1/sub/day.csv",
        "incoming/day.csv",
        "incoming/h1/notes.txt",
        "incoming/../x/y.csv",
        "raw/h1/x.csv",
    ):
        assert incoming.parse_key(key) is None, key


def test_contiguous_days_are_one_range_and_gaps_split_them():
    ranges, future = watch.day_ranges(
        [
            outcome("h1/a.csv", ["2016-01-01", "2016-01-02"]),
            outcome("h2/b.csv", ["2016-01-03", "2016-01-05", "2016-01-09"]),
        ],
        last_day=date(2016, 1, 6),
    )
    assert [(r.first.isoformat(), r.last.isoformat()) for r in ranges] == [
        ("2016-01-01", "2016-01-03"),
        ("2016-01-05", "2016-01-05"),
    ]
    assert [p for p, _ in ranges[0].deliveries] == ["h1/a.csv", "h2/b.csv"]
    assert future == ["2016-01-09"]


def test_run_keys_follow_the_landing_not_only_the_bytes(tmp_path):
    """v1, v2, then v1 again: three landings, three run keys (v1's old key would be skipped by Dagster)."""
    store = LocalObjectStore(root=str(tmp_path / "store"))
    v1, v2 = write(tmp_path / "v1.csv", minutes(5)), write(tmp_path / "v2.csv", minutes(6))
    delivery = incoming.Delivery("h", "d.csv")
    keys = []
    for source in (v1, v2, v1):
        store.put_file(delivery.key, source)
        (landed,) = watch.land_pending(store, [(delivery, "")], date(2016, 1, 1))
        assert landed.status == watch.LANDED
        keys.append(watch.day_ranges([landed], date(2016, 1, 2))[0][0].run_key)
    (unchanged,) = watch.land_pending(store, [(delivery, "")], date(2016, 1, 1))
    assert unchanged.status == watch.UNCHANGED
    assert len(set(keys)) == 3 and watch.day_ranges([unchanged], date(2016, 1, 2))[0][0].run_key == keys[-1]


def test_the_cursor_round_trips_and_names_what_is_pending(tmp_path):
    store = LocalObjectStore(root=str(tmp_path / "store"))
    store.put_file("incoming/h/a.csv", write(tmp_path / "a.csv", minutes(2)))
    listed = incoming.list_deliveries(store)
    cursor = watch.Cursor.parse(watch.Cursor(seen={"h/a.csv": listed[incoming.Delivery("h", "a.csv")]}).serialize())
    assert watch.pending(listed, cursor) == []
    store.put_bytes("incoming/h/_source.json", incoming.SourceDeclaration(time_axis="unix_seconds").to_json())
    assert [d.path for d, _ in watch.pending(incoming.list_deliveries(store), cursor)] == ["h/a.csv"]


def test_a_bad_source_declaration_is_a_rejection_with_a_reason(tmp_path):
    store = LocalObjectStore(root=str(tmp_path / "store"))
    store.put_file("incoming/h/a.csv", write(tmp_path / "a.csv", minutes(2)))
    store.put_bytes("incoming/h/_source.json", b'{"time_axis": "milliseconds"}')
    (rejected,) = watch.land_pending(store, list(incoming.list_deliveries(store).items()), date(2016, 1, 1))
    assert rejected.status == watch.REJECTED and "time_axis must be one of" in rejected.reason
    assert store.list_keys("raw/") == [] and store.list_keys("registry/") == []


def test_unix_seconds_axis_places_rows_at_their_real_instant():
    axis = incoming.SourceDeclaration(time_axis="unix_seconds").axis(date(2016, 1, 1))
    instant = 1764547200  # 2025-12-01T00:00:00Z
    assert axis.timeframe_us(np.array([instant])).tolist() == [instant * 1_000_000]
    assert incoming.SourceDeclaration().axis(date(2016, 1, 1)).timeframe_us(np.array([1451624401])).tolist() == [
        (1451624400 + 60) * 1_000_000  # row position: one `time` unit is one minute
    ]
