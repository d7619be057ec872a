"""A warehouse with the tables of docs/WAREHOUSE.md, filled with deterministic synthetic facts.

Why this exists: the dashboard's tests and benchmark need a warehouse with months of several homes in
seconds, without running ingestion, exports and the load for them (a real year through `smarthome run`
takes minutes). The tables are the warehouse's own (warehouse/sql/schema.sql); the facts come from a
small, seeded model of a house (cold days heat more, the sun generates by day and more in summer,
appliances follow daily habits), so every chart has believable, varied data, and a test can recompute any
figure the page shows from `SynthFacts`.

Only what the dashboard reads is filled (dimensions, `fact_device_hourly`, `fact_weather_hourly`); the
staging tables and `fact_energy_minute` stay empty.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg2

from smarthome_assets.homec import contract
from smarthome_assets.services import embedded_postgres
from smarthome_assets.warehouse import dialect
from smarthome_assets.warehouse.sql_files import statements

#: The instant the synthetic data starts: local (New York) midnight of 2016-01-01, like HomeC.csv.
START = contract.TIMEFRAME_ORIGIN


def warehouse_ddl() -> list[str]:
    """The warehouse's own CREATE TABLE statements (warehouse/sql/schema.sql), as the local dialect runs
    them: the dashboard is tested against exactly the tables `redshift_tables` creates."""
    return [sql for statement in statements("schema") for sql in dialect.to_postgres(statement.sql)]


#: (icon, summary) pairs the model uses, with the rule that picks them (see `_conditions`).
CONDITIONS: tuple[tuple[str, str], ...] = (
    ("clear-day", "Clear"), ("clear-night", "Clear"), ("partly-cloudy-day", "Partly Cloudy"),
    ("partly-cloudy-night", "Partly Cloudy"), ("cloudy", "Overcast"), ("rain", "Light Rain"),
    ("rain", "Rain"), ("snow", "Light Snow"), ("snow", "Snow"), ("wind", "Breezy"), ("fog", "Foggy"),
)  # fmt: skip


@dataclass(frozen=True)
class SynthFacts:
    """What was loaded: one row per home, device and hour (`hourly`), and per home and hour (`weather`)."""

    hourly: pd.DataFrame  # house_id, device, name, kind, hour_start, avg_kw, kwh, condition_key
    weather: pd.DataFrame  # house_id, hour_start, temperature, condition_key, minutes
    homes: dict[int, str]


def _hour_axis(days: int) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray, np.ndarray]:
    hours = pd.date_range(START, periods=days * 24, freq="h", tz="UTC")
    local = hours.tz_convert("America/New_York")
    return hours, local.hour.to_numpy(), local.day_of_year.to_numpy(), local.day_of_week.to_numpy()


def _weather(rng: np.random.Generator, hour: np.ndarray, doy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hourly temperature (°F) and condition index into CONDITIONS; shared by every home (one town)."""
    n_days = len(hour) // 24
    anomaly = np.zeros(n_days)  # spells of warm and cold days: AR(1), mean 0, sd about 6 °F
    for i, shock in enumerate(rng.normal(0, 3.5, n_days)):
        anomaly[i] = (anomaly[i - 1] * 0.8 if i else 0.0) + shock
    daily_swing = np.repeat(anomaly, 24)
    temperature = 48 - 24 * np.cos(2 * np.pi * (doy - 20) / 366) + 9 * np.sin(2 * np.pi * (hour - 9) / 24)
    temperature = temperature + daily_swing
    return np.round(temperature, 2), _conditions(rng, hour, temperature)


def _conditions(rng: np.random.Generator, hour: np.ndarray, temperature: np.ndarray) -> np.ndarray:
    """One weather state per 6-hour block (rain or snow below freezing, wind, fog, clouds), day/night icons."""
    blocks = len(hour) // 6 + 1
    state = np.repeat(rng.choice(6, size=blocks, p=[0.45, 0.2, 0.12, 0.13, 0.06, 0.04]), 6)[: len(hour)]
    heavy = np.repeat(rng.random(blocks) < 0.3, 6)[: len(hour)]
    day = (hour >= 7) & (hour < 19)
    cold = temperature < 33
    return np.select(
        [state == 0, state == 1, state == 2, (state == 3) & cold, state == 3, state == 4],
        [
            np.where(day, 0, 1),
            np.where(day, 2, 3),
            np.full(len(hour), 4),
            np.where(heavy, 8, 7),
            np.where(heavy, 6, 5),
            np.full(len(hour), 9),
        ],
        default=10,
    )


