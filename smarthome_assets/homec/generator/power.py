"""The homes and their power: seeded habits and equipment, and every metered circuit minute by minute."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smarthome_assets.homec import contract
from smarthome_assets.homec.generator.climate import (
    BLOCK_DAYS,
    BLOCK_ROWS,
    FIRST_WEEKDAY,
    MAX_UNITS,
    STREAM_HOME,
    UNITS_PER_KW,
    BoolArray,
    FloatArray,
    IntArray,
    season_phase,
    sun_sin_elevation,
)
from smarthome_assets.homec.generator.weather import SimulatedWeather

# --------------------------------------------------------------------------------------------------------
# The home: equipment and habits drawn per home, then minute-by-minute power


@dataclass(frozen=True)
class SimulatedHome:
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
    def draw(cls, seed: int, home_index: int) -> SimulatedHome:
        """The home's profile from its own random stream: the same home for the same (seed, index)."""
        rng = np.random.default_rng([STREAM_HOME, seed, home_index])

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


def simulate_power(
    home: SimulatedHome, weather: SimulatedWeather, first_row: int, rng: np.random.Generator
) -> dict[str, IntArray]:
    """One block of minutes for one home: every power column, in 1/60,000 kW, by contract name."""
    n = BLOCK_ROWS
    days = BLOCK_DAYS
    minutes = first_row + np.arange(n, dtype=np.int64)
    hour = (minutes % contract.MINUTES_PER_DAY) / 60.0
    day_of_block = (minutes - first_row) // contract.MINUTES_PER_DAY
    weekend = ((minutes // contract.MINUTES_PER_DAY + FIRST_WEEKDAY) % 7 >= 5)[:: contract.MINUTES_PER_DAY]
    weekend_row = weekend[day_of_block]
    period = minutes // contract.WEATHER_PERIOD_ROWS
    temperature = weather.temperature[period]
    cloud = weather.cloud_cover[period]
    raining = weather.precip_intensity[period] > 0
    season = season_phase(minutes)
    summer = (season + 1.0) / 2.0
    sun = sun_sin_elevation(minutes)
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
    dishwasher = rng.integers(0, 9, n) * (rng.random(n) < 0.6) / UNITS_PER_KW
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
    kitchen_12 = rng.integers(22, 50, n) / UNITS_PER_KW
    toast = _events(rng, days, h.toaster_per_day, (h.wake + 0.4,), 0.3)
    _paint(kitchen_12, toast, rng.integers(2, 5, toast.size), rng.uniform(0.8, 1.15, toast.size))
    kw["kitchen_12_kw"] = kitchen_12
    kitchen_14 = rng.integers(0, 30, n) * (rng.random(n) < 0.7) / UNITS_PER_KW
    kettle = _events(rng, days, h.kettle_per_day, (h.wake + 0.3, 15.5, h.dinner - 0.5), 0.5, (3, 1, 1))
    _paint(kitchen_14, kettle, rng.integers(3, 7, kettle.size), rng.uniform(1.2, 1.6, kettle.size))
    kw["kitchen_14_kw"] = kitchen_14
    kitchen_38 = rng.choice(4, size=n, p=(0.4, 0.5, 0.08, 0.02)) / UNITS_PER_KW
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
    rest = np.maximum(_to_units(other), int(0.02 * UNITS_PER_KW))
    total = np.minimum(metered + rest, MAX_UNITS)
    units.update(use_kw=total, house_overall_kw=total, gen_kw=units["solar_kw"])
    missing = {c.name for c in contract.POWER_COLUMNS} ^ units.keys()
    if missing:
        raise RuntimeError(f"power model and contract disagree on columns: {sorted(missing)}")
    return units


def _to_units(kw: FloatArray) -> IntArray:
    """kW -> whole 1/60,000 kW as the real meter reports, non-negative and within the text table."""
    return np.clip(np.rint(kw * UNITS_PER_KW), 0, MAX_UNITS).astype(np.int64)
