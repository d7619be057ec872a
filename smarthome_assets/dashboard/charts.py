"""The dashboard's charts: pure functions from `DashboardData` to Altair (Vega-Lite) specifications.

Vega-Lite gives both outputs from one spec: the offline page filters and aggregates in the browser, and
vl-convert renders the same specs to PNG. One row per home and local day carries every daily figure, with
per-device and hourly values as arrays the charts unfold (about 6x lighter than a row per device or hour);
docs/DESIGN_NOTES.md explains the shaping."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import altair as alt

from smarthome_assets.dashboard.queries import OTHER_DEVICE, DashboardData

#: Device colours (Tableau 20 without its oranges and yellow, which are solar's); OTHER_DEVICE is grey.
DEVICE_PALETTE = (
    "#4e79a7",
    "#a0cbe8",
    "#59a14f",
    "#8cd17d",
    "#b6992d",
    "#499894",
    "#86bcb6",
    "#e15759",
    "#ff9d9a",
    "#79706e",
    "#d37295",
    "#fabfd2",
    "#b07aa1",
    "#d4a6c8",
    "#9d7660",
    "#d7b5a6",
)
OTHER_COLOR = "#c9c9c9"
SOLAR = "Solar generation"
SOLAR_COLOR = "#f28e2b"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TOP_DEVICES = 10
FULL_WIDTH = 900
HALF_WIDTH = 400

#: The names charts get in the spec (and so the CSS classes of their marks in the page's SVG).
CHART_NAMES = ("totals", "overview", "daily", "heatmap", "heating", "weather", "top_devices")

#: The datasets, by name: charts refer to them, and only the top-level spec holds the values (once, and
#: without Altair deep-copying half a megabyte of rows at every `transform_*` call).
DAYS = alt.NamedData(name="days")
CONDITION_DAYS = alt.NamedData(name="condition_days")
CONDITIONS = alt.NamedData(name="conditions")


@dataclass(frozen=True)
class Filters:
    """How a chart is narrowed. The page: the home dropdown and the period brush (Vega-Lite params).
    A PNG: one fixed home and the whole period (no brush exists outside a browser)."""

    home: alt.Parameter | int
    period: alt.Parameter | None = None
    condition_by: alt.Parameter | str = "summary"


def records(data: DashboardData) -> dict[str, list[dict[str, Any]]]:
    """The three datasets by name: home-days, home-day-conditions and the conditions dimension."""
    days = [
        {
            "h": d.house_id,
            "d": epoch_ms(d.day),
            "w": d.day.isoweekday(),
            "u": _r(d.use_kwh),
            "s": _r(d.solar_kwh),
            "f": _r(d.furnace_kwh),
            "t": None if d.temperature_f is None else round(d.temperature_f, 1),
            "k": [_r(v) for v in d.device_kwh],
            "p": [_r(v) for v in d.hourly_kw],
        }
        for d in data.days
    ]
    condition_days = [
        {"h": c.house_id, "d": epoch_ms(c.day), "c": c.condition_key, "n": round(c.hours, 2), "k": _r(c.kwh)}
        for c in data.condition_days
    ]
    conditions = [{"c": c.condition_key, "icon": c.icon, "summary": c.summary} for c in data.conditions]
    return {DAYS.name: days, CONDITION_DAYS.name: condition_days, CONDITIONS.name: conditions}


def epoch_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _narrow(chart: alt.Chart, filters: Filters, *, by_period: bool = True) -> alt.Chart:
    chart = chart.transform_filter(alt.datum.h == filters.home)
    if by_period and filters.period is not None:
        chart = chart.transform_filter(filters.period)
    return chart


def _by_device(chart: alt.Chart, devices: tuple[str, ...]) -> alt.Chart:
    """One row per device from each day's `k` array: position i (1-based) is devices[i - 1]."""
    return (
        chart.transform_flatten(["k"], as_=["kwh"])
        .transform_window(i="row_number()", groupby=["h", "d"])
        .transform_filter("isValid(datum.kwh)")
        .transform_calculate(device=f"{json.dumps(list(devices))}[datum.i - 1]")
    )


