"""Synthetic HomeC.csv files: one believable smart home per file, in exactly the real file's format.

Why this exists: the pipeline has to run, be demonstrated and be tested without the Kaggle file (130 MB,
one home, not ours to redistribute). Files written here are indistinguishable from HomeC.csv by format,
so every reader, cleaning rule and check is exercised on the real quirks (see :mod:`.contract`):

* the header is :data:`contract.RAW_HEADER`; LF line endings, no BOM, no quoting;
* ``time`` counts up by one per row from :data:`contract.TIME_ORIGIN` although rows are a minute apart;
* ``cloudCover`` is the text ``cloudCover`` in the first :data:`contract.CLOUD_COVER_TEXT_ROWS` rows;
* weather changes only every :data:`contract.WEATHER_PERIOD_ROWS` rows;
* ``use [kW]`` and ``House overall [kW]`` (``gen [kW]`` and ``Solar [kW]``) carry the same text;
* kW readings are whole multiples of 1/60,000 kW like the real meter's, written like the real file:
  ``0.932833333`` (9 decimals at most, trailing zeros dropped), ``0`` and below 0.0001 kW scientific
  notation with an upper-case ``E`` (``1.67E-05``); weather numbers have 2 decimals at most (``10``, ``9.07``),
  ``precipIntensity`` 4 and ``windBearing`` none;
* one junk row ends the file: a non-numeric ``time`` and 31 empty fields.

The numbers come from a small physical model rather than a replay, so charts look like a real house in the
US north-east (local time is UTC-5, the file starts at local midnight): seasonal and daily temperature
cycles, furnaces that work harder in the cold, solar generation by day and more in summer, fridge and wine
cellar compressors cycling, appliance spikes around meals, and a whole-house ``use`` that always exceeds the
metered circuits (lights, range, laundry, air conditioning and plugs are not metered separately). Homes
differ by seeded habits and equipment; the weather depends only on the seed (the homes of one seed share a
town), and everything is deterministic for a given seed.

Speed: the values are vectorised with numpy per block of days, and the text is built with pyarrow
(kW text by lookup into a table of every possible reading, weather text once per weather period, rows
joined in C++), so a full year (about 130 MB) takes a few seconds and memory does not grow with the rows.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from smarthome_assets.homec import contract

__all__ = ["JUNK_TIME_TEXT", "generate_home", "generate_homes", "home_file_name", "rows_for_days"]

#: What the junk last row holds in `time`: any text a numeric parser rejects (the real file's is non-numeric too).
JUNK_TIME_TEXT = "end of export"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# The real meter reports whole multiples of 1/60,000 kW (a minute's mean of one-second watt readings).
_UNITS_PER_KW = 60_000
# Readings above this are clipped; the real maximum is 14.71 kW. Sizes the text lookup table.
_MAX_KW = 25.0
_MAX_UNITS = int(_MAX_KW * _UNITS_PER_KW)
# Below 0.0001 kW the real file switches to scientific notation with three significant digits.
_SCIENTIFIC_BELOW_UNITS = 6

# Rows are simulated in blocks of whole days; a block is also the unit of streaming to the file.
_BLOCK_DAYS = 14
_BLOCK_ROWS = _BLOCK_DAYS * contract.MINUTES_PER_DAY

# Where the house is (western Massachusetts) and its clock: local standard time, no daylight saving.
_LATITUDE_DEG = 42.4
_LONGITUDE_DEG = -72.5
_UTC_OFFSET_HOURS = -5
# 2016-01-01, the first day of the file, was a Friday (Monday = 0).
_FIRST_WEEKDAY = 4

# Ranges seen in the full real file (FACTS.md), used to keep the weather believable.
_TEMPERATURE_F = (-12.64, 93.72)
_HUMIDITY = (0.13, 0.98)
_PRESSURE_HPA = (986.4, 1042.5)
_WIND_MPH = (0.0, 22.91)
_VISIBILITY_MI = (0.27, 10.0)
_PRECIP_INTENSITY = (0.0, 0.191)
_PRECIP_PROBABILITY = (0.0, 0.84)
_DEW_POINT_F = (-27.24, 75.49)

# Independent random streams, so that each series has the same prefix whatever the number of rows.
_STREAM_WEATHER = 1
_STREAM_HOME = 2
_STREAM_BLOCK = 3

# The icon and summary words the weather model uses; checked against the contract when imported.
_CLEAR = ("clear-day", "clear-night")
_PARTLY = ("partly-cloudy-day", "partly-cloudy-night")
_ICONS_USED = (*_CLEAR, *_PARTLY, "cloudy", "rain", "snow", "wind", "fog")
_SUMMARIES_USED = (
    "Clear", "Dry", "Partly Cloudy", "Mostly Cloudy", "Overcast", "Foggy", "Breezy",
    "Breezy and Partly Cloudy", "Breezy and Mostly Cloudy", "Drizzle", "Light Rain", "Rain",
    "Rain and Breezy", "Flurries", "Flurries and Breezy", "Light Snow", "Snow", "Heavy Snow",
)  # fmt: skip
if not set(_ICONS_USED) <= set(contract.ICONS) or not set(_SUMMARIES_USED) <= set(contract.SUMMARIES):
    raise RuntimeError("generator weather words are out of step with contract.ICONS / contract.SUMMARIES")


# --------------------------------------------------------------------------------------------------------
# Public API


def rows_for_days(days: int | None) -> int:
    """Valid rows for `days` of minutes; None means the real file's full length (not 366 days of minutes)."""
    if days is None:
        return contract.FULL_YEAR_ROWS
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    return days * contract.MINUTES_PER_DAY


