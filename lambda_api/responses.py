"""Response bodies: JSON pages (rows already JSON from PostgreSQL), CSV pages and error bodies.

Every body here is text: Powertools would base64-encode bytes, which API Gateway then has to decode.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson
from aws_lambda_powertools.event_handler import Response

from lambda_api.runtime import Request

JSON = "application/json"
CSV = "text/csv; charset=utf-8"


def dumps(value: Any) -> str:
    """The serializer for dict bodies (orjson: an order of magnitude faster than json.dumps)."""
    return orjson.dumps(value).decode()


def _next_headers(request: Request, cursor: str | None) -> dict[str, str]:
    if cursor is None:
        return {}
    return {"Link": f'<{request.url_with(cursor=cursor)}>; rel="next"', "X-Next-Cursor": cursor}


def json_page(request: Request, rows_json: str, count: int, cursor: str | None) -> Response:
    """`{"data": [...], "count": n, "next": url|null, "next_cursor": token|null}` around ready JSON rows."""
    next_url = request.url_with(cursor=cursor) if cursor else None
    tail = dumps({"count": count, "next": next_url, "next_cursor": cursor})
    body = f'{{"data":{rows_json},{tail[1:]}'
    return Response(200, JSON, body, headers=_next_headers(request, cursor))


def json_list(rows_json: str, count: int) -> Response:
    """A small, unpaginated list: same envelope, `next` always null."""
    return Response(200, JSON, f'{{"data":{rows_json},"count":{count},"next":null,"next_cursor":null}}')


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return "" if value is None else value


def csv_page(request: Request, header: Sequence[str], rows: Iterable[Sequence[Any]], cursor: str | None) -> Response:
    """RFC 4180 CSV with a header line; the next page is in the `Link` and `X-Next-Cursor` headers."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_csv_value(v) for v in row] for row in rows)
    return Response(200, CSV, out.getvalue(), headers=_next_headers(request, cursor))


def error(
    status: int,
    code: str,
    message: str,
    request_id: str,
    parameter: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """`{"error": {"status", "code", "message", "parameter"?}, "request_id"}`: never internals."""
    detail: dict[str, Any] = {"status": status, "code": code, "message": message}
    if parameter is not None:
        detail["parameter"] = parameter
    return Response(status, JSON, dumps({"error": detail, "request_id": request_id}), headers=headers or {})