def device_colors(devices: tuple[str, ...]) -> alt.Scale:
    """One colour per device, OTHER_DEVICE grey, and SOLAR's colour, in one scale (so in one legend)."""
    appliances = [d for d in devices if d != OTHER_DEVICE]
    palette = [DEVICE_PALETTE[i % len(DEVICE_PALETTE)] for i in range(len(appliances))]
    return alt.Scale(domain=[*appliances, OTHER_DEVICE, SOLAR], range=[*palette, OTHER_COLOR, SOLAR_COLOR])


#: Days on a time axis: labels only at midnight (a period of a few days gets noon ticks, which would
#: repeat the day's label).
DAY_AXIS = alt.Axis(labelAngle=0, labelExpr="utchours(datum.value) === 0 ? utcFormat(datum.value, '%b %d') : ''")


def _day_x() -> alt.X:
    return alt.X("d:T", timeUnit="utcyearmonthdate", title=None, axis=DAY_AXIS)


def totals_chart(filters: Filters) -> alt.Chart:
    """One line of text with the period's totals: what the selections narrowed everything to."""
    text = (
        "'Use ' + format(datum.use, ',.0f') + ' kWh   ·   solar ' + format(datum.solar, ',.0f') + ' kWh   ·   "
        "furnaces ' + format(datum.furnace, ',.0f') + ' kWh   ·   ' + datum.days + ' days, '"
        " + utcFormat(datum.first, '%b %d %Y') + ' – ' + utcFormat(datum.last, '%b %d %Y')"
    )
    chart = alt.Chart(DAYS, name="totals", width=FULL_WIDTH, height=22)
    return (
        _narrow(chart, filters)
        .transform_aggregate(
            use="sum(u)", solar="sum(s)", furnace="sum(f)", days="count()", first="min(d)", last="max(d)"
        )
        .transform_calculate(label=text)
        .mark_text(align="left", x=0, y=11, fontSize=15, fontWeight="bold", color="#333")
        .encode(text="label:N")
    )


def overview_chart(filters: Filters) -> alt.Chart:
    """The whole period's daily use: drag across it to choose the period every other chart shows."""
    chart = alt.Chart(
        DAYS,
        name="overview",
        width=FULL_WIDTH,
        height=70,
        title=alt.Title(
            "Choose a period: drag across this strip (double-click resets)", fontSize=12, anchor="start", color="#555"
        ),
    )
    chart = (
        _narrow(chart, filters, by_period=False)
        .mark_area(color="#4e79a7", opacity=0.6)
        .encode(
            x=alt.X("d:T", title=None, scale=alt.Scale(type="utc"), axis=DAY_AXIS),
            y=alt.Y("u:Q", title="kWh", axis=alt.Axis(tickCount=2)),
        )
    )
    return chart.add_params(filters.period) if isinstance(filters.period, alt.Parameter) else chart


def daily_chart(filters: Filters, devices: tuple[str, ...]) -> alt.LayerChart:
    """kWh per day stacked by device (the stack is the whole house), with solar generation as a line."""
    colors = device_colors(devices)
    # Each bar is outlined in its own colour: a year of 2-pixel bars otherwise shows anti-aliasing seams.
    bars = (
        _by_device(_narrow(alt.Chart(DAYS), filters), devices)
        .mark_bar(strokeWidth=0.6)
        .encode(
            x=_day_x(),
            y=alt.Y("sum(kwh):Q", title="kWh per day", stack="zero"),
            color=alt.Color(
                "device:N", scale=colors, title="Device", legend=alt.Legend(symbolLimit=0, labelLimit=160, columns=1)
            ),
            stroke=alt.Stroke("device:N", scale=colors, legend=None),
            order=alt.Order("i:Q"),
            tooltip=[
                alt.Tooltip("d:T", timeUnit="utcyearmonthdate", title="day"),
                "device:N",
                alt.Tooltip("sum(kwh):Q", format=",.2f", title="kWh"),
            ],
        )
    )
    # at noon: the middle of the day's bar
    solar = (
        _narrow(alt.Chart(DAYS), filters)
        .transform_calculate(noon="datum.d + 43200000")
        .mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=12))
        .encode(
            x=alt.X("noon:T", title=None, scale=alt.Scale(type="utc"), axis=DAY_AXIS),
            y=alt.Y("s:Q"),
            color=alt.datum(SOLAR),  # the bars' scale: its domain ends with SOLAR
            tooltip=[
                alt.Tooltip("d:T", timeUnit="utcyearmonthdate", title="day"),
                alt.Tooltip("s:Q", format=",.2f", title="solar kWh"),
            ],
        )
    )
    return alt.layer(bars, solar, name="daily", width=FULL_WIDTH - 180, height=300).properties(
        title=alt.Title(
            "Energy use per day by device, and solar generation",
            subtitle="kWh = Σ kW / 60 (each reading is one minute's mean kW); "
            f"'{OTHER_DEVICE}' is whole-house use minus the metered circuits",
        )
    )