def home_file_name(home_index: int) -> str:
    """`home_01.csv` for index 0: stable names, so re-running replaces a home's file instead of adding one."""
    return f"home_{home_index + 1:02d}.csv"


def generate_home(path: Path, *, rows: int = contract.FULL_YEAR_ROWS, seed: int = 0, home_index: int = 0) -> int:
    """Write one home's HomeC-shaped CSV to `path` and return the number of valid rows written.

    The file appears atomically (written beside `path`, then renamed), so a reader never sees half a file.
    Row ``i`` depends only on ``(seed, home_index, i)``: a shorter file is a prefix of a longer one.
    """
    if rows < 0 or seed < 0 or home_index < 0:
        raise ValueError(f"rows, seed and home_index must be >= 0, got {rows}, {seed}, {home_index}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    blocks = -(-rows // _BLOCK_ROWS)
    weather = _weather_text(_simulate_weather(seed, _weather_periods(blocks * _BLOCK_ROWS)))
    home = _Home.draw(seed, home_index)

    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as out:
            out.write((",".join(contract.RAW_HEADER) + "\n").encode())
            for block in range(blocks):
                first = block * _BLOCK_ROWS
                n = min(_BLOCK_ROWS, rows - first)
                rng = np.random.default_rng([_STREAM_BLOCK, seed, home_index, block])
                power = _simulate_power(home, weather.values, first, rng)
                out.write(_block_text(first, n, power, weather))
            out.write((JUNK_TIME_TEXT + "," * (len(contract.COLUMNS) - 1) + "\n").encode())
        os.chmod(tmp_name, 0o644)  # mkstemp makes 0600; a database server reading the file needs more
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return rows


def generate_homes(out_dir: Path, *, homes: int = 1, days: int | None = None, seed: int = 0) -> list[Path]:
    """Write `homes` files (`home_01.csv`, ...) into `out_dir`, each `days` long (None: a full year).

    Homes of one seed share the weather and differ in habits and equipment; home i of a seed is the same
    whatever `homes` is, so adding homes never changes the existing ones.
    """
    if homes < 0:
        raise ValueError(f"homes must be >= 0, got {homes}")
    rows = rows_for_days(days)
    out_dir = Path(out_dir)
    paths = []
    for index in range(homes):
        path = out_dir / home_file_name(index)
        generate_home(path, rows=rows, seed=seed, home_index=index)
        paths.append(path)
    return paths


# --------------------------------------------------------------------------------------------------------
# Text


@lru_cache(maxsize=1)
def _kw_text_table() -> pa.StringArray:
    """The text of every possible kW reading (index = reading in 1/60,000 kW), formatted like the real file.

    Built once (in slices, to keep the peak memory low) with vectorised pyarrow kernels; formatting a
    column is then one `take`.
    """
    small = ["0"] + [_scientific(u / _UNITS_PER_KW) for u in range(1, _SCIENTIFIC_BELOW_UNITS)]
    parts = [pa.array(small, pa.string())]
    step = 1 << 18
    for low in range(_SCIENTIFIC_BELOW_UNITS, _MAX_UNITS + 1, step):
        units = np.arange(low, min(low + step, _MAX_UNITS + 1), dtype=np.int64)
        nano = (2 * 1_000_000_000 * units + _UNITS_PER_KW) // (2 * _UNITS_PER_KW)  # kW in 1e-9, half up
        whole = pa.array(nano // 1_000_000_000).cast(pa.string())
        fraction = pa.array(nano % 1_000_000_000).cast(pa.string())
        fraction = pc.utf8_rtrim(pc.utf8_lpad(fraction, 9, "0"), "0")
        joined = pc.binary_join_element_wise(whole, fraction, ".")
        parts.append(pc.if_else(pc.equal(fraction, ""), whole, joined))
    return pa.concat_arrays(parts)


def _scientific(value: float) -> str:
    """`1.67E-05`, `5E-05`: three significant digits, trailing zeros dropped, as the real file writes them."""
    mantissa, exponent = f"{value:.2E}".split("E")
    return f"{mantissa.rstrip('0').rstrip('.')}E{exponent}"


def _fixed(values: FloatArray, decimals: int) -> list[str]:
    """Round to `decimals` and drop trailing zeros (`10`, `9.07`, `0.1`), never writing `-0`."""
    if decimals == 0:
        return [str(v) for v in np.rint(values).astype(np.int64).tolist()]
    texts = []
    for value in np.round(values, decimals).tolist():
        text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
        texts.append("0" if text == "-0" else text)
    return texts


# --------------------------------------------------------------------------------------------------------
# Weather: one reading per weather period of 58 rows


@dataclass(frozen=True)
class _Weather:
    """One value per weather period, already rounded as written; icon and summary as words."""

    temperature: FloatArray
    humidity: FloatArray
    visibility: FloatArray
    apparent_temperature: FloatArray
    pressure: FloatArray
    wind_speed: FloatArray
    cloud_cover: FloatArray
    wind_bearing: FloatArray
    precip_intensity: FloatArray
    dew_point: FloatArray
    precip_probability: FloatArray
    icon: list[str]
    summary: list[str]


@dataclass(frozen=True)
class _WeatherText:
    """The weather's text per period (a pyarrow array per column) plus its numbers for the power model."""

    values: _Weather
    columns: dict[str, pa.StringArray]


_WEATHER_DECIMALS = {
    "temperature": 2,
    "humidity": 2,
    "visibility": 2,
    "apparent_temperature": 2,
    "pressure": 2,
    "wind_speed": 2,
    "cloud_cover": 2,
    "wind_bearing": 0,
    "precip_intensity": 4,
    "dew_point": 2,
    "precip_probability": 2,
}


def _weather_periods(rows: int) -> int:
    """Periods simulated: at least a full year's, so the weather of a row never depends on the file length."""
    full_year = -(-contract.FULL_YEAR_ROWS // _BLOCK_ROWS) * _BLOCK_ROWS
    return -(-max(rows, full_year) // contract.WEATHER_PERIOD_ROWS)


def _weather_rng(seed: int, stream: int) -> np.random.Generator:
    """One random stream per weather series, so a series' prefix never depends on how long it is."""
    return np.random.default_rng([_STREAM_WEATHER, seed, stream])


def _ar1(seed: int, stream: int, n: int, tau: float) -> FloatArray:
    """Unit-variance AR(1) noise with e-folding time `tau` steps: slow weather systems, not white noise."""
    rng = _weather_rng(seed, stream)
    phi = math.exp(-1.0 / tau)
    shocks = rng.standard_normal(n)
    shocks[1:] *= math.sqrt(1.0 - phi * phi)
    out = np.empty(n)
    x = 0.0
    for i, shock in enumerate(shocks.tolist()):
        x = phi * x + shock if i else shock
        out[i] = x
    return out


def _simulate_weather(seed: int, periods: int) -> _Weather:
    """Hourly-ish weather for a north-east US town: seasons, day/night, passing fronts, rain and snow."""
    minutes = np.arange(periods) * contract.WEATHER_PERIOD_ROWS + contract.WEATHER_PERIOD_ROWS // 2
    hour = (minutes % contract.MINUTES_PER_DAY) / 60.0
    season = _season(minutes)  # -1 in mid-January, +1 in mid-July
    daytime = _sun_sin_elevation(minutes) > 0.0
    diurnal = np.cos(2 * np.pi * (hour - 15.0) / 24.0)  # +1 at 15:00, -1 at 03:00

    front = _ar1(seed, 1, periods, tau=40.0)  # warm/cold spells
    low = _ar1(seed, 2, periods, tau=30.0)  # pressure systems
    cloudy = _ar1(seed, 3, periods, tau=8.0)
    moist = _ar1(seed, 4, periods, tau=20.0)
    gusty = _ar1(seed, 5, periods, tau=14.0)
    veer = _ar1(seed, 6, periods, tau=30.0)
    jitter = [_weather_rng(seed, stream).standard_normal(periods) for stream in (7, 8, 9, 10)]
    chance = [_weather_rng(seed, stream).random(periods) for stream in (11, 12)]

    pressure = np.clip(1016.5 + (7.5 - 2.0 * season) * low, *_PRESSURE_HPA)
    wet = (0.6 * cloudy + 0.5 * moist - 0.45 * low) / math.sqrt(0.36 + 0.25 + 0.2025)
    precip = wet > 1.3
    sky = (0.75 * cloudy - 0.45 * low) / 0.875  # unit variance; mostly clear, a tail of grey days
    cloud = np.clip(0.08 + 0.22 * sky + 0.5 * np.maximum(sky - 1.2, 0.0), 0.0, 1.0)
    cloud = np.where(precip, np.maximum(cloud, 0.85 + 0.15 * np.tanh(wet - 1.3)), cloud)
    cloud = np.round(cloud, 2)  # as written, so the icon agrees with the number a reader sees

    # Air masses set the daily mean and the dew point; the sun adds the daily swing (less under clouds),
    # so the relative humidity peaks at dawn and drops in the afternoon as it does outdoors.
    air_mass = 49.5 + 22.5 * season + (10.0 - 3.0 * season) * front - 2.0 * precip
    temperature = air_mass + (9.0 - 5.0 * cloud) * diurnal + 0.3 * jitter[0]
    temperature = np.round(np.clip(temperature, *_TEMPERATURE_F), 2)
    # Muggy summer air holds at most a dew point in the low seventies (the real maximum is 75.5 F).
    depression = np.clip(12.0 - 5.5 * moist - 6.0 * precip + 0.5 * jitter[1], 0.5, None)
    dew_point = air_mass - depression - 0.5 * np.maximum(air_mass - 70.0, 0.0)
    humidity = np.clip(np.round(_relative_humidity(temperature, dew_point), 2), *_HUMIDITY)
    dew_point = np.clip(_dew_point_f(temperature, humidity), *_DEW_POINT_F)

    wind_speed = 5.6 * np.exp(0.38 * gusty) * (1.0 + 0.15 * daytime) * (1.0 - 0.1 * season)
    wind_speed = np.round(np.clip(wind_speed * (1.0 + 0.25 * precip) + 0.3 * jitter[2], *_WIND_MPH), 2)
    wind_bearing = np.rint(235.0 + 60.0 * veer + 12.0 * jitter[3]) % 360

    excess = np.maximum(wet - 1.3, 0.0)
    intensity = np.where(precip, 0.0008 + 0.012 * np.expm1(1.4 * excess), 0.0)
    intensity = np.round(np.clip(intensity, *_PRECIP_INTENSITY), 4)
    probability = np.where(precip, np.clip(0.02 + 5.0 * intensity + 0.12 * excess, 0.01, 0.84), 0.0)
    snow = precip & (temperature <= 33.5)
    foggy = ~precip & (humidity >= 0.96) & (wind_speed < 4.0) & (chance[0] < 0.3)
    visibility = 10.0 - np.maximum(humidity - 0.9, 0.0) * 40.0
    visibility -= np.where(snow, 150.0, 60.0) * intensity
    visibility = np.where(foggy, 0.27 + 1.5 * chance[1], visibility)
    visibility = np.clip(visibility, *_VISIBILITY_MI)

    apparent = _apparent_temperature_f(temperature, humidity, wind_speed)
    icon, summary = _describe(daytime, cloud, humidity, wind_speed, intensity, snow, foggy)
    return _Weather(
        temperature=temperature,
        humidity=humidity,
        visibility=visibility,
        apparent_temperature=apparent,
        pressure=pressure,
        wind_speed=wind_speed,
        cloud_cover=cloud,
        wind_bearing=wind_bearing,
        precip_intensity=intensity,
        dew_point=dew_point,
        precip_probability=np.round(probability, 2),
        icon=icon,
        summary=summary,
    )


def _relative_humidity(temperature_f: FloatArray, dew_point_f: FloatArray) -> FloatArray:
    """Magnus formula: relative humidity from temperature and dew point."""
    t, d = (temperature_f - 32.0) / 1.8, (dew_point_f - 32.0) / 1.8
    return np.exp(17.62 * d / (243.12 + d) - 17.62 * t / (243.12 + t))


def _dew_point_f(temperature_f: FloatArray, humidity: FloatArray) -> FloatArray:
    """Magnus formula: the dew point follows from temperature and relative humidity."""
    celsius = (temperature_f - 32.0) / 1.8
    gamma = np.log(humidity) + 17.62 * celsius / (243.12 + celsius)
    return 243.12 * gamma / (17.62 - gamma) * 1.8 + 32.0


def _apparent_temperature_f(temperature: FloatArray, humidity: FloatArray, wind: FloatArray) -> FloatArray:
    """NWS wind chill when cold and windy, heat index when hot (the real file's values follow these)."""
    v16 = np.power(np.maximum(wind, 0.0), 0.16)
    chill = 35.74 + 0.6215 * temperature - 35.75 * v16 + 0.4275 * temperature * v16
    t, rh = temperature, humidity * 100.0
    heat = (
        -42.379
        + 2.04901523 * t
        + 10.14333127 * rh
        - 0.22475541 * t * rh
        - 6.83783e-3 * t * t
        - 5.481717e-2 * rh * rh
        + 1.22874e-3 * t * t * rh
        + 8.5282e-4 * t * rh * rh
        - 1.99e-6 * t * t * rh * rh
    )
    apparent = np.where((temperature <= 50.0) & (wind >= 3.0), np.minimum(chill, temperature), temperature)
    return np.where(temperature >= 80.0, np.maximum(heat, temperature), apparent)


def _describe(
    daytime: BoolArray,
    cloud: FloatArray,
    humidity: FloatArray,
    wind: FloatArray,
    intensity: FloatArray,
    snow: BoolArray,
    foggy: BoolArray,
) -> tuple[list[str], list[str]]:
    """Icon and summary consistent with the numbers, in the weather feed's words (contract.ICONS/SUMMARIES)."""
    rain = (intensity > 0) & ~snow
    snowing = (intensity > 0) & snow
    breezy = wind >= 15.0
    clear = np.where(daytime, _CLEAR[0], _CLEAR[1])
    partly = np.where(daytime, _PARTLY[0], _PARTLY[1])
    sky_icon = np.select([cloud >= 0.95, cloud >= 0.25], ["cloudy", partly], clear)
    sky_summary = np.select(
        [cloud >= 0.95, cloud >= 0.75, cloud >= 0.25, humidity < 0.3],
        ["Overcast", "Mostly Cloudy", "Partly Cloudy", "Dry"],
        "Clear",
    )
    windy_summary = np.select(
        [cloud >= 0.75, cloud >= 0.25], ["Breezy and Mostly Cloudy", "Breezy and Partly Cloudy"], "Breezy"
    )
    snow_summary = np.select(
        [intensity < 0.004, intensity < 0.03, intensity < 0.1], ["Flurries", "Light Snow", "Snow"], "Heavy Snow"
    )
    snow_summary = np.where((snow_summary == "Flurries") & breezy, "Flurries and Breezy", snow_summary)
    rain_summary = np.select([intensity < 0.004, intensity < 0.02], ["Drizzle", "Light Rain"], "Rain")
    rain_summary = np.where((rain_summary == "Rain") & breezy, "Rain and Breezy", rain_summary)
    conditions = [snowing, rain, foggy, breezy]
    icon = np.select(conditions, ["snow", "rain", "fog", "wind"], sky_icon)
    summary = np.select(conditions, [snow_summary, rain_summary, "Foggy", windy_summary], sky_summary)
    return icon.tolist(), summary.tolist()


def _weather_text(weather: _Weather) -> _WeatherText:
    """Format each weather column once per period; rows then pick their period's text with one `take`."""
    columns: dict[str, pa.StringArray] = {}
    for column in contract.WEATHER_COLUMNS:
        values = getattr(weather, column.name)
        texts = values if isinstance(values, list) else _fixed(values, _WEATHER_DECIMALS[column.name])
        columns[column.name] = pa.array(texts, pa.string())
    return _WeatherText(values=weather, columns=columns)


# --------------------------------------------------------------------------------------------------------
# Calendar and sun


def _season(minutes: npt.NDArray[np.integer] | FloatArray) -> FloatArray:
    """-1 at the coldest time of year (about 18 January), +1 at the warmest (mid-July)."""
    return -np.cos(2 * np.pi * (minutes / contract.MINUTES_PER_DAY - 18.0) / 365.25)


def _sun_sin_elevation(minutes: npt.NDArray[np.integer] | FloatArray) -> FloatArray:
    """Sine of the sun's elevation at the house (NOAA approximation); > 0 means the sun is up."""
    day = minutes / contract.MINUTES_PER_DAY
    g = 2 * np.pi / 365.0 * day
    declination = (
        0.006918
        - 0.399912 * np.cos(g)
        + 0.070257 * np.sin(g)
        - 0.006758 * np.cos(2 * g)
        + 0.000907 * np.sin(2 * g)
        - 0.002697 * np.cos(3 * g)
        + 0.00148 * np.sin(3 * g)
    )
    equation_of_time = 229.18 * (
        0.000075 + 0.001868 * np.cos(g) - 0.032077 * np.sin(g) - 0.014615 * np.cos(2 * g) - 0.040849 * np.sin(2 * g)
    )
    solar_minutes = minutes % contract.MINUTES_PER_DAY + equation_of_time + 4 * _LONGITUDE_DEG - 60 * _UTC_OFFSET_HOURS
    hour_angle = np.radians(solar_minutes / 4.0 - 180.0)
    lat = math.radians(_LATITUDE_DEG)
    return math.sin(lat) * np.sin(declination) + math.cos(lat) * np.cos(declination) * np.cos(hour_angle)


# --------------------------------------------------------------------------------------------------------
# The home: equipment and habits drawn per home, then minute-by-minute power


@dataclass(frozen=True)
class _Home:
    """What makes one home different from another: its equipment, its size and its people's habits."""

    scale: float
    wake: float
    leave: float
    back: float
    dinner: float
    bed: float
    works_from_home: float
    heat_balance_f: float
    night_setback: float
    furnace1_kw: float
    furnace1_idle_kw: float
    furnace1_period: float
    furnace2_kw: float
    furnace2_idle_kw: float
    furnace2_period: float
    furnace2_share: float
    cool_balance_f: float
    ac_kw: float
    fridge_kw: float
    fridge_period: float
    fridge_duty: float
    defrost_hours: float
    defrost_kw: float
    wine_kw: float
    wine_period: float
    dishwasher_per_day: float
    dishwasher_kw: float
    kettle_per_day: float
    microwave_per_day: float
    toaster_per_day: float
    barn_chores: float
    barn_heater_kw: float
    barn_tools_per_day: float
    well_per_day: float
    well_kw: float
    tv_evenings: float
    tv_kw: float
    office_kw: float
    pv_kw: float
    base_kw: float
    light_kw: float
    water_heater_kw: float
    laundry_per_day: float
    range_per_day: float
    phases: tuple[float, ...]

    @classmethod
    def draw(cls, seed: int, home_index: int) -> _Home:
        """The home's profile from its own random stream: the same home for the same (seed, index)."""
        rng = np.random.default_rng([_STREAM_HOME, seed, home_index])

        def u(low: float, high: float) -> float:
            return float(rng.uniform(low, high))

        return cls(
            scale=float(np.clip(rng.lognormal(0.0, 0.25), 0.6, 1.8)),
            wake=u(5.8, 7.5),
            leave=u(7.4, 8.8),
            back=u(16.5, 18.5),
            dinner=u(17.8, 19.5),
            bed=u(21.8, 23.8),
            works_from_home=u(0.0, 0.8),
            heat_balance_f=u(55.0, 62.0),
            night_setback=u(0.35, 0.8),
            furnace1_kw=u(0.42, 0.55),
            furnace1_idle_kw=u(0.017, 0.024),
            furnace1_period=u(28.0, 45.0),
            furnace2_kw=u(0.55, 0.72),
            furnace2_idle_kw=u(0.055, 0.066),
            furnace2_period=u(35.0, 60.0),
            furnace2_share=u(0.5, 1.0),
            cool_balance_f=u(72.0, 79.0),
            ac_kw=u(1.8, 3.6) if rng.random() < 0.85 else 0.0,
            fridge_kw=u(0.105, 0.14),
            fridge_period=u(40.0, 70.0),
            fridge_duty=u(0.3, 0.45),
            defrost_hours=u(7.0, 12.0),
            defrost_kw=u(0.4, 0.62),
            wine_kw=u(0.095, 0.125),
            wine_period=u(60.0, 120.0),
            dishwasher_per_day=u(0.35, 1.0),
            dishwasher_kw=u(1.15, 1.38),
            kettle_per_day=u(0.5, 2.5),
            microwave_per_day=u(0.8, 3.5),
            toaster_per_day=u(0.1, 0.8),
            barn_chores=u(0.2, 0.9),
            barn_heater_kw=u(0.15, 0.5),
            barn_tools_per_day=u(0.01, 0.08),
            well_per_day=u(8.0, 20.0),
            well_kw=u(1.1, 1.6),
            tv_evenings=u(0.5, 0.95),
            tv_kw=u(0.1, 0.33),
            office_kw=u(0.15, 0.45),
            pv_kw=u(0.5, 1.4),
            base_kw=u(0.1, 0.3),
            light_kw=u(0.1, 0.35),
            water_heater_kw=4.5 if rng.random() < 0.4 else 0.0,
            laundry_per_day=u(0.2, 0.8),
            range_per_day=u(0.3, 0.9),
            phases=tuple(rng.random(8).tolist()),
        )


def _cycling(minutes: IntArray, period: float, duty: FloatArray | float, phase: float) -> BoolArray:
    """Thermostat-style on/off cycling with a wobbling period; continuous across blocks (uses global minutes)."""
    wobble = 0.25 * np.sin(2 * np.pi * minutes / (period * 5.3) + 6.283 * phase)
    return (minutes / period + phase + wobble) % 1.0 < duty


def _events(
    rng: np.random.Generator,
    days: int,
    per_day: FloatArray | float,
    hours: tuple[float, ...],
    spread: float,
    weights: tuple[float, ...] | None = None,
) -> IntArray:
    """Start rows of random daily events clustered around `hours` (e.g. meal times)."""
    counts = rng.poisson(np.broadcast_to(np.asarray(per_day, dtype=float), (days,)))
    day = np.repeat(np.arange(days), counts)
    total = int(counts.sum())
    p = None if weights is None else np.asarray(weights) / np.sum(weights)
    centre = np.asarray(hours)[rng.choice(len(hours), size=total, p=p)]
    minute = np.clip(np.rint((centre + rng.normal(0.0, spread, total)) * 60.0), 0, contract.MINUTES_PER_DAY - 1)
    return day * contract.MINUTES_PER_DAY + minute.astype(np.int64)


def _paint(out: FloatArray, starts: IntArray, lengths: IntArray, kw: FloatArray | float) -> None:
    """Add one appliance's rectangular events (start row, length, kW) to `out`, cut at the block's end.

    Overlapping events of the same appliance do not add up (a kettle cannot boil twice at once): the
    appliance draws the largest of its overlapping events.
    """
    if starts.size == 0:
        return
    lengths = np.broadcast_to(lengths, starts.shape)
    offsets = np.arange(int(lengths.max()))
    rows = starts[:, None] + offsets[None, :]
    inside = (offsets[None, :] < lengths[:, None]) & (rows < out.shape[0])
    level = np.zeros_like(out)
    kw = np.broadcast_to(np.asarray(kw, dtype=float)[..., None], rows.shape)
    np.maximum.at(level, rows[inside], kw[inside])
    out += level


def _paint_shape(out: FloatArray, starts: IntArray, shape: FloatArray, scale: FloatArray) -> None:
    """Add an appliance's multi-phase cycle (`shape` kW per minute, times `scale` per event) at each start."""
    if starts.size == 0:
        return
    rows = starts[:, None] + np.arange(shape.size)[None, :]
    inside = rows < out.shape[0]
    level = np.zeros_like(out)
    np.maximum.at(level, rows[inside], (scale[:, None] * shape[None, :])[inside])
    out += level


# One dishwasher cycle, minute by minute, as a fraction of the heater's power: fill, heated wash, wash,
# heated rinse, drying.
_DISHWASHER_SHAPE = np.concatenate(
    [np.full(5, 0.03), np.full(20, 1.0), np.full(30, 0.08), np.full(15, 0.97), np.full(30, 0.012)]
)


def _simulate_power(home: _Home, weather: _Weather, first_row: int, rng: np.random.Generator) -> dict[str, IntArray]:
    """One block of minutes for one home: every power column, in 1/60,000 kW, by contract name."""
    n = _BLOCK_ROWS
    days = _BLOCK_DAYS
    minutes = first_row + np.arange(n, dtype=np.int64)
    hour = (minutes % contract.MINUTES_PER_DAY) / 60.0
    day_of_block = (minutes - first_row) // contract.MINUTES_PER_DAY
    weekend = ((minutes // contract.MINUTES_PER_DAY + _FIRST_WEEKDAY) % 7 >= 5)[:: contract.MINUTES_PER_DAY]
    weekend_row = weekend[day_of_block]
    period = minutes // contract.WEATHER_PERIOD_ROWS
    temperature = weather.temperature[period]
    cloud = weather.cloud_cover[period]
    raining = weather.precip_intensity[period] > 0
    season = _season(minutes)
    summer = (season + 1.0) / 2.0
    sun = _sun_sin_elevation(minutes)
    h = home

    def noise(relative: float) -> FloatArray:
        return 1.0 + relative * rng.standard_normal(n)

    def daily(mean: float, sd: float) -> FloatArray:
        return (mean + sd * rng.standard_normal(days))[day_of_block]

    wake = daily(h.wake, 0.3) + 1.0 * weekend_row
    bed = daily(h.bed, 0.4)
    awake = (hour >= wake) & (hour < bed)
    away = ~weekend_row & (hour >= daily(h.leave, 0.3)) & (hour < daily(h.back, 0.5))
    at_home_awake = awake & ~away
    weekend_rate = np.where(weekend, 1.3, 1.0)
    kw: dict[str, FloatArray] = {}

    # Heating: the colder, the longer the furnaces run; setback at night, a boost when the house wakes up.
    demand = np.clip((h.heat_balance_f - temperature) / (h.heat_balance_f + 5.0), 0.0, 1.0)
    demand *= np.where(awake, 1.0, h.night_setback)
    demand = np.where(awake & (hour < wake + 1.0) & (demand > 0), np.minimum(1.0, demand * 1.6 + 0.15), demand)
    cooling = np.clip((temperature - h.cool_balance_f) / 15.0, 0.0, 0.9) * (h.ac_kw > 0)
    cooling *= np.where(awake, 1.0, 0.7)
    heat1 = _cycling(minutes, h.furnace1_period, np.minimum(demand * 1.05, 0.97), h.phases[0])
    cool = _cycling(minutes, h.furnace1_period, cooling, h.phases[0])
    heat2 = _cycling(minutes, h.furnace2_period, np.clip(demand * h.furnace2_share - 0.03, 0, 0.95), h.phases[1])
    blower1 = heat1 | cool
    ignition = blower1 & ~np.roll(blower1, 1)
    kw["furnace_1_kw"] = (
        h.furnace1_idle_kw * noise(0.03)
        + blower1 * (h.furnace1_kw * np.where(cool, 0.85, 1.0)) * noise(0.03)
        + ignition * rng.uniform(0.3, 1.2, n)
    )
    kw["furnace_2_kw"] = h.furnace2_idle_kw * noise(0.02) + heat2 * h.furnace2_kw * noise(0.03)

    # Fridge and wine cellar: compressors cycle, harder in summer; the fridge defrosts a few times a day.
    fridge_on = _cycling(minutes, h.fridge_period, h.fridge_duty + 0.08 * summer + 0.05 * awake, h.phases[2])
    since_start = (minutes / h.fridge_period + h.phases[2]) % 1.0 * h.fridge_period
    defrost_period = h.defrost_hours * 60.0
    defrost = (minutes / defrost_period + h.phases[3]) % 1.0 < 22.0 / defrost_period
    fridge = 0.005 + fridge_on * h.fridge_kw * (1.0 + 0.3 * np.exp(-since_start / 3.0))
    fridge = np.where(defrost, h.defrost_kw, fridge) * noise(0.02)
    door = _events(rng, days, 15.0 * h.scale, (h.wake + 0.5, 12.5, h.dinner), 1.5)
    _paint(fridge, door, rng.integers(1, 3, door.size), rng.uniform(0.02, 0.04, door.size))
    kw["fridge_kw"] = fridge
    wine_on = _cycling(minutes, h.wine_period, 0.12 + 0.35 * summer, h.phases[4])
    kw["wine_cellar_kw"] = np.where(wine_on, h.wine_kw, 0.007) * noise(0.015)

    # Dishwasher: one cycle after dinner most days; tiny standby readings otherwise.
    dishes = _events(rng, days, h.dishwasher_per_day * weekend_rate, (h.dinner + 1.3, 9.5), 0.6, (0.85, 0.15))
    dishwasher = rng.integers(0, 9, n) * (rng.random(n) < 0.6) / _UNITS_PER_KW
    _paint_shape(dishwasher, dishes, _DISHWASHER_SHAPE, h.dishwasher_kw * rng.uniform(0.95, 1.05, dishes.size))
    kw["dishwasher_kw"] = dishwasher

    # Home office: standby, a computer on working days at home, sometimes in the evening.
    office_day = (rng.random(days) < h.works_from_home)[day_of_block] & ~weekend_row
    working = office_day & (hour >= 8.5) & (hour < 17.5) & ~((hour >= 12.0) & (hour < 12.75))
    evening = (rng.random(days) < 0.3)[day_of_block] & (hour >= 20.0) & (hour < np.minimum(bed, 22.5))
    office_load = h.office_kw * (1.0 + 0.25 * np.sin(2 * np.pi * minutes / 97.0)) * noise(0.03)
    kw["home_office_kw"] = 0.041 * noise(0.02) + (working | evening) * office_load

    # Garage door opener: standby plus a short spike when the door moves.
    trips = _events(rng, days, 2.0 + 2.0 * weekend, (h.leave, h.back, 11.0, 14.0), 0.4, (3, 3, 1, 1))
    garage = 0.0128 * noise(0.02)
    _paint(garage, trips, rng.integers(1, 3, trips.size), rng.uniform(0.15, 0.45, trips.size))
    kw["garage_door_kw"] = garage

    # Kitchen circuits: standby trickles, toaster, kettle/coffee maker, a rarely used mixer outlet.
    kitchen_12 = rng.integers(22, 50, n) / _UNITS_PER_KW
    toast = _events(rng, days, h.toaster_per_day, (h.wake + 0.4,), 0.3)
    _paint(kitchen_12, toast, rng.integers(2, 5, toast.size), rng.uniform(0.8, 1.15, toast.size))
    kw["kitchen_12_kw"] = kitchen_12
    kitchen_14 = rng.integers(0, 30, n) * (rng.random(n) < 0.7) / _UNITS_PER_KW
    kettle = _events(rng, days, h.kettle_per_day, (h.wake + 0.3, 15.5, h.dinner - 0.5), 0.5, (3, 1, 1))
    _paint(kitchen_14, kettle, rng.integers(3, 7, kettle.size), rng.uniform(1.2, 1.6, kettle.size))
    kw["kitchen_14_kw"] = kitchen_14
    kitchen_38 = rng.choice(4, size=n, p=(0.4, 0.5, 0.08, 0.02)) / _UNITS_PER_KW
    mixer = _events(rng, days, 0.05, (h.dinner - 1.0,), 1.5)
    _paint(kitchen_38, mixer, rng.integers(5, 20, mixer.size), rng.uniform(0.3, 0.9, mixer.size))
    kw["kitchen_38_kw"] = kitchen_38

    # Barn: lights at chore times, a stock-tank heater in the cold, now and then a big power tool.
    barn = 0.031 * noise(0.03)
    chores = _events(rng, days, 2.0 * h.barn_chores, (6.5, 17.5), 0.4)
    _paint(barn, chores, rng.integers(30, 90, chores.size), rng.uniform(0.25, 0.55, chores.size))
    tank_duty = np.clip((32.0 - temperature) / 40.0, 0.0, 0.8)
    barn += _cycling(minutes, 47.0, tank_duty, h.phases[5]) * h.barn_heater_kw
    tools = _events(rng, days, h.barn_tools_per_day, (10.0, 15.0), 1.5)
    _paint(barn, tools, rng.integers(5, 30, tools.size), rng.uniform(2.0, 6.0, tools.size))
    kw["barn_kw"] = barn

    # Well pump: a minute or three whenever water is drawn; more in summer (garden).
    draws_per_day = h.well_per_day * h.scale * (1.0 + 0.6 * summer[:: contract.MINUTES_PER_DAY])
    water = _events(rng, days, draws_per_day, (h.wake + 0.5, 12.5, h.dinner + 0.5, 20.5), 1.0, (3, 1, 2, 1))
    well = 0.00101 * noise(0.02)
    _paint(well, water, rng.integers(1, 4, water.size), h.well_kw * rng.uniform(0.85, 1.0, water.size))
    kw["well_kw"] = well

    # Microwave: standby clock, short high-power bursts around meals.
    meals = _events(rng, days, h.microwave_per_day, (h.wake + 0.5, 12.3, h.dinner), 0.4, (1, 2, 2))
    microwave = 0.0042 * noise(0.02)
    _paint(microwave, meals, rng.integers(1, 6, meals.size), rng.uniform(1.2, 1.85, meals.size))
    kw["microwave_kw"] = microwave

    # Living room: standby, the TV in the evening (and on weekend afternoons).
    tv_night = (rng.random(days) < h.tv_evenings)[day_of_block] & (hour >= h.dinner + 0.5) & (hour < bed)
    tv_afternoon = weekend_row & (rng.random(days) < 0.4)[day_of_block] & (hour >= 13.0) & (hour < 16.5)
    kw["living_room_kw"] = 0.0015 * noise(0.05) + (tv_night | tv_afternoon) * h.tv_kw * noise(0.05)

    # Solar: by day only, more with a high summer sun, less under clouds and rain, flickering when patchy.
    flicker = np.repeat(rng.uniform(0.55, 1.0, -(-n // 5)), 5)[:n]
    patchy = (cloud > 0.2) & (cloud < 0.9)
    solar = h.pv_kw * np.power(np.clip(sun, 0.0, None), 1.2) * (1.0 - 0.75 * cloud**2)
    solar *= np.where(raining, 0.35, 1.0) * np.where(patchy, flicker, 1.0) * noise(0.01)
    kw["solar_kw"] = np.where(sun > 0.0, solar, 0.0)

    # Everything the circuits above do not meter: always-on loads, lights after dark, plugs, the range,
    # laundry, an electric water heater in some homes and the air conditioner's compressor.
    dark = sun < 0.05
    other = h.base_kw * h.scale * noise(0.03) + at_home_awake * (0.08 + dark * h.light_kw) * h.scale
    cooking = _events(rng, days, h.range_per_day, (h.dinner - 0.7,), 0.4)
    _paint(other, cooking, rng.integers(20, 50, cooking.size), rng.uniform(1.2, 2.4, cooking.size))
    laundry = _events(rng, days, h.laundry_per_day * weekend_rate, (10.0, 19.0), 1.0)
    _paint(other, laundry, np.full(laundry.size, 40), 0.45)
    _paint(other, laundry + 40, rng.integers(45, 65, laundry.size), rng.uniform(4.2, 5.4, laundry.size))
    if h.water_heater_kw > 0:
        showers = _events(rng, days, 3.0 * h.scale, (h.wake + 0.3, h.dinner + 1.5), 0.6, (2, 1))
        _paint(other, showers, rng.integers(10, 40, showers.size), h.water_heater_kw)
    other += cool * h.ac_kw * noise(0.03)

    units = {name: _to_units(values) for name, values in kw.items()}
    units["solar_kw"] = np.where(sun > 0.0, units["solar_kw"], 0)
    metered = sum(units[c.name] for c in contract.POWER_COLUMNS if c.kind is contract.ColumnKind.APPLIANCE)
    # The unmetered rest is at least 0.02 kW, so `use` is always above the appliances' sum, never equal.
    rest = np.maximum(_to_units(other), int(0.02 * _UNITS_PER_KW))
    total = np.minimum(metered + rest, _MAX_UNITS)
    units.update(use_kw=total, house_overall_kw=total, gen_kw=units["solar_kw"])
    missing = {c.name for c in contract.POWER_COLUMNS} ^ units.keys()
    if missing:
        raise RuntimeError(f"power model and contract disagree on columns: {sorted(missing)}")
    return units


def _to_units(kw: FloatArray) -> IntArray:
    """kW -> whole 1/60,000 kW as the real meter reports, non-negative and within the text table."""
    return np.clip(np.rint(kw * _UNITS_PER_KW), 0, _MAX_UNITS).astype(np.int64)


# --------------------------------------------------------------------------------------------------------
# Rows


def _block_text(first_row: int, n: int, power: dict[str, IntArray], weather: _WeatherText) -> memoryview:
    """The CSV bytes of rows [first_row, first_row + n): every column as a pyarrow string array, joined in C++."""
    table = _kw_text_table()
    rows = first_row + np.arange(n, dtype=np.int64)
    period = pa.array(rows // contract.WEATHER_PERIOD_ROWS)
    texts: dict[str, pa.Array] = {}
    columns = []
    for column in contract.COLUMNS:
        if column.kind is contract.ColumnKind.TIME:
            text = pa.array(contract.TIME_ORIGIN + rows).cast(pa.string())
        elif column.is_power:
            values = power[column.name]  # `use` and `House overall` are one array: format it once
            if id(values) not in texts:
                texts[id(values)] = pc.take(table, pa.array(values[:n]))
            text = texts[id(values)]
        else:
            text = pc.take(weather.columns[column.name], period)
            if column.name == "cloud_cover" and first_row < contract.CLOUD_COVER_TEXT_ROWS:
                placeholder = pa.array(rows < contract.CLOUD_COVER_TEXT_ROWS)
                text = pc.if_else(placeholder, column.raw, text)
        columns.append(text)
    columns[-1] = pc.binary_join_element_wise(columns[-1], pa.scalar("\n"), "")
    joined = pc.binary_join_element_wise(*columns, ",")
    return _data_bytes(joined)


def _data_bytes(strings: pa.Array) -> memoryview:
    """The concatenated characters of a string array, without copying (its data buffer between offsets)."""
    _, offsets, data = strings.buffers()
    offset_type = np.int64 if pa.types.is_large_string(strings.type) else np.int32
    bounds = np.frombuffer(offsets, dtype=offset_type)[strings.offset : strings.offset + len(strings) + 1]
    return memoryview(data)[int(bounds[0]) : int(bounds[-1])]
