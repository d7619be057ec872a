"""API Gateway's payloads: the request the routes see, read from REST API (v1) and HTTP API (v2) events,
and the few things the handler adjusts on the way in (v1 device lists, HEAD) and out (request id, HEAD).

Kept apart from the handler, which wires Powertools: this is what differs between the two formats.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any
from urllib.parse import parse_qsl

from lambda_api import runtime
from lambda_api.config import ApiConfig


def request_v2(event: dict[str, Any], request_id: str, config: ApiConfig) -> runtime.Request:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    context = event.get("requestContext") or {}
    raw_path = event.get("rawPath") or "/"
    stage = context.get("stage") or "$default"
    route_path = raw_path
    if stage != "$default" and raw_path.startswith(f"/{stage}"):
        route_path = raw_path[len(stage) + 1 :] or "/"  # a named stage prefixes the path
    if raw := event.get("rawQueryString"):
        query = parse_qsl(raw, keep_blank_values=True)
    else:
        query = list((event.get("queryStringParameters") or {}).items())
    return runtime.Request(
        request_id=request_id,
        method=(context.get("http") or {}).get("method", "GET").upper(),
        path=route_path,
        headers=headers,
        query=query,
        base_url=base_url(config, headers, context, raw_path, route_path),
    )


def request_v1(event: dict[str, Any], request_id: str, config: ApiConfig) -> runtime.Request:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    for name, values in (event.get("multiValueHeaders") or {}).items():
        if values and name.lower() not in headers:
            headers[name.lower()] = values[-1]
    context = event.get("requestContext") or {}
    multi = event.get("multiValueQueryStringParameters") or {}
    single = event.get("queryStringParameters") or {}
    query = [(k, v) for k, values in multi.items() for v in values] or list(single.items())
    path = event.get("path") or "/"
    return runtime.Request(
        request_id=request_id,
        method=str(event.get("httpMethod", "GET")).upper(),
        path=path,
        headers=headers,
        query=query,
        base_url=base_url(config, headers, context, context.get("path") or path, path),
    )


def base_url(config: ApiConfig, headers: dict[str, str], context: dict[str, Any], path: str, route: str) -> str:
    """Where `next` links point: the configured public URL, else the gateway's own domain and stage path.

    Never the Host header: a client (or anything between it and the gateway) chooses that one, and a
    link built from it sends the next request, API key included, wherever the client said. Without
    either, the link is relative to the request (`/energy?...`), which is still correct for a client.
    """
    if config.base_url:
        return config.base_url.rstrip("/") + route
    domain = context.get("domainName")
    if not domain:
        return path
    scheme = headers.get("x-forwarded-proto", "https").split(",")[0].strip() or "https"  # set by the gateway
    return f"{scheme}://{domain}{path}"


def request_id_of(event: dict[str, Any]) -> str:
    context = event.get("requestContext") or {}
    return str(context.get("requestId") or uuid.uuid4())


def payload_version(event: Any) -> str | None:
    """'2.0' for HTTP API events, '1.0' for REST API (and HTTP API v1-format) events, else None."""
    if not isinstance(event, dict):
        return None
    if event.get("version") == "2.0":
        return "2.0"
    return "1.0" if "httpMethod" in event else None


def v2_query_parameters(raw_query: str) -> dict[str, str]:
    """What API Gateway puts in queryStringParameters (repeats comma-joined), for hand-made events
    that only carry rawQueryString: Powertools reads parameters from the former."""
    joined: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return joined


def split_v1_devices(event: dict[str, Any]) -> dict[str, Any]:
    """REST API events keep `device=a,b` as one value; HTTP API events (and Powertools' reading of them)
    split it. Split it here too, so both payload formats accept the documented comma form."""
    multi = event.get("multiValueQueryStringParameters") or {}
    values = multi.get("device")
    if not values or not any("," in v for v in values):
        return event
    split = [name for value in values for name in value.split(",")]
    single = {**(event.get("queryStringParameters") or {}), "device": split[-1]}
    return {**event, "multiValueQueryStringParameters": {**multi, "device": split}, "queryStringParameters": single}


def as_get(event: dict[str, Any], version: str) -> dict[str, Any]:
    """A HEAD event turned into the GET it mirrors (the routes are declared for GET only)."""
    context = dict(event.get("requestContext") or {})
    if version == "2.0":
        context["http"] = {**(context.get("http") or {}), "method": "GET"}
        return {**event, "requestContext": context}
    context["httpMethod"] = "GET"
    return {**event, "httpMethod": "GET", "requestContext": context}


def without_body(result: dict[str, Any], version: str) -> dict[str, Any]:
    """HEAD: the GET's status and headers, its length in Content-Length, and no body."""
    body = result.get("body") or ""
    length = len(base64.b64decode(body)) if result.get("isBase64Encoded") else len(str(body).encode())
    if version == "1.0":
        result.setdefault("multiValueHeaders", {})["Content-Length"] = [str(length)]
    else:
        result.setdefault("headers", {})["Content-Length"] = str(length)
    return {**result, "body": "", "isBase64Encoded": False}


def with_request_id(result: dict[str, Any], version: str, request_id: str) -> dict[str, Any]:
    if version == "1.0":
        result.setdefault("multiValueHeaders", {})["X-Request-Id"] = [request_id]
        result.get("headers", {}).pop("X-Request-Id", None)
    else:
        result.setdefault("headers", {})["X-Request-Id"] = request_id
    return result
