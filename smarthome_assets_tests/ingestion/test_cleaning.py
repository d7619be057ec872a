"""The cleaning rules as pure functions: strict numbers, counted replacements, nothing dropped."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from smarthome_assets.cleaning.quality import QualityStats
from smarthome_assets.cleaning.rules import (
    Segments,
    clean_energy,
    clean_energy_rows,
    clean_weather,
    clean_weather_rows,
    parse_numbers,
)
from smarthome_assets.homec.reader import read_days
from smarthome_assets_tests.support.homec_files import minutes, row, write


def staged(tmp_path, lines):
    path = write(tmp_path / "h.csv", lines)
    days, _ = read_days(path, path.name)
    return next(iter(days))[1]


def test_parse_numbers_is_strict():
    values, invalid = parse_numbers(pa.array(["1", "3.33E-05", "-2.5", ".5", "1e3", "abc", "", "nan", "inf", "1,5"]))
    assert invalid.tolist() == [False] * 5 + [True] * 5
    assert values.to_pylist()[:5] == [1.0, 3.33e-05, -2.5, 0.5, 1000.0]
    assert values.to_pylist()[5:] == [None] * 5


def test_cloud_cover_text_is_back_filled_and_counted(tmp_path):
    lines = [row(m, cloud_cover="cloudCover") for m in range(3)] + [row(m, cloud_cover="0.75") for m in range(3, 6)]
    weather, report = clean_weather(staged(tmp_path, lines), house_id=7)
    assert weather.column("cloud_cover").to_pylist() == [0.75] * 6
    assert report.counts() == {"cloud_cover": 3}
    assert report.replacements["cloud_cover"].examples[0] == (2, "cloudCover")
    assert set(weather.column("house_id").to_pylist()) == {7}


def test_invalid_weather_takes_the_previous_reading(tmp_path):
    lines = [row(0, temperature="40"), row(1, temperature="oops"), row(2, temperature="NaN"), row(3, temperature="41")]
    weather, report = clean_weather(staged(tmp_path, lines), house_id=1)
    assert weather.column("temperature").to_pylist() == [40.0, 40.0, 40.0, 41.0]
    assert report.counts() == {"temperature": 2}


def test_invalid_power_becomes_zero_and_is_counted(tmp_path):
    lines = [row(0, **{"Fridge [kW]": "x"}), row(1, **{"Fridge [kW]": "inf"}), row(2, **{"Fridge [kW]": "2E-05"})]
    devices, report = clean_energy(staged(tmp_path, lines), house_id=1)
    assert devices.column("fridge_kw").to_pylist() == [0.0, 0.0, 2e-05]
    assert report.counts() == {"fridge_kw": 2}
    assert devices.num_rows == 3


def test_a_day_without_any_valid_reading_gets_zero(tmp_path):
    lines = [row(m, windSpeed="") for m in range(3)]
    weather, report = clean_weather(staged(tmp_path, lines), house_id=1)
    assert weather.column("wind_speed").to_pylist() == [0.0] * 3 and report.counts() == {"wind_speed": 3}


def test_quality_stats_find_range_and_pair_problems(tmp_path):
    lines = [row(0, use="1.0", **{"House overall [kW]": "2.0"}), row(1, humidity="1.5")]
    table = staged(tmp_path, lines)
    stats = QualityStats()
    devices, _ = clean_energy(table, 1)
    weather, _ = clean_weather(table, 1)
    stats.observe("2016-01-01", 1, devices)
    stats.observe("2016-01-01", 1, weather)
    assert stats.pair_mismatches == {"use_kw != house_overall_kw": 1}
    assert stats.out_of_range == {"humidity": 1}
    assert stats.duplicate_keys == 0 and stats.null_keys == 0
    assert stats.incomplete_days == {"2016-01-01/house 1": 2}


def test_clean_keeps_every_row_of_a_full_file(tmp_path):
    table = staged(tmp_path, minutes(50))
    weather, _ = clean_weather(table, 1)
    devices, _ = clean_energy(table, 1)
    assert weather.num_rows == devices.num_rows == 50
    assert not any(math.isnan(v) for v in devices.column("use_kw").to_pylist())


def test_home_days_cleaned_together_give_the_rows_each_gives_alone(tmp_path):
    """Many home-days per call: a weather gap takes its neighbour from its own home-day only, never across."""
    first = staged(tmp_path, [row(0, temperature="oops"), row(1, temperature="41")])  # a gap at the start
    second = staged(tmp_path, [row(0, temperature="50"), row(1, temperature="")])  # a gap at the end
    third = staged(tmp_path, [row(0, windSpeed="x")])  # no valid reading at all
    together = pa.concat_tables([first, second, third])
    segments = Segments(np.array([1, 2, 3], dtype=np.int32), np.array([2, 2, 1]))
    for clean_rows, clean_one in ((clean_weather_rows, clean_weather), (clean_energy_rows, clean_energy)):
        table, report = clean_rows(together, segments)
        alone = [clean_one(day, house) for day, house in ((first, 1), (second, 2), (third, 3))]
        assert table.to_pylist() == pa.concat_tables([t for t, _ in alone]).to_pylist()
        assert report.counts() == {
            c: sum(r.counts().get(c, 0) for _, r in alone) for c in {c for _, r in alone for c in r.counts()}
        }
    weather, _ = clean_weather_rows(together, segments)
    assert weather.column("temperature").to_pylist()[:4] == [41.0, 41.0, 50.0, 50.0]
    assert weather.column("wind_speed").to_pylist()[4] == 0.0


def test_repeated_keys_are_found_in_any_order():
    stats = QualityStats()
    times = pa.array([3, 1, 2, 1, 5], pa.timestamp("us", tz="UTC"))  # 1 twice in the first home-day
    table = pa.table({"house_id": pa.array([1, 1, 1, 1, 2], pa.int32()), "timeframe": times})
    stats.observe_rows(table, Segments(np.array([1, 2], dtype=np.int32), np.array([4, 1])), ["d1", "d1"])
    assert stats.duplicate_keys == 1 and stats.null_keys == 0
    assert stats.incomplete_days == {"d1/house 1": 4, "d1/house 2": 1}
