"""The routes: parameters (declared for validation and the OpenAPI document) and what each one answers.

Routes are registered on each resolver by `register` (a shared Powertools `Router` would point at
whichever resolver included it last, and the local server runs several resolvers at once). They read the
request and the connection from the current execution environment (lambda_api.runtime).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from lambda_api import cache, queries, responses, runtime, schemas
from lambda_api.columns import DEVICE, DEVICE_COLUMNS, ENERGY, HOME, WEATHER, WEATHER_COLUMNS, Table
from lambda_api.config import DEFAULT_LIMIT, MAX_LIMIT
from lambda_api.db import DatabaseUnavailable, InvalidValue
from lambda_api.params import BadParameter, Cursor, parse_devices, parse_time_zone, parse_timeframe, wants_csv
from lambda_api.queries import PageRequest, Statement

INT4_MAX = 2**31 - 1
INVALID_PARAMETER_VALUE = "22023"  # SQLSTATE of "time zone ... not recognized"
DeviceName = Literal[DEVICE_COLUMNS]  # type: ignore[valid-type]

_TIME_HELP = (
    "ISO-8601 date (2016-01-01, midnight UTC) or date-time (2016-01-01T05:00:00Z, 2016-01-01T00:00-05:00; "
    "no offset means UTC), or unix seconds (1451624400)."
)
Start = Annotated[str | None, Query(description="Inclusive start of the timeframe. " + _TIME_HELP)]
End = Annotated[str | None, Query(description="Exclusive end of the timeframe. " + _TIME_HELP)]
HouseFilter = Annotated[int | None, Query(ge=1, le=INT4_MAX, description="Only this home.")]
Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Rows per page (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}).")
]
CursorParam = Annotated[
    str | None, Query(max_length=200, description="Where the next page starts: `next_cursor` of the previous page.")
]
Devices = Annotated[
    list[DeviceName] | None,
    Query(description="Devices to return, repeated for several (`device=furnace_1_kw&device=fridge_kw`); default all."),
]


def _page_request(
    start: str | None, end: str | None, house_id: int | None, limit: int, cursor: str | None
) -> PageRequest:
    timeframe = parse_timeframe(start, end)
    after = Cursor.decode(cursor) if cursor else None
    return PageRequest(
        start=timeframe.start,
        end=timeframe.end,
        house_id=house_id,
        after_house=after.house_id if after else None,
        after_time=after.at if after else None,
        limit=limit,
    )


def _current() -> tuple[runtime.Environment, runtime.Request]:
    """The environment and the request being answered (set by the handler around each resolve)."""
    env = runtime.current()
    if env.request is None:
        raise RuntimeError("a route ran outside lambda_api.handler.handler")
    return env, env.request


def _serve_page(
    build: Callable[[queries.Shape], Statement],
    header: tuple[str, ...],
    limit: int,
    cut_columns: bool = False,
    versions: Statement | None = None,
) -> tuple[Response[str], str | None]:
    """Run a page query as JSON (built by PostgreSQL) or as rows for CSV, and attach the next cursor.

    `build(shape) -> Statement`. JSON comes back as one row (rows, count, next key); CSV as
    `limit + 1` rows, the extra one being the next page's first row. With `cut_columns` (summaries),
    each CSV row ends with the key where a bounded page stops, used when there is no extra row. With
    `versions` (a day_versions statement), a JSON page reads them in its own statement and returns them.
    """
    env, request = _current()
    if wants_csv(request.header("accept")):
        rows = env.db.fetch(build("rows"))
        cut = rows[0][-2:] if cut_columns and rows and rows[0][-2] is not None else None
        if cut_columns:
            rows = [row[:-2] for row in rows]
        if len(rows) > limit:
            cursor = Cursor(rows[limit][0], rows[limit][1]).encode()
        else:
            cursor = Cursor(cut[0], cut[1]).encode() if cut else None
        return responses.csv_page(request, header, rows[:limit], cursor), None

    def fetch(shape: queries.Shape) -> tuple:
        statement = build(shape)
        return env.db.fetch(queries.with_versions(statement, versions) if versions else statement)[0]

    row = fetch("fast_json")
    if queries.has_non_json_number(row[0]):  # NaN/Infinity in the table: let json_agg quote them
        row = fetch("json")
    rows_json, count, next_house, next_time = row[:4]
    cursor = Cursor(next_house, next_time).encode() if next_house is not None else None
    return responses.json_page(request, rows_json, count, cursor), (row[4] if versions else None)


def _serve_list(build: Callable[[queries.Shape], Statement], header: tuple[str, ...]) -> Response[str]:
    """A small unpaginated list (homes, devices) as JSON or CSV."""
    env, request = _current()
    if wants_csv(request.header("accept")):
        return responses.csv_page(request, header, env.db.fetch(build("rows")), None)
    ((rows_json, count),) = env.db.fetch(build("json"))
    return responses.json_list(rows_json, count)


def _request_key(request: runtime.Request) -> str:
    """Everything an answer depends on besides the data: the route, the URL its links are built on, the query
    as given (the `next` link repeats it), and JSON or CSV."""
    shape = "csv" if wants_csv(request.header("accept")) else "json"
    return f"{request.path}\n{request.base_url}\n{urlencode(request.query)}\n{shape}"


#: Serves a page; given a day_versions statement, returns the versions its JSON page read along (else None).
Serve = Callable[[Statement | None], tuple[Response[str], str | None]]


def _cached(dataset: str, page: PageRequest, serve: Serve) -> Response[str]:
    """A page of past days from the cache while their versions are unchanged, else `serve`d (and kept); with the
    ETag and Cache-Control that fit the timeframe's age, and 304 for a client that has it.

    The versions are never read after the page they key: when the answer may be kept (or the client has one)
    they are read first, and a request never answered (the cold case) reads them in the page's own statement."""
    env, request = _current()
    days = cache.past_days(page.start, page.end)
    store = env.cache
    if days is None or store is None:  # today's readings may still arrive; or caching is off (cache_bytes=0)
        response, _ = serve(None)
        response.headers["Cache-Control"] = cache.NOT_CACHEABLE
        return response
    key = _request_key(request)
    lookup = queries.day_versions(dataset, *days)
    conditional = request.header("if-none-match")
    if conditional or wants_csv(request.header("accept")) or key in store:
        ((versions,),) = env.db.fetch(lookup)
        tag = cache.etag(key, versions)
        if cache.matches(conditional, tag):
            return Response(304, None, "", headers={"ETag": tag, "Cache-Control": cache.PAST_DAYS})
        answer = store.get(key, versions)
        if answer is not None:
            return _answered(answer, tag, "hit")
        response, _ = serve(None)
    else:
        response, versions = serve(lookup)
    if response.status_code != 200 or versions is None:
        return response
    answer = cache.Answer(versions, 200, response.body, dict(response.headers))
    store.put(key, answer)
    return _answered(answer, cache.etag(key, versions), "miss")