def _device_kw(
    rng: np.random.Generator,
    home: int,
    hour: np.ndarray,
    doy: np.ndarray,
    weekday: np.ndarray,
    temperature: np.ndarray,
    condition: np.ndarray,
) -> dict[str, np.ndarray]:
    """Mean kW per hour of every device for one home; `use` is the metered circuits plus unmetered load."""
    n = len(hour)
    size = 0.8 + 0.25 * home  # bigger homes heat and consume more
    noise = lambda scale: rng.gamma(2.0, scale / 2.0, n)  # noqa: E731  (positive, skewed)
    evening = ((hour >= 17) & (hour < 23)).astype(float)
    meals = np.isin(hour, (7, 12, 18)).astype(float)
    workday = (weekday < 5) & (hour >= 9) & (hour < 17)
    daylight = np.clip(np.sin(np.pi * (hour - 6) / 12), 0, None) * (hour >= 6) * (hour < 18)
    clouds = np.isin(condition, (2, 3)) * 0.4 + np.isin(condition, (4, 5, 6, 7, 8, 10)) * 0.8
    season = 0.6 + 0.4 * np.sin(2 * np.pi * (doy - 80) / 366)
    habit = np.repeat(0.75 + 0.5 * rng.random(n // 24 + 1), 24)[:n]  # thermostat and occupancy, day by day
    heat = np.clip(60 - temperature, 0, None) * 0.012 * size * habit
    kw = {
        "dishwasher_kw": (rng.random(n) < 0.35) * (hour == 20) * 1.1,
        "furnace_1_kw": heat * (0.9 + 0.2 * rng.random(n)),
        "furnace_2_kw": heat * 0.55 * (0.8 + 0.4 * rng.random(n)),
        "home_office_kw": 0.04 + 0.3 * workday * size,
        "fridge_kw": 0.06 + noise(0.05),
        "wine_cellar_kw": 0.03 + np.clip(temperature - 55, 0, None) * 0.004 + noise(0.02),
        "garage_door_kw": (rng.random(n) < 0.08) * 0.02,
        "kitchen_12_kw": meals * 0.25 + noise(0.01),
        "kitchen_14_kw": meals * 0.18 + noise(0.01),
        "kitchen_38_kw": noise(0.004),
        "barn_kw": 0.03 * size + noise(0.02),
        "well_kw": (rng.random(n) < 0.2) * 0.15,
        "microwave_kw": meals * 0.12 * (rng.random(n) < 0.6),
        "living_room_kw": 0.03 + evening * 0.12 + noise(0.01),
    }
    metered = sum(kw.values())
    use = metered + 0.35 * size + evening * 0.4 + noise(0.08)
    solar = np.round(0.45 * daylight * season * (1 - clouds) * (0.9 + 0.1 * rng.random(n)), 4)
    return {**kw, "use_kw": use, "house_overall_kw": use, "gen_kw": solar, "solar_kw": solar}


def synthesize(homes: int = 3, days: int = 21, seed: int = 7) -> SynthFacts:
    """Hourly facts for `homes` homes over `days` local days from 2016-01-01; the same seed, the same facts."""
    rng = np.random.default_rng(seed)
    hours, hour, doy, weekday = _hour_axis(days)
    temperature, condition = _weather(rng, hour, doy)
    device_rows, home_names = [], {}
    for home in range(1, homes + 1):
        home_names[home] = f"home_{home:02d}"
        kw = _device_kw(rng, home, hour, doy, weekday, temperature, condition)
        for column in contract.POWER_COLUMNS:
            avg = np.round(kw[column.name], 4)
            device_rows.append(
                pd.DataFrame(
                    {
                        "house_id": home,
                        "device": column.name,
                        "name": contract.device_display_name(column),
                        "kind": column.kind.value,
                        "hour_start": hours,
                        "avg_kw": avg,
                        "kwh": avg,
                        "condition_key": condition + 1,
                    }
                )
            )
    weather = pd.concat(
        [
            pd.DataFrame(
                {
                    "house_id": home,
                    "hour_start": hours,
                    "temperature": temperature,
                    "condition_key": condition + 1,
                    "minutes": 60,
                }
            )
            for home in home_names
        ],
        ignore_index=True,
    )
    return SynthFacts(hourly=pd.concat(device_rows, ignore_index=True), weather=weather, homes=home_names)


def create_warehouse(url: str) -> None:
    """The warehouse's tables, empty, in the database at `url`."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for statement in warehouse_ddl():
            cur.execute(statement)
    conn.close()


def fill_warehouse(url: str, facts: SynthFacts) -> None:
    """Load the dimensions and hourly facts of `facts` (COPY), keyed the way docs/WAREHOUSE.md says."""
    devices = facts.hourly[["house_id", "device", "name", "kind"]].drop_duplicates().reset_index(drop=True)
    devices.insert(0, "device_key", devices.index + 1)
    hourly = facts.hourly.merge(devices[["device_key", "house_id", "device"]], on=["house_id", "device"])
    hourly = hourly.assign(
        date_key=_date_keys(hourly.hour_start),
        max_kw=(hourly.avg_kw * 1.6).round(4),
        minutes=60,
        avg_temperature=_temperature_of(hourly, facts.weather),
    )
    weather = facts.weather.assign(
        date_key=_date_keys(facts.weather.hour_start),
        apparent_temperature=facts.weather.temperature - 3,
        humidity=0.6,
        cloud_cover=0.3,
        wind_speed=5.0,
        precip_intensity=0.0,
    )
    tables = {
        "dim_home": pd.DataFrame({"house_id": list(facts.homes), "name": list(facts.homes.values())}),
        "dim_device": devices,
        "dim_date": _dim_date(facts.weather.hour_start),
        "dim_weather_condition": pd.DataFrame(
            [(i + 1, icon, summary) for i, (icon, summary) in enumerate(CONDITIONS)],
            columns=["condition_key", "icon", "summary"],
        ),
        "fact_device_hourly": hourly[
            [
                "house_id",
                "device_key",
                "date_key",
                "hour_start",
                "kwh",
                "avg_kw",
                "max_kw",
                "minutes",
                "condition_key",
                "avg_temperature",
            ]
        ],
        "fact_weather_hourly": weather[
            [
                "house_id",
                "date_key",
                "hour_start",
                "condition_key",
                "temperature",
                "apparent_temperature",
                "humidity",
                "cloud_cover",
                "wind_speed",
                "precip_intensity",
                "minutes",
            ]
        ],
    }
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for table, frame in tables.items():
            _copy(cur, table, frame)
    conn.close()


def _copy(cur, table: str, frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, date_format="%Y-%m-%d %H:%M:%S+00")
    buffer.seek(0)
    cur.copy_expert(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv)", buffer)


def _date_keys(hour_start: pd.Series) -> pd.Series:
    utc = pd.to_datetime(hour_start, utc=True)
    return utc.dt.year * 10000 + utc.dt.month * 100 + utc.dt.day


def _temperature_of(hourly: pd.DataFrame, weather: pd.DataFrame) -> pd.Series:
    lookup = weather.set_index(["house_id", "hour_start"]).temperature
    return lookup.reindex(pd.MultiIndex.from_frame(hourly[["house_id", "hour_start"]])).to_numpy()


def _dim_date(hour_start: pd.Series) -> pd.DataFrame:
    days = sorted({ts.date() for ts in pd.to_datetime(hour_start, utc=True)})
    return pd.DataFrame(
        [
            {
                "date_key": d.year * 10000 + d.month * 100 + d.day,
                "full_date": d.isoformat(),
                "year": d.year,
                "month": d.month,
                "day_of_month": d.day,
                "day_of_week": d.isoweekday(),
                "day_name": d.strftime("%A"),
                "is_weekend": d.isoweekday() >= 6,
            }
            for d in days
        ]
    )


@contextmanager
def scratch_database(pg_server: tuple[str, Path]) -> Iterator[str]:
    """A new, empty database on the tests' server (the `pg_server` fixture); yields its URL, then drops it."""
    admin_url, pgdata = pg_server
    name = f"wh_{uuid.uuid4().hex[:10]}"
    try:
        yield embedded_postgres.server_url(pgdata, name)
    finally:
        conn = psycopg2.connect(admin_url)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()