def heatmap_chart(filters: Filters) -> alt.Chart:
    """Mean whole-house kW by local hour of day and day of week, over the chosen days."""
    labels = json.dumps(["", *WEEKDAYS])
    chart = alt.Chart(
        DAYS,
        name="heatmap",
        width=HALF_WIDTH,
        height=190,
        title=alt.Title("Average use by hour and weekday", subtitle="mean kW, local time"),
    )
    return (
        _narrow(chart, filters)
        .transform_flatten(["p"], as_=["kw"])
        .transform_window(i="row_number()", groupby=["h", "d"])
        .transform_calculate(hour="datum.i - 1")
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title="hour of day", axis=alt.Axis(labelAngle=0, values=list(range(0, 24, 3)))),
            y=alt.Y("w:O", title=None, axis=alt.Axis(labelExpr=f"{labels}[datum.value]")),
            color=alt.Color("mean(kw):Q", title="kW", scale=alt.Scale(scheme="yelloworangered")),
            tooltip=[
                alt.Tooltip("w:O", title="weekday (1 = Mon)"),
                "hour:O",
                alt.Tooltip("mean(kw):Q", format=".2f", title="mean kW"),
            ],
        )
    )


def heating_chart(filters: Filters) -> alt.LayerChart:
    """Furnace kWh per day against the day's mean outdoor temperature, with a loess trend."""
    base = _narrow(alt.Chart(DAYS), filters).transform_filter("isValid(datum.t)")
    points = base.mark_circle(size=28, opacity=0.6, color="#e15759").encode(
        x=alt.X("t:Q", title="mean outdoor temperature (°F)", scale=alt.Scale(zero=False)),
        y=alt.Y("f:Q", title="furnace kWh per day", scale=alt.Scale(domainMin=0)),
        tooltip=[
            alt.Tooltip("d:T", timeUnit="utcyearmonthdate", title="day"),
            alt.Tooltip("t:Q", format=".1f", title="°F"),
            alt.Tooltip("f:Q", format=".2f", title="kWh"),
        ],
    )
    trend = base.transform_loess("t", "f").mark_line(color="#333", strokeWidth=1.5, clip=True).encode(x="t:Q", y="f:Q")
    return alt.layer(points, trend, name="heating", width=HALF_WIDTH, height=190).properties(
        title=alt.Title("Heating against outdoor temperature", subtitle="Furnace 1 + Furnace 2, one point a day")
    )


def weather_chart(filters: Filters) -> alt.Chart:
    """Mean whole-house kW under each weather condition (by `summary` or by `icon`), over the chosen days."""
    chart = alt.Chart(
        CONDITION_DAYS,
        name="weather",
        width=HALF_WIDTH,
        height=230,
        title=alt.Title("Use by weather condition", subtitle="mean kW in the hours of each condition"),
    )
    pick = f"{_expr(filters.condition_by)} == 'icon' ? datum.icon : datum.summary"
    return (
        _narrow(chart, filters)
        .transform_lookup(lookup="c", from_=alt.LookupData(data=CONDITIONS, key="c", fields=["icon", "summary"]))
        .transform_calculate(condition=pick)
        .transform_aggregate(kwh="sum(k)", hours="sum(n)", groupby=["condition"])
        .transform_calculate(kw="datum.kwh / datum.hours")
        .mark_bar(color="#76b7b2")
        .encode(
            y=alt.Y("condition:N", sort="-x", title=None),
            x=alt.X("kw:Q", title="mean kW"),
            tooltip=[
                "condition:N",
                alt.Tooltip("kw:Q", format=".2f", title="mean kW"),
                alt.Tooltip("hours:Q", format=",.0f"),
                alt.Tooltip("kwh:Q", format=",.1f", title="kWh"),
            ],
        )
    )


