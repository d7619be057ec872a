"""What the dashboard reads from the warehouse (docs/WAREHOUSE.md), as plain SQL.

The same statements run on the local warehouse and on Redshift through a `Query` function (SQL -> rows),
so they stay within what both accept (no parameters, arrays or generate_series). Nothing finer than an
hour leaves the database; days and hours are the homes' local time (America/New_York); kWh = sum(kW) / 60,
summed from `fact_device_hourly.kwh`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

#: The homes' time zone: the calendar day and the hour of day every chart uses.
LOCAL_TZ = "America/New_York"
#: The device (dim_device.device) that meters the whole house, and the one that meters solar generation.
USE_DEVICE = "use_kw"
SOLAR_DEVICE = "gen_kw"
#: The heating circuits.
FURNACE_DEVICES = ("furnace_1_kw", "furnace_2_kw")
#: The stack's last layer: whole-house use minus the metered appliances (lights, plugs, range...).
OTHER_DEVICE = "Other (not metered)"

_LOCAL = f"(f.hour_start AT TIME ZONE '{LOCAL_TZ}')"
_LOCAL_DAY = f"CAST({_LOCAL} AS date)"

HOMES_SQL = "SELECT house_id, name FROM dim_home ORDER BY house_id"

DEVICE_DAYS_SQL = f"""
SELECT f.house_id, {_LOCAL_DAY} AS local_day, d.device, d.name, d.kind, SUM(f.kwh) AS kwh
FROM fact_device_hourly f JOIN dim_device d ON d.device_key = f.device_key
GROUP BY f.house_id, {_LOCAL_DAY}, d.device, d.name, d.kind
"""

HOURLY_USE_SQL = f"""
SELECT f.house_id, {_LOCAL_DAY} AS local_day, EXTRACT(HOUR FROM {_LOCAL}) AS local_hour, AVG(f.avg_kw) AS kw
FROM fact_device_hourly f JOIN dim_device d ON d.device_key = f.device_key
WHERE d.device = '{USE_DEVICE}'
GROUP BY f.house_id, {_LOCAL_DAY}, EXTRACT(HOUR FROM {_LOCAL})
"""

DAY_TEMPERATURE_SQL = f"""
SELECT f.house_id, {_LOCAL_DAY} AS local_day, SUM(f.temperature * f.minutes) / NULLIF(SUM(f.minutes), 0)
FROM fact_weather_hourly f
GROUP BY f.house_id, {_LOCAL_DAY}
"""

CONDITION_DAYS_SQL = f"""
SELECT f.house_id, {_LOCAL_DAY} AS local_day, f.condition_key, SUM(f.minutes) / 60.0 AS hours, SUM(f.kwh) AS kwh
FROM fact_device_hourly f JOIN dim_device d ON d.device_key = f.device_key
WHERE d.device = '{USE_DEVICE}' AND f.condition_key IS NOT NULL
GROUP BY f.house_id, {_LOCAL_DAY}, f.condition_key
"""

CONDITIONS_SQL = "SELECT condition_key, icon, summary FROM dim_weather_condition ORDER BY condition_key"

#: The tables the statements above read (what "the warehouse is ready" means here).
TABLES = ("dim_home", "dim_device", "dim_weather_condition", "fact_device_hourly", "fact_weather_hourly")


#: Runs one statement and returns its rows (a warehouse session's `query`, or one over any DB-API connection).
Query = Callable[[str], list[tuple]]


@dataclass(frozen=True)
class DashboardHome:
    house_id: int
    name: str


@dataclass(frozen=True)
class Condition:
    condition_key: int
    icon: str
    summary: str


@dataclass(frozen=True)
class HomeDay:
    """One home's local day: what the daily, heating, heatmap and top-device charts need."""

    house_id: int
    day: date
    use_kwh: float
    solar_kwh: float
    furnace_kwh: float
    temperature_f: float | None
    #: kWh per device, aligned with `DashboardData.devices` (None: the home has no such device).
    device_kwh: tuple[float | None, ...]
    #: Mean whole-house kW in each local hour 0..23 (None: no reading in that hour).
    hourly_kw: tuple[float | None, ...]


@dataclass(frozen=True)
class ConditionDay:
    """Hours and whole-house kWh a home spent under one weather condition on one local day."""

    house_id: int
    day: date
    condition_key: int
    hours: float
    kwh: float


