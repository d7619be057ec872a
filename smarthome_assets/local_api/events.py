"""HTTP request -> API Gateway proxy event (payload 2.0 or 1.0), and Lambda result -> HTTP response.

The events follow the formats API Gateway documents: v2 keeps the raw query string, joins repeated query
values and headers with commas and moves cookies to their own list; v1 has single- and multi-value maps
for both. X-Forwarded-Proto/-For are set as API Gateway sets them, from the connection, not the client.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

PAYLOAD_VERSIONS = ("2.0", "1.0")
LOCAL_API_ID = "local"


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request as the server read it."""

    method: str
    target: str  # path and query as sent, e.g. /energy?start=2016-01-01
    headers: list[tuple[str, str]]  # in order, repeats kept
    client_ip: str
    body: bytes = b""
    scheme: str = "http"
    #: The server's own host:port: the event's `domainName`, as API Gateway puts its own domain there
    #: (never the client's Host header, which the client chooses).
    server: str = "localhost"


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def _request_time(now: float) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now))


def _body(request: HttpRequest) -> tuple[str | None, bool]:
    if not request.body:
        return None, False
    try:
        return request.body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(request.body).decode(), True


def _forwarded(request: HttpRequest) -> list[tuple[str, str]]:
    """The client's headers minus any forged X-Forwarded-*, plus the ones API Gateway adds."""
    kept = [(k, v) for k, v in request.headers if not k.lower().startswith("x-forwarded-")]
    return [*kept, ("X-Forwarded-For", request.client_ip), ("X-Forwarded-Proto", request.scheme)]


def to_v2_event(request: HttpRequest) -> dict[str, Any]:
    """An HTTP API (payload format 2.0) event for a `$default` route and stage."""
    now = time.time()
    parts = urlsplit(request.target)
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in _forwarded(request):
        if name.lower() == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    body, is_base64 = _body(request)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": parts.path or "/",
        "rawQueryString": parts.query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": LOCAL_API_ID,
            "domainName": request.server,
            "domainPrefix": request.server.split(".")[0],
            "http": {
                "method": request.method,
                "path": parts.path or "/",
                "protocol": "HTTP/1.1",
                "sourceIp": request.client_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": _request_time(now),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": is_base64,
    }
    if cookies:
        event["cookies"] = cookies
    if parts.query:
        query = parse_qs(parts.query, keep_blank_values=True)
        event["queryStringParameters"] = {k: ",".join(v) for k, v in query.items()}
    if body is not None:
        event["body"] = body
    return event


def to_v1_event(request: HttpRequest) -> dict[str, Any]:
    """A REST API (payload format 1.0) proxy event for a `/{proxy+}` resource, as if on a custom domain."""
    now = time.time()
    parts = urlsplit(request.target)
    path = unquote(parts.path or "/")
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in _forwarded(request):
        single[name] = value
        multi.setdefault(name, []).append(value)
    query = parse_qs(parts.query, keep_blank_values=True)
    body, is_base64 = _body(request)
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": request.method,
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": LOCAL_API_ID,
            "domainName": request.server,
            "domainPrefix": request.server.split(".")[0],
            "httpMethod": request.method,
            "identity": {"sourceIp": request.client_ip, "userAgent": single.get("User-Agent", "")},
            "path": path,
            "protocol": "HTTP/1.1",
            "requestId": str(uuid.uuid4()),
            "requestTime": _request_time(now),
            "requestTimeEpoch": int(now * 1000),
            "resourceId": LOCAL_API_ID,
            "resourcePath": "/{proxy+}",
            "stage": "local",
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def to_event(request: HttpRequest, payload_version: str = "2.0") -> dict[str, Any]:
    if payload_version not in PAYLOAD_VERSIONS:
        raise ValueError(f"payload_version must be one of {PAYLOAD_VERSIONS}")
    return to_v2_event(request) if payload_version == "2.0" else to_v1_event(request)


def _header_pairs(result: dict[str, Any]) -> Iterable[tuple[str, str]]:
    multi = result.get("multiValueHeaders") or {}
    for name, values in multi.items():
        for value in values:
            yield name, str(value)
    for name, value in (result.get("headers") or {}).items():
        if name not in multi:
            yield name, str(value)
    for cookie in result.get("cookies") or []:
        yield "Set-Cookie", cookie


def from_result(result: dict[str, Any]) -> HttpResponse:
    """A Lambda proxy result (either format) as an HTTP response."""
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
    return HttpResponse(int(result.get("statusCode", 200)), list(_header_pairs(result)), data)
