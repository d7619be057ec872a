"""The Lambda entry point: `lambda_api.handler.handler(event, context)` for API Gateway v1 and v2 events.

Powertools resolves routes, validates the declared parameters, applies CORS and generates the OpenAPI
document; everything that can go wrong ends in a JSON error body with the request id, never a trace:
400 (a parameter, named), 403 (API key), 404/405 (route), 503 (database), 500 (a bug; logged).
"""

from __future__ import annotations

import base64
import hmac
import logging
import re
import uuid
from typing import Any
from urllib.parse import parse_qsl

import orjson
from aws_lambda_powertools.event_handler import (
    APIGatewayHttpResolver,
    APIGatewayRestResolver,
    CORSConfig,
    Response,
)
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from lambda_api import responses, routes, runtime, schemas
from lambda_api.columns import DEVICE_COLUMNS
from lambda_api.config import ApiConfig
from lambda_api.db import DatabaseUnavailable
from lambda_api.params import BadParameter

logger = logging.getLogger(__name__)

API_TITLE = "smarthome API"
API_VERSION = "1.0.0"
#: Paths the API serves (for telling 405 from 404).
_KNOWN_PATHS = re.compile(r"/(health|homes|homes/[^/]+/devices|weather|energy|energy/summary|openapi\.json)")
_openapi_cache: dict[int, str] = {}


def configure(config: ApiConfig) -> None:
    """Use this configuration instead of the environment's (the local server, tests)."""
    runtime.configure(config)


# --- the request, as the routes see it ---------------------------------------------------------------


def _request_v2(event: dict[str, Any], request_id: str, config: ApiConfig) -> runtime.Request:
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
        base_url=_base_url(config, headers, context, raw_path, route_path),
    )


def _request_v1(event: dict[str, Any], request_id: str, config: ApiConfig) -> runtime.Request:
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
        base_url=_base_url(config, headers, context, context.get("path") or path, path),
    )


def _base_url(config: ApiConfig, headers: dict[str, str], context: dict[str, Any], path: str, route: str) -> str:
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


def _request_id(event: dict[str, Any]) -> str:
    context = event.get("requestContext") or {}
    return str(context.get("requestId") or uuid.uuid4())


# --- resolvers ---------------------------------------------------------------------------------------


def _current_request_id() -> str:
    request = runtime.current().request
    return request.request_id if request else "unknown"


def _on_bad_parameter(exc: BadParameter) -> Response:
    return responses.error(400, "bad_parameter", exc.message, _current_request_id(), exc.parameter)


def _validation_message(error: dict[str, Any]) -> str:
    name = error["loc"][1] if len(error["loc"]) > 1 else ""
    if isinstance(error.get("input"), list) and error.get("type", "").endswith("_type"):
        return "given more than once; this parameter takes one value"
    if name == "device" and error.get("type") == "literal_error":
        return f"unknown device; known: {', '.join(DEVICE_COLUMNS)}"
    if error.get("type") == "missing":
        return "required"
    return str(error.get("msg", "invalid value"))


def _on_validation_error(exc: RequestValidationError) -> Response:
    errors = exc.errors()
    first = errors[0] if errors else {"loc": ("query", ""), "msg": "invalid request"}
    parameter = str(first["loc"][1]) if len(first["loc"]) > 1 else None
    return responses.error(400, "bad_parameter", _validation_message(first), _current_request_id(), parameter)


def _on_home_not_found(exc: routes.HomeNotFound) -> Response:
    return responses.error(404, "not_found", f"no home with house_id {exc.args[0]}", _current_request_id(), "house_id")


def _on_not_found(exc: NotFoundError) -> Response:
    request = runtime.current().request
    path = request.path if request else "?"
    if _KNOWN_PATHS.fullmatch(path):
        return responses.error(
            405,
            "method_not_allowed",
            "only GET and HEAD are served here",
            _current_request_id(),
            headers={"Allow": "GET, HEAD"},
        )
    return responses.error(
        404, "not_found", "no such route; the routes are listed at /openapi.json", _current_request_id()
    )


def _on_database_unavailable(exc: DatabaseUnavailable) -> Response:
    logger.warning("database unavailable (request %s): %s", _current_request_id(), exc)
    return responses.error(
        503,
        "unavailable",
        "the database is unavailable; retry later",
        _current_request_id(),
        headers={"Retry-After": "1"},
    )


def _on_over_budget(exc: routes.OverBudget) -> Response:
    return responses.error(
        429,
        "too_many_requests",
        "too many summaries are running; retry after the number of seconds in Retry-After",
        _current_request_id(),
        headers={"Retry-After": "1"},
    )


def _on_unexpected(exc: Exception) -> Response:
    logger.exception("unhandled error (request %s)", _current_request_id())
    return responses.error(500, "internal", "internal error", _current_request_id())