@dataclass(frozen=True)
class DashboardData:
    homes: tuple[DashboardHome, ...]
    #: Appliance names in stack order (most energy first), then OTHER_DEVICE.
    devices: tuple[str, ...]
    days: tuple[HomeDay, ...]
    condition_days: tuple[ConditionDay, ...]
    conditions: tuple[Condition, ...]

    @property
    def first_day(self) -> date | None:
        return min((d.day for d in self.days), default=None)

    @property
    def last_day(self) -> date | None:
        return max((d.day for d in self.days), default=None)


class WarehouseNotReady(RuntimeError):
    """The warehouse lacks the dashboard's tables, or holds no facts yet."""


def fetch(query: Query) -> DashboardData:
    """Run every statement and assemble the dashboard's data."""
    missing = missing_tables(query)
    if missing:
        raise WarehouseNotReady(f"the warehouse has no table(s) {', '.join(missing)}: materialize redshift_tables")
    homes = tuple(DashboardHome(int(h), str(n)) for h, n in query(HOMES_SQL))
    device_days = query(DEVICE_DAYS_SQL)
    if not device_days:
        raise WarehouseNotReady("the warehouse holds no device facts yet: materialize redshift_tables first")
    devices = device_order(device_days)
    days = assemble_days(device_days, query(HOURLY_USE_SQL), query(DAY_TEMPERATURE_SQL), devices)
    condition_days = tuple(
        ConditionDay(int(h), _day(d), int(c), float(n), float(k)) for h, d, c, n, k in query(CONDITION_DAYS_SQL)
    )
    conditions = tuple(Condition(int(k), str(i), str(s)) for k, i, s in query(CONDITIONS_SQL))
    return DashboardData(homes, devices, days, condition_days, conditions)


def missing_tables(query: Query) -> list[str]:
    """Which of TABLES the warehouse lacks (information_schema: PostgreSQL and Redshift)."""
    names = ", ".join(f"'{t}'" for t in TABLES)
    found = {r[0] for r in query(f"SELECT table_name FROM information_schema.tables WHERE table_name IN ({names})")}
    return [t for t in TABLES if t not in found]


def device_order(device_days: list[tuple]) -> tuple[str, ...]:
    """Appliance names by total energy, largest first (the stack's order), then OTHER_DEVICE."""
    totals: dict[str, float] = defaultdict(float)
    for row in device_days:
        name, kind, kwh = row[3], row[4], row[5]
        if kind == "appliance":
            totals[str(name)] += float(kwh or 0)
    return (*sorted(totals, key=lambda n: (-totals[n], n)), OTHER_DEVICE)


def assemble_days(
    device_days: list[tuple], hourly_use: list[tuple], temperatures: list[tuple], devices: tuple[str, ...]
) -> tuple[HomeDay, ...]:
    """One HomeDay per (home, local day) that has device facts; `devices` fixes the order of device_kwh."""
    energy: dict[tuple[int, date], dict[str, float]] = defaultdict(dict)
    totals: dict[tuple[int, date], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for house, day, device, name, kind, kwh in device_days:
        key, kwh = (int(house), _day(day)), float(kwh or 0)
        if kind == "appliance":
            energy[key][str(name)] = kwh
        if device in (USE_DEVICE, SOLAR_DEVICE) or device in FURNACE_DEVICES:
            totals[key]["furnace" if device in FURNACE_DEVICES else str(device)] += kwh
    hours: dict[tuple[int, date], list[float | None]] = defaultdict(lambda: [None] * 24)
    for house, day, hour, kw in hourly_use:
        hours[(int(house), _day(day))][int(hour)] = None if kw is None else float(kw)
    temperature = {(int(h), _day(d)): None if t is None else float(t) for h, d, t in temperatures}
    return tuple(
        _home_day(key, energy[key], totals[key], tuple(hours[key]), temperature.get(key), devices)
        for key in sorted(energy.keys() | totals.keys())
    )


def _home_day(
    key: tuple[int, date],
    by_device: dict[str, float],
    totals: dict[str, float],
    hourly: tuple[float | None, ...],
    temperature: float | None,
    devices: tuple[str, ...],
) -> HomeDay:
    use = totals.get(USE_DEVICE, 0.0)
    other = max(use - sum(by_device.values()), 0.0)  # metered circuits never exceed the whole house
    device_kwh = tuple(other if d == OTHER_DEVICE else by_device.get(d) for d in devices)
    return HomeDay(
        key[0], key[1], use, totals.get(SOLAR_DEVICE, 0.0), totals.get("furnace", 0.0), temperature, device_kwh, hourly
    )


def _day(value: Any) -> date:
    """A DATE from any driver (date object or ISO text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
