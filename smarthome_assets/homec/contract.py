"""The HomeC.csv contract: the single place that knows the source file's shape.

32 columns: a unix `time`, 18 power readings in kW and 13 weather columns. The generator, reader, cleaning,
SQL tables, API allow-lists and warehouse all derive their column lists from here. The real file's quirks
(`time` counting rows, the `cloudCover` text, weather every 58 rows, `use` = `House overall`, scientific
notation, a junk last line) are listed in docs/DESIGN_NOTES.md."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime


class ColumnKind(enum.StrEnum):
    """What a source column measures; decides its table, its cleaning rule and its checks."""

    TIME = "time"
    AGGREGATE = "aggregate"  # whole-house readings: use, House overall
    APPLIANCE = "appliance"  # one metered circuit or appliance
    GENERATION = "generation"  # solar: gen, Solar
    WEATHER_NUMBER = "weather_number"
    WEATHER_TEXT = "weather_text"


@dataclass(frozen=True)
class SourceColumn:
    """One column of HomeC.csv and the snake_case name it has everywhere downstream."""

    raw: str
    name: str
    kind: ColumnKind
    unit: str
    low: float | None = None  # physical range used by the data-quality checks
    high: float | None = None
    max_bytes: int | None = None  # text columns: the widest value (UTF-8 bytes) every store accepts

    @property
    def is_power(self) -> bool:
        return self.kind in (ColumnKind.AGGREGATE, ColumnKind.APPLIANCE, ColumnKind.GENERATION)

    @property
    def is_weather(self) -> bool:
        return self.kind in (ColumnKind.WEATHER_NUMBER, ColumnKind.WEATHER_TEXT)

    @property
    def is_numeric(self) -> bool:
        return self.kind is not ColumnKind.WEATHER_TEXT

    def sql_type(self, dialect: str) -> str:
        """This column's type in a store: `postgres` (the operational tables) or `redshift` (the warehouse).

        Text is bounded in bytes, as Redshift's VARCHAR(n) counts them; PostgreSQL keeps `text` with a CHECK
        on `octet_length` (migration 0003) so both stores accept exactly the same values.
        """
        if self.kind is ColumnKind.TIME:
            return "bigint" if dialect == "postgres" else "BIGINT"
        if self.is_numeric:
            return "double precision" if dialect == "postgres" else "DOUBLE PRECISION"
        return "text" if dialect == "postgres" else f"VARCHAR({self.max_bytes})"


def _kw(raw: str, name: str, kind: ColumnKind = ColumnKind.APPLIANCE) -> SourceColumn:
    return SourceColumn(raw, name, kind, "kW", low=0.0)


def _weather(raw: str, name: str, unit: str, low: float | None, high: float | None) -> SourceColumn:
    return SourceColumn(raw, name, ColumnKind.WEATHER_NUMBER, unit, low, high)


#: The widest `icon` or `summary`, in UTF-8 bytes, that every store takes (the warehouse's VARCHAR(64); the
#: real file's longest is 24). A longer value is quarantined by the reader, before any load, with its line.
TEXT_MAX_BYTES = 64

#: The 32 columns in file order.
COLUMNS: tuple[SourceColumn, ...] = (
    SourceColumn("time", "time_raw", ColumnKind.TIME, "s"),
    _kw("use [kW]", "use_kw", ColumnKind.AGGREGATE),
    _kw("gen [kW]", "gen_kw", ColumnKind.GENERATION),
    _kw("House overall [kW]", "house_overall_kw", ColumnKind.AGGREGATE),
    _kw("Dishwasher [kW]", "dishwasher_kw"),
    _kw("Furnace 1 [kW]", "furnace_1_kw"),
    _kw("Furnace 2 [kW]", "furnace_2_kw"),
    _kw("Home office [kW]", "home_office_kw"),
    _kw("Fridge [kW]", "fridge_kw"),
    _kw("Wine cellar [kW]", "wine_cellar_kw"),
    _kw("Garage door [kW]", "garage_door_kw"),
    _kw("Kitchen 12 [kW]", "kitchen_12_kw"),
    _kw("Kitchen 14 [kW]", "kitchen_14_kw"),
    _kw("Kitchen 38 [kW]", "kitchen_38_kw"),
    _kw("Barn [kW]", "barn_kw"),
    _kw("Well [kW]", "well_kw"),
    _kw("Microwave [kW]", "microwave_kw"),
    _kw("Living room [kW]", "living_room_kw"),
    _kw("Solar [kW]", "solar_kw", ColumnKind.GENERATION),
    _weather("temperature", "temperature", "°F", -60.0, 130.0),
    SourceColumn("icon", "icon", ColumnKind.WEATHER_TEXT, "", max_bytes=TEXT_MAX_BYTES),
    _weather("humidity", "humidity", "fraction", 0.0, 1.0),
    _weather("visibility", "visibility", "mi", 0.0, None),
    SourceColumn("summary", "summary", ColumnKind.WEATHER_TEXT, "", max_bytes=TEXT_MAX_BYTES),
    _weather("apparentTemperature", "apparent_temperature", "°F", -90.0, 150.0),
    _weather("pressure", "pressure", "hPa", 850.0, 1100.0),
    _weather("windSpeed", "wind_speed", "mph", 0.0, None),
    _weather("cloudCover", "cloud_cover", "fraction", 0.0, 1.0),
    _weather("windBearing", "wind_bearing", "°", 0.0, 359.0),
    _weather("precipIntensity", "precip_intensity", "in/h", 0.0, None),
    _weather("dewPoint", "dew_point", "°F", -90.0, 130.0),
    _weather("precipProbability", "precip_probability", "fraction", 0.0, 1.0),
)

RAW_HEADER: tuple[str, ...] = tuple(c.raw for c in COLUMNS)
BY_RAW: dict[str, SourceColumn] = {c.raw: c for c in COLUMNS}
BY_NAME: dict[str, SourceColumn] = {c.name: c for c in COLUMNS}

POWER_COLUMNS: tuple[SourceColumn, ...] = tuple(c for c in COLUMNS if c.is_power)
WEATHER_COLUMNS: tuple[SourceColumn, ...] = tuple(c for c in COLUMNS if c.is_weather)
WEATHER_NUMBER_COLUMNS: tuple[SourceColumn, ...] = tuple(c for c in COLUMNS if c.kind is ColumnKind.WEATHER_NUMBER)
WEATHER_TEXT_COLUMNS: tuple[SourceColumn, ...] = tuple(c for c in COLUMNS if c.kind is ColumnKind.WEATHER_TEXT)

#: Pairs that are equal on every real row (a data-quality check, not a cleaning rule).
EQUAL_PAIRS: tuple[tuple[str, str], ...] = (("use_kw", "house_overall_kw"), ("gen_kw", "solar_kw"))

#: `time` of the first row of the real file, and the instant it stands for.
TIME_ORIGIN = 1451624400
TIMEFRAME_ORIGIN = datetime(2016, 1, 1, 5, 0, tzinfo=UTC)
#: Seconds of real time per unit of `time` (the file counts minutes in steps of one).
SECONDS_PER_TIME_UNIT = 60
MINUTES_PER_DAY = 1440

#: The rows of the real file whose `cloudCover` is the literal header text.
CLOUD_COVER_TEXT_ROWS = 58
#: How many rows a weather reading lasts in the real file.
WEATHER_PERIOD_ROWS = 58
#: Rows in the real full file (valid rows; one junk row follows them).
FULL_YEAR_ROWS = 503_910

ICONS: tuple[str, ...] = (
    "clear-night", "clear-day", "rain", "partly-cloudy-day", "partly-cloudy-night",
    "snow", "cloudy", "wind", "fog",
)  # fmt: skip
SUMMARIES: tuple[str, ...] = (
    "Clear", "Partly Cloudy", "Light Rain", "Drizzle", "Overcast", "Rain", "Mostly Cloudy",
    "Light Snow", "Flurries", "Breezy", "Snow", "Breezy and Partly Cloudy", "Foggy", "Rain and Breezy",
    "Heavy Snow", "Flurries and Breezy", "Breezy and Mostly Cloudy", "Dry",
)  # fmt: skip


def device_display_name(column: SourceColumn) -> str:
    """`Furnace 1 [kW]` -> `Furnace 1`: the name people see for a device."""
    return column.raw.removesuffix(" [kW]")