def _answered(answer: cache.Answer, tag: str, status: str) -> Response[str]:
    headers = {**answer.headers, "ETag": tag, "Cache-Control": cache.PAST_DAYS, cache.STATUS_HEADER: status}
    return Response(answer.status, None, answer.body, headers=headers)


def _readings(dataset: str, table: Table, columns: tuple[str, ...], page: PageRequest) -> Response[str]:
    header = ("house_id", "timeframe", "time_raw", *columns)
    return _cached(
        dataset,
        page,
        lambda versions: _serve_page(
            lambda s: queries.readings_page(table, columns, page, s), header, page.limit, versions=versions
        ),
    )


class HomeNotFound(LookupError):
    """A path names a home that does not exist (404)."""


def health() -> Response[str]:
    """Liveness and database reachability (no API key needed)."""
    runtime.current().db.fetch(queries.HEALTH)
    return Response(200, responses.JSON, '{"status":"ok","database":"ok"}')


def list_homes() -> Response[str]:
    """Every home, with the timeframe and row counts of its readings."""
    return _serve_list(queries.homes, HOME.column_names)


def list_devices(house_id: Annotated[int, Path(ge=1, le=INT4_MAX, description="The home.")]) -> Response[str]:
    """The devices (power columns) one home reports."""
    env = runtime.current()
    if not env.db.fetch(queries.home_exists(house_id))[0][0]:
        raise HomeNotFound(house_id)
    header = tuple(c.name for c in DEVICE.columns)
    return _serve_list(lambda shape: queries.devices(house_id, DEVICE_COLUMNS, shape), header)


