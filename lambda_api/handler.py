"""The Lambda entry point: `lambda_api.handler.handler(event, context)` for API Gateway v1 and v2 events.

Powertools resolves routes, validates the declared parameters, applies CORS and generates the OpenAPI
document; everything that can go wrong ends in a JSON error body with the request id, never a trace:
400 (a parameter, named), 403 (API key), 404/405 (route), 503 (database), 500 (a bug; logged).
"""

from __future__ import annotations

import hmac
import logging
import re
import uuid
from typing import Any

import orjson
from aws_lambda_powertools.event_handler import (
    APIGatewayHttpResolver,
    APIGatewayRestResolver,
    CORSConfig,
    Response,
)
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from lambda_api import gateway, responses, routes, runtime, schemas
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

    Powertools stores the current event in a class attribute shared by every resolver of the process, so two
    threads resolving at once (the local server, the exports' in-process client) could run one thread's
    route with the other's parameters. Each environment (thread) has its own resolvers here, and these
    properties shadow the class attributes, as Powertools' own `HttpResolver` does. Only `resolve` is
    supported (docs/DESIGN_NOTES.md).
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
    version = gateway.payload_version(event)
    request_id = gateway.request_id_of(event) if isinstance(event, dict) else str(uuid.uuid4())
    if version is None:
        result = _fallback("2.0", 400, "bad_event", "not an API Gateway proxy event", request_id)
        return gateway.with_request_id(result, "2.0", request_id)
    if version == "2.0" and event.get("rawQueryString") and not event.get("queryStringParameters"):
        event = {**event, "queryStringParameters": gateway.v2_query_parameters(event["rawQueryString"])}
    if version == "1.0":
        event = gateway.split_v1_devices(event)
    env = runtime.current()
    build_request = gateway.request_v2 if version == "2.0" else gateway.request_v1
    try:
        env.request = build_request(event, request_id, env.config)
        head = env.request.method == "HEAD"
        if head:
            env.request.method = "GET"
            event = gateway.as_get(event, version)
        result = _resolvers(env)[version].resolve(event, context)
        if head:
            result = gateway.without_body(result, version)
    except Exception:
        logger.exception("request %s failed outside the routes", request_id)
        result = _fallback(version, 500, "internal", "internal error", request_id)
    finally:
        env.request = None
    return gateway.with_request_id(result, version, request_id)
