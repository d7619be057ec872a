"""The weather model: one reading per weather period (58 rows), as numbers and as the file's text."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from smarthome_assets.homec import contract
from smarthome_assets.homec.generator.climate import (
    BLOCK_ROWS,
    CLEAR,
    DEW_POINT_F,
    HUMIDITY,
    PARTLY,
    PRECIP_INTENSITY,
    PRESSURE_HPA,
    STREAM_WEATHER,
    TEMPERATURE_F,
    VISIBILITY_MI,
    WIND_MPH,
    BoolArray,
    FloatArray,
    season_phase,
    sun_sin_elevation,
)
from smarthome_assets.homec.generator.number_text import fixed_text

# --------------------------------------------------------------------------------------------------------
# Weather: one reading per weather period of 58 rows


@dataclass(frozen=True)
class SimulatedWeather:
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
class WeatherText:
    """The weather's text per period (a pyarrow array per column) plus its numbers for the power model."""

    values: SimulatedWeather
    columns: dict[str, pa.StringArray]


WEATHER_DECIMALS = {
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


def weather_periods(rows: int) -> int:
    """Periods simulated: at least a full year's, so the weather of a row never depends on the file length."""
    full_year = -(-contract.FULL_YEAR_ROWS // BLOCK_ROWS) * BLOCK_ROWS
    return -(-max(rows, full_year) // contract.WEATHER_PERIOD_ROWS)


def _weather_rng(seed: int, stream: int) -> np.random.Generator:
    """One random stream per weather series, so a series' prefix never depends on how long it is."""
    return np.random.default_rng([STREAM_WEATHER, seed, stream])


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


def simulate_weather(seed: int, periods: int) -> SimulatedWeather:
    """Hourly-ish weather for a north-east US town: seasons, day/night, passing fronts, rain and snow."""
    minutes = np.arange(periods) * contract.WEATHER_PERIOD_ROWS + contract.WEATHER_PERIOD_ROWS // 2
    hour = (minutes % contract.MINUTES_PER_DAY) / 60.0
    season = season_phase(minutes)  # -1 in mid-January, +1 in mid-July
    daytime = sun_sin_elevation(minutes) > 0.0
    diurnal = np.cos(2 * np.pi * (hour - 15.0) / 24.0)  # +1 at 15:00, -1 at 03:00

    front = _ar1(seed, 1, periods, tau=40.0)  # warm/cold spells
    low = _ar1(seed, 2, periods, tau=30.0)  # pressure systems
    cloudy = _ar1(seed, 3, periods, tau=8.0)
    moist = _ar1(seed, 4, periods, tau=20.0)
    gusty = _ar1(seed, 5, periods, tau=14.0)
    veer = _ar1(seed, 6, periods, tau=30.0)
    jitter = [_weather_rng(seed, stream).standard_normal(periods) for stream in (7, 8, 9, 10)]
    chance = [_weather_rng(seed, stream).random(periods) for stream in (11, 12)]

    pressure = np.clip(1016.5 + (7.5 - 2.0 * season) * low, *PRESSURE_HPA)
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
    temperature = np.round(np.clip(temperature, *TEMPERATURE_F), 2)
    # Muggy summer air holds at most a dew point in the low seventies (the real maximum is 75.5 F).
    depression = np.clip(12.0 - 5.5 * moist - 6.0 * precip + 0.5 * jitter[1], 0.5, None)
    dew_point = air_mass - depression - 0.5 * np.maximum(air_mass - 70.0, 0.0)
    humidity = np.clip(np.round(_relative_humidity(temperature, dew_point), 2), *HUMIDITY)
    dew_point = np.clip(_dew_point_f(temperature, humidity), *DEW_POINT_F)

    wind_speed = 5.6 * np.exp(0.38 * gusty) * (1.0 + 0.15 * daytime) * (1.0 - 0.1 * season)
    wind_speed = np.round(np.clip(wind_speed * (1.0 + 0.25 * precip) + 0.3 * jitter[2], *WIND_MPH), 2)
    wind_bearing = np.rint(235.0 + 60.0 * veer + 12.0 * jitter[3]) % 360

    excess = np.maximum(wet - 1.3, 0.0)
    intensity = np.where(precip, 0.0008 + 0.012 * np.expm1(1.4 * excess), 0.0)
    intensity = np.round(np.clip(intensity, *PRECIP_INTENSITY), 4)
    probability = np.where(precip, np.clip(0.02 + 5.0 * intensity + 0.12 * excess, 0.01, 0.84), 0.0)
    snow = precip & (temperature <= 33.5)
    foggy = ~precip & (humidity >= 0.96) & (wind_speed < 4.0) & (chance[0] < 0.3)
    visibility = 10.0 - np.maximum(humidity - 0.9, 0.0) * 40.0
    visibility -= np.where(snow, 150.0, 60.0) * intensity
    visibility = np.where(foggy, 0.27 + 1.5 * chance[1], visibility)
    visibility = np.clip(visibility, *VISIBILITY_MI)

    apparent = _apparent_temperature_f(temperature, humidity, wind_speed)
    icon, summary = _describe(daytime, cloud, humidity, wind_speed, intensity, snow, foggy)
    return SimulatedWeather(
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
    clear = np.where(daytime, CLEAR[0], CLEAR[1])
    partly = np.where(daytime, PARTLY[0], PARTLY[1])
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


def weather_as_text(weather: SimulatedWeather) -> WeatherText:
    """Format each weather column once per period; rows then pick their period's text with one `take`."""
    columns: dict[str, pa.StringArray] = {}
    for column in contract.WEATHER_COLUMNS:
        values = getattr(weather, column.name)
        texts = values if isinstance(values, list) else fixed_text(values, WEATHER_DECIMALS[column.name])
        columns[column.name] = pa.array(texts, pa.string())
    return WeatherText(values=weather, columns=columns)
