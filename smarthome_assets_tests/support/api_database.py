"""Shared helpers for the API tests: deterministic synthetic rows, and API Gateway events.

Not a test module (it holds no tests); the `test_` prefix keeps it among the API test files. Rows are
written with COPY FROM STDIN using the contract's column names, so they do not depend on the loader.
The events follow the payload formats API Gateway documents for REST APIs (v1) and HTTP APIs (v2),
written out independently of smarthome_assets.local_api so each checks the other.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import orjson
import psycopg2

from smarthome_assets.database.migrate import apply_migrations
from smarthome_assets.database.queries import ENSURE_MONTH_PARTITIONS
from smarthome_assets.homec import contract
from smarthome_assets.services import embedded_postgres

READER = "smarthome_api_reader"
ORIGIN = datetime(2016, 1, 1, 5, 0, tzinfo=UTC)
HOMES = (1, 2)
DAYS = 3
MINUTES = DAYS * contract.MINUTES_PER_DAY
#: Home 2 reports fewer devices in the device dimension (its table rows still have every column).
HOME_2_DEVICES = ("use_kw", "gen_kw", "house_overall_kw", "fridge_kw", "solar_kw")
POWER = [c.name for c in contract.POWER_COLUMNS]
WEATHER = [c.name for c in contract.WEATHER_COLUMNS]


def power_value(house: int, minute: int, column: int) -> float:
    """A deterministic reading in kW with up to 6 decimals, sometimes tiny (scientific notation)."""
    raw = (house * 7919 + minute * 104_729 + column * 15_485_863) % 100_000
    return raw / 1e9 if raw % 97 == 0 else round(raw / 100_000 * 3.0, 6)


def weather_values(house: int, minute: int) -> list[Any]:
    period = minute // contract.WEATHER_PERIOD_ROWS
    seed = house * 31 + period * 17
    values: list[Any] = []
    for column in contract.WEATHER_COLUMNS:
        if column.name == "icon":
            values.append(contract.ICONS[seed % len(contract.ICONS)])
        elif column.name == "summary":
            values.append(contract.SUMMARIES[seed % len(contract.SUMMARIES)])
        else:
            low = column.low if column.low is not None else 0.0
            high = column.high if column.high is not None else low + 20.0
            values.append(round(low + (seed * 7 % 100) / 100 * (high - low), 2))
    return values


def _copy(cur, table: str, columns: list[str], rows: list[list[Any]]) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write(",".join("" if v is None else (v.isoformat() if isinstance(v, datetime) else str(v)) for v in row))
        buffer.write("\n")
    buffer.seek(0)
    cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buffer)


def load_synthetic(url: str, homes: tuple[int, ...] = HOMES, minutes: int = MINUTES) -> None:
    """Fill home, device, weather and energy_consuming_device with deterministic rows."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        last = ORIGIN + timedelta(minutes=minutes - 1)
        cur.execute(ENSURE_MONTH_PARTITIONS, (ORIGIN.date(), last.date()))  # what the loader does (migration 0006)
        _copy(
            cur,
            "home",
            ["house_id", "name", "source_file", "first_reading", "last_reading", "weather_rows", "energy_rows"],
            [[h, f"Home {h}", f"/data/home{h}.csv", ORIGIN, last, minutes, minutes] for h in homes],
        )
        device_rows = []
        for h in homes:
            for column in contract.POWER_COLUMNS:
                if h == 2 and column.name not in HOME_2_DEVICES:
                    continue
                device_rows.append(
                    [h, column.name, contract.device_display_name(column), column.raw, column.unit, column.kind.value]
                )
        _copy(cur, "device", ["house_id", "device", "name", "raw_column", "unit", "kind"], device_rows)
        keys = ["house_id", "timeframe", "time_raw"]
        times = [(m, ORIGIN + timedelta(minutes=m), contract.TIME_ORIGIN + m) for m in range(minutes)]
        _copy(
            cur,
            "energy_consuming_device",
            keys + POWER,
            [[h, t, raw] + [power_value(h, m, i) for i in range(len(POWER))] for h in homes for m, t, raw in times],
        )
        _copy(
            cur, "weather", keys + WEATHER, [[h, t, raw, *weather_values(h, m)] for h in homes for m, t, raw in times]
        )


@dataclass(frozen=True)
class ApiDatabase:
    """A migrated database with synthetic rows; `reader_url` logs in as the API's read-only role."""

    admin_url: str
    reader_url: str
    name: str
    pgdata: Path