def _require_api_key(app: Any, next_middleware: Any) -> Response:
    """Like an API Gateway usage plan key: every route but /health needs `x-api-key` when one is set."""
    env = runtime.current()
    expected = env.config.api_key
    if expected and env.request is not None and env.request.path != "/health":
        given = env.request.header("x-api-key") or ""
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return responses.error(403, "forbidden", "missing or invalid x-api-key", env.request.request_id)
    return next_middleware(app)


def _cors(config: ApiConfig) -> CORSConfig | None:
    if not config.cors_origins:
        return None
    first, *extra = config.cors_origins
    return CORSConfig(
        allow_origin=first,
        extra_origins=extra or None,
        allow_headers=["x-api-key"],
        expose_headers=["Link", "X-Next-Cursor", "X-Request-Id"],
        max_age=600,
    )


def openapi_document(app: Any, config: ApiConfig) -> dict[str, Any]:
    """The OpenAPI document of a resolver's routes, adapted to what the API answers (schemas.py)."""
    generated = app.get_openapi_json_schema(
        title=API_TITLE,
        version=API_VERSION,
        description="Weather and device usage of HomeC smart homes, by timeframe. See docs/API.md.",
    )
    return schemas.finish_document(orjson.loads(generated), api_key=bool(config.api_key))


def _openapi(app: Any) -> Response[str]:
    """/openapi.json: generated once per configuration from the routes themselves."""
    env = runtime.current()
    document = _openapi_cache.get(env.generation)
    if document is None:
        document = responses.dumps(openapi_document(app, env.config))
        _openapi_cache[env.generation] = document
    return Response(200, responses.JSON, document)


