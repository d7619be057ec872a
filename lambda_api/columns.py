"""The allow-list: every table and column name the API may put into SQL, and nothing from a request.

These names repeat `smarthome_assets/homec/contract.py` on purpose, because the Lambda zip cannot import
`smarthome_assets`; `smarthome_assets_tests/api/test_contract.py` fails when the two drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

JsonType = Literal["integer", "number", "string", "date-time"]


@dataclass(frozen=True)
class Column:
    """One served column: its SQL name (also its JSON key and CSV header) and its JSON type."""

    name: str
    type: JsonType
    nullable: bool = False


@dataclass(frozen=True)
class Table:
    """A served table: its name and the columns a response may hold, in response order."""

    name: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


#: Power columns of energy_consuming_device, in HomeC file order (= contract.POWER_COLUMNS).
DEVICE_COLUMNS: tuple[str, ...] = (
    "use_kw", "gen_kw", "house_overall_kw", "dishwasher_kw", "furnace_1_kw", "furnace_2_kw",
    "home_office_kw", "fridge_kw", "wine_cellar_kw", "garage_door_kw", "kitchen_12_kw", "kitchen_14_kw",
    "kitchen_38_kw", "barn_kw", "well_kw", "microwave_kw", "living_room_kw", "solar_kw",
)  # fmt: skip

#: Weather columns, in HomeC file order (= contract.WEATHER_COLUMNS); icon and summary are text.
WEATHER_COLUMNS: tuple[str, ...] = (
    "temperature", "icon", "humidity", "visibility", "summary", "apparent_temperature", "pressure",
    "wind_speed", "cloud_cover", "wind_bearing", "precip_intensity", "dew_point", "precip_probability",
)  # fmt: skip
WEATHER_TEXT_COLUMNS: frozenset[str] = frozenset({"icon", "summary"})

#: The key columns every per-minute row starts with.
READING_KEYS: tuple[Column, ...] = (
    Column("house_id", "integer"),
    Column("timeframe", "date-time"),
    Column("time_raw", "integer"),
)

ENERGY = Table("energy_consuming_device", READING_KEYS + tuple(Column(name, "number") for name in DEVICE_COLUMNS))
WEATHER = Table(
    "weather",
    READING_KEYS
    + tuple(
        Column(name, "string", nullable=True) if name in WEATHER_TEXT_COLUMNS else Column(name, "number")
        for name in WEATHER_COLUMNS
    ),
)
#: What /homes shows of a home (its source file path stays internal).
HOME = Table(
    "home",
    (
        Column("house_id", "integer"),
        Column("name", "string"),
        Column("first_reading", "date-time", nullable=True),
        Column("last_reading", "date-time", nullable=True),
        Column("weather_rows", "integer"),
        Column("energy_rows", "integer"),
        Column("updated_at", "date-time"),
    ),
)
DEVICE = Table(
    "device",
    (
        Column("house_id", "integer"),
        Column("device", "string"),
        Column("name", "string"),
        Column("raw_column", "string"),
        Column("unit", "string"),
        Column("kind", "string"),
    ),
)

#: The only tables the API reads (and the only ones the read-only role may SELECT).
SERVED_TABLES: tuple[Table, ...] = (HOME, DEVICE, WEATHER, ENERGY)

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _check_identifiers() -> None:
    """Refuse at import time any allow-listed name that would need quoting: SQL is built from these."""
    for table in SERVED_TABLES:
        for name in (table.name, *table.column_names):
            if not _IDENTIFIER.fullmatch(name):
                raise ValueError(f"not a plain SQL identifier: {name!r}")


_check_identifiers()