def weather(
    start: Start = None,
    end: End = None,
    house_id: HouseFilter = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> Response[str]:
    """Per-minute weather readings for a timeframe, paginated in (house_id, timeframe) order."""
    page = _page_request(start, end, house_id, limit, cursor)
    return _readings("weather", WEATHER, WEATHER_COLUMNS, page)


def energy(
    start: Start = None,
    end: End = None,
    house_id: HouseFilter = None,
    device: Devices = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> Response[str]:
    """Per-minute device readings (kW) for a timeframe, all devices or the ones named."""
    page = _page_request(start, end, house_id, limit, cursor)
    return _readings("energy", ENERGY, parse_devices(device), page)


def energy_summary(
    start: Start = None,
    end: End = None,
    house_id: HouseFilter = None,
    device: Devices = None,
    interval: Annotated[Literal["hour", "day"], Query(description="Bucket size.")] = "hour",
    agg: Annotated[
        Literal["avg", "min", "max", "sum", "kwh"],
        Query(description="avg/min/max/sum of the per-minute kW readings, or kwh: energy (sum / 60)."),
    ] = "avg",
    tz: Annotated[str, Query(max_length=64, description="IANA time zone for bucket boundaries.")] = "UTC",
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> Response[str]:
    """Per home, hour or day and device: an aggregate of the readings in the timeframe."""
    page = _page_request(start, end, house_id, limit, cursor)
    columns = parse_devices(device)
    zone = parse_time_zone(tz)
    header = ("house_id", "period_start", "readings", *columns)

    env, _ = _current()
    scan = queries.summary_scan_rows(interval, limit, env.config.summary_max_rows)

    def build(shape: queries.Shape) -> Statement:
        return queries.summary_page(columns, interval, agg, zone, page, shape, scan)

    def serve(versions: Statement | None) -> tuple[Response[str], str | None]:
        with summary_slot(env, _summary_cost(env, page, scan)):
            try:
                return _serve_page(build, header, limit, cut_columns=True, versions=versions)
            except InvalidValue as exc:
                if exc.sqlstate != INVALID_PARAMETER_VALUE:  # only the time zone name can be refused here
                    raise
                raise BadParameter("tz", "unknown time zone; use an IANA name such as America/New_York") from None

    return _cached("energy", page, serve)


class OverBudget(RuntimeError):
    """Every summary slot is taken: answered 429 with Retry-After, before any work is done."""


def _summary_cost(env: runtime.Environment, page: PageRequest, scan: int) -> int:
    """Raw rows a summary page may read at most: its scan bound, or fewer when the timeframe is short
    (a minute a row, per home; the homes are counted only when no house_id narrows them)."""
    if page.start is None or page.end is None:
        return scan
    minutes = int((page.end - page.start).total_seconds() // 60) + 1
    if minutes >= scan:
        return scan
    homes = 1 if page.house_id is not None else int(env.db.fetch(queries.HOME_COUNT)[0][0])
    return min(scan, minutes * max(homes, 1))


@contextmanager
def summary_slot(env: runtime.Environment, cost: int) -> Iterator[None]:
    """Hold one of the database-wide summary slots (advisory locks) while a summary runs.

    A summary aggregates up to `summary_max_rows` raw rows; the slots bound how many do so at once across
    every environment, so a burst of them is turned away (429) instead of piling up on the database's
    CPUs until every query, the cheap ones too, hits the statement timeout.

    Summaries that read fewer rows than `summary_free_rows` (about a week of one home) need no slot.
    """
    slots = env.config.summary_concurrency
    if slots <= 0 or cost < env.config.summary_free_rows:  # 0: no limit
        yield
        return
    taken = env.db.fetch(queries.take_summary_slot(slots))
    if not taken:
        raise OverBudget(slots)
    try:
        yield
    finally:
        with suppress(DatabaseUnavailable):  # the session is gone, and its locks with it
            env.db.fetch(queries.release_summary_slot(taken[0][0]))


def register(app: Any) -> None:
    """Add every data route, with its OpenAPI responses, to a Powertools resolver."""
    app.get("/health", summary="Health", responses=schemas.health_responses(), tags=["meta"])(health)
    app.get("/homes", summary="Homes", responses=schemas.list_responses(HOME), tags=["homes"])(list_homes)
    app.get(
        "/homes/<house_id>/devices",
        summary="A home's devices",
        responses=schemas.list_responses(DEVICE, not_found=True),
        tags=["homes"],
    )(list_devices)
    app.get("/weather", summary="Weather readings", responses=schemas.page_responses(WEATHER), tags=["readings"])(
        weather
    )
    app.get("/energy", summary="Device readings", responses=schemas.page_responses(ENERGY), tags=["readings"])(energy)
    app.get(
        "/energy/summary",
        summary="Device readings per hour or day",
        responses=schemas.page_responses(schemas.SUMMARY),
        tags=["readings"],
    )(energy_summary)
