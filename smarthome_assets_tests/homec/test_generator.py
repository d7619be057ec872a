"""The generator writes files a HomeC reader cannot tell from the real export, with believable values."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smarthome_assets.homec import contract, generator
from smarthome_assets.homec.generator import csv_text, number_text, weather
from smarthome_assets_tests.support.paths import EXCERPT

EXCERPT = EXCERPT
needs_excerpt = pytest.mark.skipif(not EXCERPT.exists(), reason="the real HomeC excerpt is not on this machine")

DAYS = 14
ROWS = DAYS * contract.MINUTES_PER_DAY
KW = [c.raw for c in contract.POWER_COLUMNS]
APPLIANCES = [c.raw for c in contract.POWER_COLUMNS if c.kind is contract.ColumnKind.APPLIANCE]
WEATHER = [c.raw for c in contract.WEATHER_COLUMNS]
RAW = {c.name: c.raw for c in contract.COLUMNS}

# How each kind of cell may look, as in the real file (checked against the real excerpt below too).
KW_TEXT = re.compile(r"0|[0-9]+(\.[0-9]{0,8}[1-9])?|[1-9](\.[0-9]?[1-9])?E-0[5-9]")
WEATHER_TEXT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]{0,3}[1-9])?")
INTEGER_TEXT = re.compile(r"0|[1-9][0-9]*")


@pytest.fixture(scope="module")
def home_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("generator") / "home.csv"
    assert generator.generate_home(path, rows=ROWS, seed=7, home_index=0) == ROWS
    return path


@pytest.fixture(scope="module")
def text(home_file: Path) -> pd.DataFrame:
    """Every cell as written, valid rows only."""
    frame = pd.read_csv(home_file, dtype=str, keep_default_na=False)
    return frame.iloc[:-1]


@pytest.fixture(scope="module")
def frame(home_file: Path) -> pd.DataFrame:
    """The file parsed the way a notebook would, junk row dropped, with the local time of every row."""
    df = pd.read_csv(home_file, na_values=["cloudCover"], low_memory=False).iloc[:-1].copy()
    df["time"] = df["time"].astype(np.int64)
    minutes = df["time"] - contract.TIME_ORIGIN
    df["local_hour"] = (minutes % contract.MINUTES_PER_DAY) // 60  # the file starts at local midnight (UTC-5)
    return df


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


# ---------------------------------------------------------------------------------------------- format


def test_header_is_the_contract_header(home_file: Path) -> None:
    assert _lines(home_file)[0].decode() == ",".join(contract.RAW_HEADER)


@needs_excerpt
def test_header_matches_the_real_excerpt(home_file: Path) -> None:
    assert _lines(home_file)[0] == EXCERPT.read_bytes().split(b"\n", 1)[0]


def test_plain_lf_utf8_without_bom_or_quotes(home_file: Path) -> None:
    data = home_file.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in data and b'"' not in data
    assert data.endswith(b"\n")
    lines = _lines(home_file)[:-1]
    assert len(lines) == 1 + ROWS + 1  # header, rows, junk row
    assert {line.count(b",") for line in lines} == {len(contract.COLUMNS) - 1}


def test_time_counts_up_by_one_per_row(text: pd.DataFrame) -> None:
    time = text["time"].astype(np.int64).to_numpy()
    assert time[0] == contract.TIME_ORIGIN
    assert (np.diff(time) == 1).all()


def test_junk_last_row(home_file: Path) -> None:
    last = _lines(home_file)[-2].decode()
    fields = last.split(",")
    assert len(fields) == len(contract.COLUMNS)
    assert fields[0] == generator.JUNK_TIME_TEXT and all(f == "" for f in fields[1:])
    with pytest.raises(ValueError):
        float(fields[0])


def test_cloud_cover_text_in_exactly_the_first_rows(text: pd.DataFrame) -> None:
    is_text = (text["cloudCover"] == "cloudCover").to_numpy()
    assert is_text[: contract.CLOUD_COVER_TEXT_ROWS].all()
    assert not is_text[contract.CLOUD_COVER_TEXT_ROWS :].any()


def test_weather_changes_only_every_period(text: pd.DataFrame) -> None:
    period = np.arange(len(text)) // contract.WEATHER_PERIOD_ROWS
    per_period = text[WEATHER].groupby(period)
    assert (per_period.nunique() == 1).all().all()
    first = per_period.first()
    changed = (first != first.shift()).any(axis=1).to_numpy()[1:]
    assert changed.mean() > 0.95  # a new reading nearly always differs from the last one


def test_use_is_house_overall_and_gen_is_solar_as_text(text: pd.DataFrame) -> None:
    for left, right in contract.EQUAL_PAIRS:
        assert (text[RAW[left]] == text[RAW[right]]).all()


def test_cells_look_like_the_real_file(text: pd.DataFrame) -> None:
    _assert_cells_look_real(text.iloc[contract.CLOUD_COVER_TEXT_ROWS :])
    power = text[KW].to_numpy().ravel()
    assert any("E-05" in cell for cell in power), "small readings must use scientific notation"
    assert (text["visibility"] == "10").mean() > 0.3
    assert (text["precipIntensity"] == "0").mean() > 0.5


@needs_excerpt
def test_the_cell_patterns_accept_the_real_excerpt() -> None:
    real = pd.read_csv(EXCERPT, dtype=str, keep_default_na=False)
    _assert_cells_look_real(real.iloc[contract.CLOUD_COVER_TEXT_ROWS :])


@needs_excerpt
def test_number_formatting_reproduces_every_real_cell() -> None:
    """Formatting the parsed real values gives back the real text, byte for byte."""
    real = pd.read_csv(EXCERPT, dtype=str, keep_default_na=False)
    table = csv_text.kw_text_table()
    for name in KW:
        units = np.rint(real[name].astype(float).to_numpy() * 60_000).astype(np.int64)
        assert table.take(units).to_pylist() == real[name].tolist(), name
    for column in contract.WEATHER_NUMBER_COLUMNS:
        cells = real[column.raw][real[column.raw] != "cloudCover"]
        decimals = weather.WEATHER_DECIMALS[column.name]
        assert number_text.fixed_text(cells.astype(float).to_numpy(), decimals) == cells.tolist(), column.raw


def _assert_cells_look_real(text: pd.DataFrame) -> None:
    for column in contract.COLUMNS:
        cells = text[column.raw]
        if column.is_power:
            pattern = KW_TEXT
        elif column.raw in ("windBearing", "time"):
            pattern = INTEGER_TEXT
        elif column.kind is contract.ColumnKind.WEATHER_NUMBER:
            pattern = WEATHER_TEXT
        else:
            continue
        bad = cells[~cells.str.fullmatch(pattern.pattern)]
        assert bad.empty, f"{column.raw}: {bad.head().tolist()}"


# ---------------------------------------------------------------------------------------------- values


def test_values_within_physical_ranges(frame: pd.DataFrame) -> None:
    for column in contract.COLUMNS:
        if not column.is_numeric or column.kind is contract.ColumnKind.TIME:
            continue
        values = frame[column.raw].dropna()
        assert values.notna().all()
        if column.low is not None:
            assert values.min() >= column.low, column.raw
        if column.high is not None:
            assert values.max() <= column.high, column.raw
    assert frame[KW].min().min() >= 0
    assert frame["use [kW]"].max() < 25
    assert frame["temperature"].between(-12.64, 93.72).all()
    assert frame["humidity"].between(0.13, 0.98).all()
    assert frame["pressure"].between(986.4, 1042.5).all()
    assert frame["windSpeed"].between(0, 22.91).all()
    assert frame["precipIntensity"].between(0, 0.191).all()
    assert frame["precipProbability"].between(0, 0.84).all()
    assert frame["visibility"].between(0.27, 10).all()
    bearing = frame["windBearing"]
    assert bearing.between(0, 359).all() and (bearing == bearing.round()).all()
    cloud = frame["cloudCover"].dropna()
    assert cloud.between(0, 1).all() and np.allclose(cloud, cloud.round(2))
    assert (frame["dewPoint"] <= frame["temperature"] + 0.01).all()


def test_icons_and_summaries_come_from_the_contract(frame: pd.DataFrame) -> None:
    assert set(frame["icon"]) <= set(contract.ICONS)
    assert set(frame["summary"]) <= set(contract.SUMMARIES)


def test_icons_agree_with_the_weather(frame: pd.DataFrame) -> None:
    wet = frame["precipIntensity"] > 0
    assert (frame["icon"].isin(["rain", "snow"]) == wet).all()
    assert (frame.loc[frame["icon"] == "snow", "temperature"] <= 34).all()
    assert (frame.loc[frame["icon"] == "rain", "temperature"] > 33).all()
    night_hours = frame["local_hour"].isin([0, 1, 2, 3, 21, 22, 23])
    noon_hours = frame["local_hour"].isin([10, 11, 12, 13])
    assert not frame.loc[night_hours, "icon"].str.endswith("-day").any()
    assert not frame.loc[noon_hours, "icon"].str.endswith("-night").any()
    assert (frame.loc[frame["summary"] == "Clear", "cloudCover"].dropna() < 0.25).all()


def test_daily_temperature_cycle(frame: pd.DataFrame) -> None:
    by_hour = frame.groupby("local_hour")["temperature"].mean()
    assert by_hour.loc[13:16].mean() > by_hour.loc[3:6].mean() + 4


def test_use_exceeds_the_metered_appliances(frame: pd.DataFrame) -> None:
    unmetered = frame["use [kW]"] - frame[APPLIANCES].sum(axis=1)
    assert (unmetered > 0.01).all()


def test_solar_only_by_day(frame: pd.DataFrame) -> None:
    night = frame["local_hour"].isin([0, 1, 2, 3, 4, 20, 21, 22, 23])
    assert (frame.loc[night, "gen [kW]"] == 0).all()
    assert frame.loc[frame["local_hour"].between(10, 14), "gen [kW]"].mean() > 0.05


def test_furnaces_work_harder_in_the_cold(frame: pd.DataFrame) -> None:
    furnace = frame["Furnace 1 [kW]"] + frame["Furnace 2 [kW]"]
    cold = frame["temperature"] <= frame["temperature"].quantile(0.25)
    mild = frame["temperature"] >= frame["temperature"].quantile(0.75)
    assert furnace[cold].mean() > 1.1 * furnace[mild].mean()  # near-saturated in a cold snap


def test_appliances_spike_and_cycle(frame: pd.DataFrame) -> None:
    for name, spike_kw in [("Dishwasher [kW]", 1.0), ("Microwave [kW]", 1.0), ("Kitchen 14 [kW]", 1.0)]:
        values = frame[name]
        assert values.max() > spike_kw, name
        assert values.median() < 0.01, name  # mostly idle
    for name in ("Fridge [kW]", "Wine cellar [kW]"):
        on = frame[name] > 0.05
        assert 0.05 < on.mean() < 0.8, name
        assert (on.astype(int).diff().abs().sum()) > 2 * DAYS, name  # switches on and off many times a day


# ---------------------------------------------------------------------------------------------- homes


def test_same_seed_same_bytes_and_prefix(tmp_path: Path) -> None:
    a, b, short = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "short.csv"
    generator.generate_home(a, rows=2 * 1440, seed=3, home_index=1)
    generator.generate_home(b, rows=2 * 1440, seed=3, home_index=1)
    generator.generate_home(short, rows=1000, seed=3, home_index=1)
    assert a.read_bytes() == b.read_bytes()
    short_lines = _lines(short)
    assert _lines(a)[: len(short_lines) - 2] == short_lines[:-2]  # all but the junk row


def test_seeds_and_homes_differ(tmp_path: Path) -> None:
    files = {}
    for seed, home in [(0, 0), (1, 0), (0, 1)]:
        path = tmp_path / f"{seed}-{home}.csv"
        generator.generate_home(path, rows=1440, seed=seed, home_index=home)
        files[seed, home] = pd.read_csv(path, na_values=["cloudCover"]).iloc[:-1]
    base = files[0, 0]
    for key in [(1, 0), (0, 1)]:
        assert not base[APPLIANCES].equals(files[key][APPLIANCES]), key
    # The homes of one seed share the town's weather; another seed has other weather.
    assert base[WEATHER].equals(files[0, 1][WEATHER])
    assert not base[WEATHER].equals(files[1, 0][WEATHER])


def test_generate_homes_names_and_stability(tmp_path: Path) -> None:
    paths = generator.generate_homes(tmp_path / "three", homes=3, days=1, seed=5)
    assert [p.name for p in paths] == ["home_01.csv", "home_02.csv", "home_03.csv"]
    for path in paths:
        assert len(_lines(path)) == 1 + 1440 + 1 + 1
    (one,) = generator.generate_homes(tmp_path / "one", homes=1, days=1, seed=5)
    assert one.read_bytes() == paths[0].read_bytes()
    assert generator.generate_homes(tmp_path / "none", homes=0) == []


def test_rows_for_days() -> None:
    assert generator.rows_for_days(None) == contract.FULL_YEAR_ROWS
    assert generator.rows_for_days(3) == 3 * 1440
    with pytest.raises(ValueError):
        generator.rows_for_days(-1)


def test_rejects_negative_arguments(tmp_path: Path) -> None:
    for kwargs in [{"rows": -1}, {"seed": -1}, {"home_index": -1}]:
        with pytest.raises(ValueError):
            generator.generate_home(tmp_path / "x.csv", **kwargs)


def test_zero_rows_is_header_and_junk(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    assert generator.generate_home(path, rows=0) == 0
    assert len(list(csv.reader(path.open()))) == 2


def test_write_is_atomic_and_readable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "home.csv"
    generator.generate_home(path, rows=100)
    before = path.read_bytes()
    assert os.stat(path).st_mode & 0o777 == 0o644

    def fail(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("disk full")

    monkeypatch.setattr(generator, "block_text", fail)
    with pytest.raises(RuntimeError):
        generator.generate_home(path, rows=5000, seed=1)
    assert path.read_bytes() == before  # the old file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["home.csv"]  # no temp file left behind


@pytest.mark.slow
def test_full_year(tmp_path: Path) -> None:
    path = tmp_path / "year.csv"
    assert generator.generate_home(path) == contract.FULL_YEAR_ROWS
    assert 100e6 < path.stat().st_size < 160e6  # the real file: 131 MB
    df = pd.read_csv(path, na_values=["cloudCover"], low_memory=False)
    assert len(df) == contract.FULL_YEAR_ROWS + 1
    assert df["time"].iloc[-1] == generator.JUNK_TIME_TEXT and df.iloc[-1, 1:].isna().all()
    df = df.iloc[:-1]
    month = (
        pd.Timestamp("2016-01-01") + pd.to_timedelta(df["time"].astype(np.int64) - contract.TIME_ORIGIN, "min")
    ).dt.month
    monthly = df.groupby(month)[["temperature", "gen [kW]", "Furnace 1 [kW]", "Furnace 2 [kW]"]].mean()
    winter, summer = monthly.loc[[1, 2]].mean(), monthly.loc[[6, 7]].mean()
    assert summer["temperature"] > winter["temperature"] + 30
    assert summer["gen [kW]"] > 1.5 * winter["gen [kW]"]
    furnace = ["Furnace 1 [kW]", "Furnace 2 [kW]"]
    assert winter[furnace].sum() > 2 * summer[furnace].sum()
    assert (df["icon"] == "snow").any() and (df.loc[month.isin([6, 7, 8]), "icon"] != "snow").all()