def create_api_database(pg_server, load: bool = True) -> ApiDatabase:
    _, pgdata = pg_server
    name = f"api_{uuid.uuid4().hex[:10]}"
    url = embedded_postgres.server_url(pgdata, name)
    apply_migrations(url)
    if load:
        load_synthetic(url)
    reader = embedded_postgres.socket_url(str(pgdata), name, READER)
    return ApiDatabase(url, reader, name, Path(pgdata))


def drop_api_database(db: ApiDatabase, pg_server) -> None:
    embedded_postgres.drop_database(db.pgdata, db.name)


@contextmanager
def served_api_database(pg_server, application_name: str) -> Iterator[ApiDatabase]:
    """A loaded API database, with the handler configured to read it as the read-only role."""
    from lambda_api.config import ApiConfig
    from lambda_api.handler import configure

    db = create_api_database(pg_server)
    configure(ApiConfig(database_url=db.reader_url, application_name=application_name))
    try:
        yield db
    finally:
        drop_api_database(db, pg_server)


def table_rows(url: str, table: str, columns: list[str], where: str = "", params: tuple = ()) -> list[dict]:
    """Rows straight from the table, in the API's order, as JSON would show them."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT {', '.join(columns)} FROM {table} {where} ORDER BY house_id, timeframe", params)
        return [
            {c: (v.isoformat() if isinstance(v, datetime) else v) for c, v in zip(columns, row, strict=True)}
            for row in cur.fetchall()
        ]


# --- API Gateway events --------------------------------------------------------------------------------


def v2_event(
    path: str, query: str = "", headers: dict[str, str] | None = None, method: str = "GET", stage: str = "$default"
) -> dict[str, Any]:
    """An HTTP API (payload 2.0) event as API Gateway sends it: repeated query keys comma-joined."""
    parsed = parse_qs(query, keep_blank_values=True)
    raw_path = path if stage == "$default" else f"/{stage}{path}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": {
            "host": "abc123.execute-api.eu-west-1.amazonaws.com",
            "x-forwarded-proto": "https",
            "user-agent": "pytest",
            **{k.lower(): v for k, v in (headers or {}).items()},
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "pytest",
            },
            "requestId": f"v2-{uuid.uuid4().hex[:12]}",
            "routeKey": "$default",
            "stage": stage,
            "time": "01/Jan/2016:05:00:00 +0000",
            "timeEpoch": 1451624400000,
        },
        "isBase64Encoded": False,
    }
    if parsed:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in parsed.items()}
    return event


def v1_event(
    path: str, query: str = "", headers: dict[str, str] | None = None, method: str = "GET", stage: str = "prod"
) -> dict[str, Any]:
    """A REST API (payload 1.0) proxy event: last value in queryStringParameters, all in multiValue."""
    parsed = parse_qs(query, keep_blank_values=True)
    all_headers = {
        "Host": "abc123.execute-api.eu-west-1.amazonaws.com",
        "X-Forwarded-Proto": "https",
        "User-Agent": "pytest",
        **(headers or {}),
    }
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in parsed.items()} or None,
        "multiValueQueryStringParameters": parsed or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "httpMethod": method,
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "pytest"},
            "path": f"/{stage}{path}",
            "protocol": "HTTP/1.1",
            "requestId": f"v1-{uuid.uuid4().hex[:12]}",
            "requestTime": "01/Jan/2016:05:00:00 +0000",
            "requestTimeEpoch": 1451624400000,
            "resourceId": "abcdef",
            "resourcePath": "/{proxy+}",
            "stage": stage,
        },
        "body": None,
        "isBase64Encoded": False,
    }


EVENT_BUILDERS = {"v1": v1_event, "v2": v2_event}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: str

    def json(self) -> Any:
        return orjson.loads(self.body)


def invoke(event: dict[str, Any]) -> Answer:
    """Call the Lambda handler and normalise its v1 or v2 response."""
    from lambda_api.handler import handler

    result = handler(event, None)
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = ",".join(values)
    assert result.get("isBase64Encoded") is False
    return Answer(result["statusCode"], headers, result["body"])


def call(
    version: str, path: str, query: str | dict = "", headers: dict[str, str] | None = None, method: str = "GET"
) -> Answer:
    """Build a `version` ('v1'/'v2') event for GET `path`?`query` and invoke the handler."""
    if isinstance(query, dict):
        query = urlencode(query, doseq=True)
    return invoke(EVENT_BUILDERS[version](path, query, headers, method))
