"""The synthetic house's world: its meter's resolution, where it is, its weather ranges, its sun and seasons.

Shared by the weather, power and text parts of the generator."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from smarthome_assets.homec import contract

#: What the junk last row holds in `time`: any text a numeric parser rejects (the real file's is non-numeric too).
JUNK_TIME_TEXT = "end of export"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# The real meter reports whole multiples of 1/60,000 kW (a minute's mean of one-second watt readings).
UNITS_PER_KW = 60_000
# Readings above this are clipped; the real maximum is 14.71 kW. Sizes the text lookup table.
_MAX_KW = 25.0
MAX_UNITS = int(_MAX_KW * UNITS_PER_KW)
# Below 0.0001 kW the real file switches to scientific notation with three significant digits.
SCIENTIFIC_BELOW_UNITS = 6

# Rows are simulated in blocks of whole days; a block is also the unit of streaming to the file.
BLOCK_DAYS = 14
BLOCK_ROWS = BLOCK_DAYS * contract.MINUTES_PER_DAY

# Where the house is (western Massachusetts) and its clock: local standard time, no daylight saving.
_LATITUDE_DEG = 42.4
_LONGITUDE_DEG = -72.5
_UTC_OFFSET_HOURS = -5
# 2016-01-01, the first day of the file, was a Friday (Monday = 0).
FIRST_WEEKDAY = 4

# Ranges seen in the full real file (docs/DESIGN_NOTES.md), used to keep the weather believable.
TEMPERATURE_F = (-12.64, 93.72)
HUMIDITY = (0.13, 0.98)
PRESSURE_HPA = (986.4, 1042.5)
WIND_MPH = (0.0, 22.91)
VISIBILITY_MI = (0.27, 10.0)
PRECIP_INTENSITY = (0.0, 0.191)
DEW_POINT_F = (-27.24, 75.49)

# Independent random streams, so that each series has the same prefix whatever the number of rows.
STREAM_WEATHER = 1
STREAM_HOME = 2
STREAM_BLOCK = 3

# The icon and summary words the weather model uses; checked against the contract when imported.
CLEAR = ("clear-day", "clear-night")
PARTLY = ("partly-cloudy-day", "partly-cloudy-night")
_ICONS_USED = (*CLEAR, *PARTLY, "cloudy", "rain", "snow", "wind", "fog")
_SUMMARIES_USED = (
    "Clear", "Dry", "Partly Cloudy", "Mostly Cloudy", "Overcast", "Foggy", "Breezy",
    "Breezy and Partly Cloudy", "Breezy and Mostly Cloudy", "Drizzle", "Light Rain", "Rain",
    "Rain and Breezy", "Flurries", "Flurries and Breezy", "Light Snow", "Snow", "Heavy Snow",
)  # fmt: skip
if not set(_ICONS_USED) <= set(contract.ICONS) or not set(_SUMMARIES_USED) <= set(contract.SUMMARIES):
    raise RuntimeError("generator weather words are out of step with contract.ICONS / contract.SUMMARIES")


# --------------------------------------------------------------------------------------------------------
# Calendar and sun


def season_phase(minutes: npt.NDArray[np.integer] | FloatArray) -> FloatArray:
    """-1 at the coldest time of year (about 18 January), +1 at the warmest (mid-July)."""
    return -np.cos(2 * np.pi * (minutes / contract.MINUTES_PER_DAY - 18.0) / 365.25)


def sun_sin_elevation(minutes: npt.NDArray[np.integer] | FloatArray) -> FloatArray:
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
