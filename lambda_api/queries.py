"""Every SQL statement the API runs, built only from allow-listed names (lambda_api.columns).

Request values travel as query parameters, never as SQL text; identifiers come from the allow-list. Pages
are keyset-paginated on (house_id, timeframe), each one index range scan that also finds where the next
page starts. JSON pages are built by PostgreSQL (one `concat()` per row; a NaN falls back to `json_agg`):
docs/DESIGN_NOTES.md has the reasons."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from lambda_api.columns import DEVICE, ENERGY, HOME, Table

Interval = Literal["hour", "day"]
#: How a page comes back: JSON built row by row with concat(), JSON by json_agg, or plain rows (CSV).
Shape = Literal["fast_json", "json", "rows"]
Aggregate = Literal["avg", "min", "max", "sum", "kwh"]

#: SQL for each allowed aggregate; `{c}` is an allow-listed column. kWh: per-minute kW readings / 60.
AGGREGATES: dict[str, str] = {
    "avg": "avg({c})",
    "min": "min({c})",
    "max": "max({c})",
    "sum": "sum({c})",
    "kwh": "sum({c}) / 60.0",
}
INTERVALS: tuple[str, ...] = ("hour", "day")
#: Lists that are not paginated (homes, a home's devices) are tiny; this only bounds a broken table.
LIST_CAP = 10_000


@dataclass(frozen=True)
class Statement:
    """SQL text (allow-listed identifiers only) and its parameter values."""

    sql: str
    params: dict[str, Any]


_NAMED_PARAMETER = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class Prepared:
    """One statement as a server-side prepared statement: PREPARE once per connection, then EXECUTE."""

    prepare: str  # PREPARE <name> AS <sql with $1, $2, ...>
    execute: str  # EXECUTE <name>(%s, %s, ...): the values still travel as psycopg2 parameters
    names: tuple[str, ...]  # the parameter names, in $n order

    def values(self, statement: Statement) -> list[Any]:
        return [statement.params[name] for name in self.names]


def prepared(sql: str, name: str) -> Prepared:
    """`sql` (with `%(name)s` parameters) as PREPARE/EXECUTE text. PostgreSQL infers each parameter's type
    from where it is used; a statement where it cannot is refused at PREPARE (the caller runs it plainly).
    `name` must be a plain identifier (the caller numbers them)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(name)
    names: list[str] = []

    def positional(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    body = _NAMED_PARAMETER.sub(positional, sql)
    arguments = f"({', '.join(['%s'] * len(names))})" if names else ""
    return Prepared(f"PREPARE {name} AS {body}", f"EXECUTE {name}{arguments}", tuple(names))


@dataclass(frozen=True)
class PageRequest:
    """A keyset page over (house_id, <time column>)."""

    start: Any  # datetime | None
    end: Any
    house_id: int | None
    after_house: int | None  # the cursor: first key of this page, inclusive
    after_time: Any
    limit: int


def _select_list(names: tuple[str, ...] | list[str], table: Table) -> str:
    """Allow-listed column names as a SELECT list; a name not in `table`'s allow-list raises KeyError."""
    return ", ".join(table.column(name).name for name in names)


def _range_conditions(page: PageRequest, time_column: str) -> tuple[list[str], dict[str, Any]]:
    """WHERE terms for the timeframe, the home and the cursor, with their parameters."""
    terms: list[str] = []
    params: dict[str, Any] = {"fetch": page.limit + 1, "limit": page.limit}
    if page.start is not None:
        terms.append("timeframe >= %(start)s")
        params["start"] = page.start
    if page.end is not None:
        terms.append("timeframe < %(end)s")
        params["end"] = page.end
    if page.house_id is not None:
        terms.append("house_id = %(house_id)s")
        params["house_id"] = page.house_id
    if page.after_house is not None:
        terms.append(f"(house_id, {time_column}) >= (%(after_house)s, %(after_time)s)")
        params["after_house"] = page.after_house
        params["after_time"] = page.after_time
    return terms, params


def _where(terms: list[str]) -> str:
    return ("WHERE " + " AND ".join(terms)) if terms else ""


def _json_row(table: Table, names: list[str]) -> str:
    """SQL for one row as a JSON object, by one concat(): keys from the allow-list, numbers as PostgreSQL
    prints them; timestamps and text through to_json (ISO-8601, escaping, null)."""
    args: list[str] = []
    for index, name in enumerate(names):
        column = table.column(name)
        args.append(f"""'{"{" if index == 0 else ","}"{column.name}":'""")
        if column.type in ("date-time", "string") or column.nullable:
            args.append(f"coalesce(to_json({column.name})::text, 'null')")
        else:
            args.append(column.name)
    return f"concat({', '.join(args)}, '}}')"


def _first_page_of(inner: str, key: str, row_json: str | None = None) -> str:
    """JSON text of the first `limit` rows of `inner` (ordered by house_id, `key`) and how many there are.

    `row_json` is an expression over `p` giving one row's JSON; without it, json_agg does the work.
    """
    if row_json is None:
        rows = f"coalesce(json_agg(p ORDER BY p.house_id, p.{key}), '[]')::text"
    else:
        rows = f"'[' || coalesce(string_agg({row_json}, ',' ORDER BY p.house_id, p.{key}), '') || ']'"
    return f"SELECT {rows} AS rows, count(*) AS n FROM ({inner} LIMIT %(limit)s) AS p"


_BARE_SPECIAL_NUMBER = re.compile(r":-?(?:NaN|Infinity)[,}]")


def has_non_json_number(rows_json: str) -> bool:
    """True when a `fast_json` page may hold a number JSON cannot represent (NaN, Infinity after a key).

    Such a token needs an upper-case N or I, which keys, digits and ISO timestamps never have: that
    one-character scan (memchr-fast) spares the regex on almost every page. A match inside a quoted text
    value is a false alarm, which only costs the slower `json_agg` form.
    """
    if "N" not in rows_json and "I" not in rows_json:
        return False
    return _BARE_SPECIAL_NUMBER.search(rows_json) is not None


def readings_page(table: Table, columns: tuple[str, ...], page: PageRequest, shape: Shape) -> Statement:
    """Per-minute rows of `weather` or `energy_consuming_device` for a timeframe, one page.

    JSON shapes: one row (rows as JSON text, their count, the next page's first key or NULLs). The next
    key is looked up by a second walk of the primary key index (index-only), cheaper than holding the
    page in a CTE to pick its last row. "rows" (CSV): the rows themselves, `limit + 1` of them.
    """
    terms, params = _range_conditions(page, "timeframe")
    names = ["house_id", "timeframe", "time_raw", *columns]
    select = _select_list(names, table)
    ordered = f"FROM {table.name} {_where(terms)} ORDER BY house_id, timeframe"
    if shape == "rows":
        return Statement(f"SELECT {select} {ordered} LIMIT %(fetch)s", params)
    row_json = _json_row(table, names) if shape == "fast_json" else None
    sql = f"""
SELECT page.rows, page.n, next.house_id, next.timeframe
FROM ({_first_page_of(f"SELECT {select} {ordered}", "timeframe", row_json)}) AS page
LEFT JOIN LATERAL (SELECT house_id, timeframe {ordered} OFFSET %(limit)s LIMIT 1) AS next ON true"""
    return Statement(sql, params)


#: Added to a bucket's start, then truncated: the next bucket's start (local days last 23 to 25 hours).
NEXT_BUCKET_STEP = {"hour": "1 hour", "day": "26 hours"}
#: Most raw minutes one bucket can hold, per interval: an hour, or a day of 25 hours (a DST change).
BUCKET_MINUTES = {"hour": 60, "day": 25 * 60}


def summary_scan_rows(interval: str, limit: int, cap: int) -> int:
    """How many raw rows a summary page may aggregate: enough for `limit` + 1 whole buckets of minute
    readings (so a page of gapless data is the same as without the bound), and never more than `cap`."""
    return min((limit + 1) * BUCKET_MINUTES[interval], cap)


def summary_page(
    columns: tuple[str, ...], interval: str, aggregate: str, tz: str, page: PageRequest, shape: Shape, scan: int
) -> Statement:
    """Per home and hour/day (in time zone `tz`): one aggregate per device, plus the readings counted.

    A page aggregates at most `scan` raw rows from the cursor, cut back to the start of a bucket, so a
    whole-year request costs a page's worth of rows per page and paging always moves forward. JSON is one
    row (rows, count, next key); "rows" (CSV) is the buckets, each with the next key (`cut_house`,
    `cut_start`). The exact cutting rules are in docs/DESIGN_NOTES.md.
    """
    if interval not in INTERVALS:
        raise ValueError(interval)
    template = AGGREGATES[aggregate]
    aggregates = ", ".join(f"{template.format(c=ENERGY.column(c).name)} AS {c}" for c in columns)
    terms, params = _range_conditions(page, "timeframe")
    params.update(interval=interval, tz=tz, scan=scan, step=NEXT_BUCKET_STEP[interval])
    keyed = f"FROM {ENERGY.name} {_where(terms)} ORDER BY house_id, timeframe"
    bucket = "date_trunc(%(interval)s, {}, %(tz)s)"
    cut = f"""
cut AS MATERIALIZED (
  SELECT CASE WHEN past_first THEN b_house ELSE f_house END AS h,
         CASE WHEN past_first THEN b_start ELSE {bucket.format("f_start + %(step)s::interval")} END AS t
  FROM (SELECT b.house_id AS b_house, {bucket.format("b.timeframe")} AS b_start, f.house_id AS f_house,
               {bucket.format("f.timeframe")} AS f_start,
               (b.house_id, {bucket.format("b.timeframe")}) > (f.house_id, {bucket.format("f.timeframe")}) AS past_first
        FROM (SELECT house_id, timeframe {keyed} OFFSET %(scan)s LIMIT 1) AS b,
             (SELECT house_id, timeframe {keyed} LIMIT 1) AS f) AS rows_at
)"""
    bounded = [*terms, "(house_id, timeframe) < (coalesce((SELECT h FROM cut), 2147483647), "
               "coalesce((SELECT t FROM cut), 'infinity'::timestamptz))"]  # fmt: skip
    buckets = f"""
SELECT house_id, period_start, readings, {", ".join(columns)} FROM (
  SELECT house_id, {bucket.format("timeframe")} AS period_start, count(*) AS readings,
         {aggregates}
  FROM {ENERGY.name} {_where(bounded)}
  GROUP BY 1, 2
) AS buckets
ORDER BY house_id, period_start LIMIT %(fetch)s"""
    if shape == "rows":
        sql = f"""
WITH {cut}, page AS MATERIALIZED ({buckets})
SELECT page.*, cut.h AS cut_house, cut.t AS cut_start FROM page LEFT JOIN cut ON true
ORDER BY page.house_id, page.period_start"""
        return Statement(sql, params)  # json_agg for both JSON shapes: buckets are few
    # Aggregating twice would cost more than holding the (small) page of buckets in a CTE.
    sql = f"""
WITH {cut}, page AS MATERIALIZED ({buckets})
SELECT page_json.rows, page_json.n, coalesce(next.house_id, cut.h), coalesce(next.period_start, cut.t)
FROM ({_first_page_of("SELECT * FROM page ORDER BY house_id, period_start", "period_start")}) AS page_json
LEFT JOIN LATERAL (SELECT house_id, period_start FROM page ORDER BY house_id, period_start
                   OFFSET %(limit)s LIMIT 1) AS next ON true
LEFT JOIN cut ON true"""
    return Statement(sql, params)


#: Advisory-lock space of the summary slots ("sh" + "su"): a constant no other client of the database uses.
SUMMARY_LOCK_SPACE = 0x7368_7375


def take_summary_slot(slots: int) -> Statement:
    """Take the first free one of `slots` session advisory locks, or none (no row): the budget of
    summaries running at once, shared by every connection (every Lambda environment) of the database.
    generate_series yields 1, 2, ... in order and LIMIT stops the scan at the first lock taken (no ORDER
    BY: a sort would evaluate the condition, and take a lock, for every slot), so one is held per call."""
    sql = "SELECT s FROM generate_series(1, %(slots)s) AS s WHERE pg_try_advisory_lock(%(space)s, s) LIMIT 1"
    return Statement(sql, {"slots": slots, "space": SUMMARY_LOCK_SPACE})


def release_summary_slot(slot: int) -> Statement:
    return Statement("SELECT pg_advisory_unlock(%(space)s, %(slot)s)", {"space": SUMMARY_LOCK_SPACE, "slot": slot})


def homes(shape: Shape) -> Statement:
    """Every home (there are few: capped all the same)."""
    inner = f"SELECT {_select_list(HOME.column_names, HOME)} FROM {HOME.name} ORDER BY house_id LIMIT %(cap)s"
    return Statement(_list_envelope(inner, "listed.house_id", shape), {"cap": LIST_CAP})


def home_exists(house_id: int) -> Statement:
    sql = f"SELECT EXISTS (SELECT 1 FROM {HOME.name} WHERE house_id = %(house_id)s)"
    return Statement(sql, {"house_id": house_id})


def devices(house_id: int, order: tuple[str, ...], shape: Shape) -> Statement:
    """The device dimension of one home, in HomeC column order."""
    inner = (
        f"SELECT {_select_list(DEVICE.column_names, DEVICE)} FROM {DEVICE.name} WHERE house_id = %(house_id)s "
        "ORDER BY array_position(%(order)s::text[], device), device LIMIT %(cap)s"
    )
    order_by = "array_position(%(order)s::text[], listed.device), listed.device"
    params = {"house_id": house_id, "order": list(order), "cap": LIST_CAP}
    return Statement(_list_envelope(inner, order_by, shape), params)


def _list_envelope(inner: str, order_by: str, shape: Shape) -> str:
    """A small list as one JSON array and its length (ordered explicitly: aggregate input order is not
    guaranteed)."""
    if shape == "rows":
        return inner
    return f"SELECT coalesce(json_agg(listed ORDER BY {order_by}), '[]')::text, count(*) FROM ({inner}) AS listed"


HEALTH = Statement("SELECT 1", {})
#: The session's prepared statements (tests check that pages run prepared).
#: Homes, to estimate a summary's rows when no house_id narrows it (the table has one row a home).
HOME_COUNT = Statement(f"SELECT count(*) FROM {HOME.name}", {})


def day_versions(dataset: str, first: Any, last: Any) -> Statement:
    """The versions of a dataset's UTC days first..last and its catch-all one, as one text (lambda_api/cache.py):
    it changes whenever a row of those days may have."""
    if dataset not in ("weather", "energy"):
        raise ValueError(dataset)
    sql = (
        "SELECT coalesce(string_agg(day::text || '=' || version::text, ',' ORDER BY day), '') FROM day_version "
        "WHERE dataset = %(v_dataset)s AND (day BETWEEN %(v_first)s AND %(v_last)s OR day = 'infinity')"
    )
    return Statement(sql, {"v_dataset": dataset, "v_first": first, "v_last": last})


def with_versions(page: Statement, versions: Statement) -> Statement:
    """A one-row page statement (the JSON shapes) with `versions`' text appended as its last column: both read
    in one statement, so in one snapshot, and in one round trip."""
    return Statement(f"SELECT page.*, ({versions.sql}) FROM ({page.sql}) AS page", {**page.params, **versions.params})