def top_devices_chart(filters: Filters, devices: tuple[str, ...]) -> alt.LayerChart:
    """The devices with the most energy over the chosen period, in kWh (the unmetered rest excluded)."""
    base = (
        _by_device(_narrow(alt.Chart(DAYS), filters), devices)
        .transform_filter(alt.datum.device != OTHER_DEVICE)
        .transform_aggregate(kwh="sum(kwh)", groupby=["device"])
        .transform_window(rank="row_number()", sort=[alt.SortField("kwh", order="descending")])
        .transform_filter(alt.datum.rank <= TOP_DEVICES)
        .encode(
            y=alt.Y("device:N", title=None, sort=alt.EncodingSortField("kwh", op="max", order="descending")),
            x=alt.X("kwh:Q", title="kWh"),
        )
    )
    bars = base.mark_bar().encode(
        color=alt.Color("device:N", scale=device_colors(devices), legend=None),
        tooltip=["device:N", alt.Tooltip("kwh:Q", format=",.1f")],
    )
    labels = base.mark_text(align="left", dx=3, fontSize=11).encode(text=alt.Text("kwh:Q", format=",.1f"))
    return alt.layer(bars, labels, name="top_devices", width=HALF_WIDTH, height=230).properties(
        title=alt.Title(f"Top {TOP_DEVICES} devices by energy", subtitle="kWh over the chosen period")
    )


def _expr(value: alt.Parameter | str) -> str:
    return value.name if isinstance(value, alt.Parameter) else json.dumps(value)


def dashboard_chart(data: DashboardData, controls: str = "#controls") -> alt.VConcatChart:
    """The page: every chart, the home dropdown (when there are several homes) and the period brush.
    Data-free: `spec` adds the datasets."""
    homes = [h.house_id for h in data.homes] or sorted({d.house_id for d in data.days})
    names = {h.house_id: h.name for h in data.homes}
    bind = (
        alt.binding_select(options=homes, labels=[names.get(h, str(h)) for h in homes], name="Home ", element=controls)
        if len(homes) > 1
        else None
    )
    home = alt.param(name="home", value=homes[0], **({"bind": bind} if bind else {}))
    by = alt.param(
        name="condition_by",
        value="summary",
        bind=alt.binding_radio(options=["summary", "icon"], name="Weather by ", element=controls),
    )
    filters = Filters(home=home, period=alt.selection_interval(name="period", encodings=["x"]), condition_by=by)
    return (
        alt.vconcat(
            totals_chart(filters),
            overview_chart(filters),
            daily_chart(filters, data.devices),
            alt.hconcat(heatmap_chart(filters), heating_chart(filters)).resolve_scale(color="independent"),
            alt.hconcat(weather_chart(filters), top_devices_chart(filters, data.devices)),
            spacing=28,
        )
        .add_params(home, by)
        .resolve_scale(color="independent")
        .configure_view(stroke=None)
    )


def image_charts(data: DashboardData, house_id: int) -> dict[str, alt.TopLevelMixin]:
    """The main charts for one home over the whole period, each on its own (what the PNGs show). Data-free."""
    filters = Filters(home=house_id)
    charts = {
        "daily": daily_chart(filters, data.devices),
        "heatmap": heatmap_chart(filters),
        "heating": heating_chart(filters),
        "weather": weather_chart(filters),
        "top_devices": top_devices_chart(filters, data.devices),
    }
    return {name: chart.configure_view(stroke=None) for name, chart in charts.items()}


def spec(chart: alt.TopLevelMixin, datasets: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The Vega-Lite spec of a data-free chart with the named datasets attached (validated without them:
    schema-checking half a megabyte of rows would cost more than rendering them)."""
    return {**chart.to_dict(), "datasets": datasets}