class _OwnEvent:
    """Keeps the event being resolved on the resolver itself, not on Powertools' `BaseRouter` class.

    `ApiGatewayResolver.resolve` stores the event in a class attribute (`BaseRouter.current_event = ...`,
    likewise `lambda_context`), so that `Router`s included in an app can find it: one slot shared by every
    resolver of the process. Everything after that reads `self.current_event`: the route match, the
    validation middleware that turns the query string into the route's arguments, the response builder.
    When two threads resolve at once (the local server, the exports' in-process client), one thread's
    route then runs with the other's parameters; the first call of a route widens the window, since
    validation builds the route's parameter models (`Route.dependant`) between the write and the read.

    Each environment (thread) has its own resolvers, so the resolver's own attribute is enough. This is how
    Powertools' own `HttpResolver` (ASGI) does it: properties shadowing the class attributes. Only `resolve`
    is supported (`resolve_async` would find no event and raise).
    """

    _event: Any = None
    _lambda_context: Any = None

    @property
    def current_event(self) -> Any:
        if self._event is None:
            raise RuntimeError("no event is being resolved")
        return self._event

    @current_event.setter
    def current_event(self, value: Any) -> None:
        self._event = value

    @property
    def lambda_context(self) -> Any:
        return self._lambda_context

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._lambda_context = value

    def resolve(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self._event, self._lambda_context = self._to_proxy_event(event), context  # type: ignore[attr-defined]
        try:
            # Also writes BaseRouter.current_event, which nothing reads here.
            return super().resolve(event, context)  # type: ignore[misc]
        finally:
            self._event = self._lambda_context = None


class RestResolver(_OwnEvent, APIGatewayRestResolver):
    """REST API (payload 1.0) events, with the event kept per resolver."""


class HttpResolver(_OwnEvent, APIGatewayHttpResolver):
    """HTTP API (payload 2.0) events, with the event kept per resolver."""


#: The thread-safe resolver to build for each Powertools one.
_OWN_EVENT_RESOLVERS: dict[type, type] = {APIGatewayRestResolver: RestResolver, APIGatewayHttpResolver: HttpResolver}


def build_resolver(cls: type, config: ApiConfig) -> Any:
    """A resolver of one payload format with every route, error handler and the API key check.

    `cls` is the Powertools resolver class of the format; its `_OwnEvent` version is built instead."""
    app = _OWN_EVENT_RESOLVERS.get(cls, cls)(enable_validation=True, cors=_cors(config), serializer=responses.dumps)
    routes.register(app)
    app.get("/openapi.json", include_in_schema=False)(lambda: _openapi(app))
    app.exception_handler(BadParameter)(_on_bad_parameter)
    app.exception_handler(RequestValidationError)(_on_validation_error)
    app.exception_handler(routes.HomeNotFound)(_on_home_not_found)
    app.exception_handler(DatabaseUnavailable)(_on_database_unavailable)
    app.exception_handler(routes.OverBudget)(_on_over_budget)
    app.exception_handler(Exception)(_on_unexpected)
    app.not_found(_on_not_found)
    app.use([_require_api_key])
    return app


def _resolvers(env: runtime.Environment) -> dict[str, Any]:
    if env.resolvers is None:
        env.resolvers = {
            "1.0": build_resolver(RestResolver, env.config),
            "2.0": build_resolver(HttpResolver, env.config),
        }
    return env.resolvers


# --- the entry point ---------------------------------------------------------------------------------


def payload_version(event: Any) -> str | None:
    """'2.0' for HTTP API events, '1.0' for REST API (and HTTP API v1-format) events, else None."""
    if not isinstance(event, dict):
        return None
    if event.get("version") == "2.0":
        return "2.0"
    return "1.0" if "httpMethod" in event else None


def _v2_query_parameters(raw_query: str) -> dict[str, str]:
    """What API Gateway puts in queryStringParameters (repeats comma-joined), for hand-made events
    that only carry rawQueryString: Powertools reads parameters from the former."""
    joined: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return joined


def _split_v1_devices(event: dict[str, Any]) -> dict[str, Any]:
    """REST API events keep `device=a,b` as one value; HTTP API events (and Powertools' reading of them)
    split it. Split it here too, so both payload formats accept the documented comma form."""
    multi = event.get("multiValueQueryStringParameters") or {}
    values = multi.get("device")
    if not values or not any("," in v for v in values):
        return event
    split = [name for value in values for name in value.split(",")]
    single = {**(event.get("queryStringParameters") or {}), "device": split[-1]}
    return {**event, "multiValueQueryStringParameters": {**multi, "device": split}, "queryStringParameters": single}


def _as_get(event: dict[str, Any], version: str) -> dict[str, Any]:
    """A HEAD event turned into the GET it mirrors (the routes are declared for GET only)."""
    context = dict(event.get("requestContext") or {})
    if version == "2.0":
        context["http"] = {**(context.get("http") or {}), "method": "GET"}
        return {**event, "requestContext": context}
    context["httpMethod"] = "GET"
    return {**event, "httpMethod": "GET", "requestContext": context}


def _without_body(result: dict[str, Any], version: str) -> dict[str, Any]:
    """HEAD: the GET's status and headers, its length in Content-Length, and no body."""
    body = result.get("body") or ""
    length = len(base64.b64decode(body)) if result.get("isBase64Encoded") else len(str(body).encode())
    if version == "1.0":
        result.setdefault("multiValueHeaders", {})["Content-Length"] = [str(length)]
    else:
        result.setdefault("headers", {})["Content-Length"] = str(length)
    return {**result, "body": "", "isBase64Encoded": False}


def _with_request_id(result: dict[str, Any], version: str, request_id: str) -> dict[str, Any]:
    if version == "1.0":
        result.setdefault("multiValueHeaders", {})["X-Request-Id"] = [request_id]
        result.get("headers", {}).pop("X-Request-Id", None)
    else:
        result.setdefault("headers", {})["X-Request-Id"] = request_id
    return result


def _fallback(version: str, status: int, code: str, message: str, request_id: str) -> dict[str, Any]:
    """A response built without Powertools, for events it cannot take and for its own failures."""
    body = responses.dumps({"error": {"status": status, "code": code, "message": message}, "request_id": request_id})
    result: dict[str, Any] = {"statusCode": status, "body": body, "isBase64Encoded": False}
    if version == "1.0":
        result["multiValueHeaders"] = {"Content-Type": [responses.JSON]}
    else:
        result["headers"] = {"Content-Type": responses.JSON}
    return result


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """API Gateway proxy integration: an event in, a response dict out (same format as the event)."""
    version = payload_version(event)
    request_id = _request_id(event) if isinstance(event, dict) else str(uuid.uuid4())
    if version is None:
        result = _fallback("2.0", 400, "bad_event", "not an API Gateway proxy event", request_id)
        return _with_request_id(result, "2.0", request_id)
    if version == "2.0" and event.get("rawQueryString") and not event.get("queryStringParameters"):
        event = {**event, "queryStringParameters": _v2_query_parameters(event["rawQueryString"])}
    if version == "1.0":
        event = _split_v1_devices(event)
    env = runtime.current()
    build_request = _request_v2 if version == "2.0" else _request_v1
    try:
        env.request = build_request(event, request_id, env.config)
        head = env.request.method == "HEAD"
        if head:
            env.request.method = "GET"
            event = _as_get(event, version)
        result = _resolvers(env)[version].resolve(event, context)
        if head:
            result = _without_body(result, version)
    except Exception:
        logger.exception("request %s failed outside the routes", request_id)
        result = _fallback(version, 500, "internal", "internal error", request_id)
    finally:
        env.request = None
    return _with_request_id(result, version, request_id)
