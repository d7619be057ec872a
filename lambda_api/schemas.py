"""OpenAPI response descriptions, derived from the allow-list so the document matches what is served.

Powertools generates the parameters from the route signatures; the response bodies are written by hand
here because the rows are JSON built by PostgreSQL, not Pydantic models.
"""

from __future__ import annotations

from typing import Any

from lambda_api.columns import DEVICE_COLUMNS, Column, Table

SUMMARY = Table(
    "summary",
    (
        Column("house_id", "integer"),
        Column("period_start", "date-time"),
        Column("readings", "integer"),
        *(Column(name, "number") for name in DEVICE_COLUMNS),
    ),
)

#: Tables whose device columns a request can choose with `device=` (so those columns are optional).
_DEVICE_SELECTABLE = {"energy_consuming_device", "summary"}

_HEADERS = {
    "X-Request-Id": {"description": "The API Gateway request id.", "schema": {"type": "string"}},
}
_PAGE_HEADERS = {
    **_HEADERS,
    "Link": {
        "description": 'The next page: `<url>; rel="next"` (absent on the last page).',
        "schema": {"type": "string"},
    },
    "X-Next-Cursor": {"description": "The next page's cursor (absent on the last page).", "schema": {"type": "string"}},
    "Cache-Control": {
        "description": "`public, max-age=0, must-revalidate` when the timeframe ends by today's start (UTC), "
        "`no-store` otherwise.",
        "schema": {"type": "string"},
    },
    "ETag": {
        "description": "For a timeframe of past days: changes whenever a load replaces one of its days.",
        "schema": {"type": "string"},
    },
    "X-Api-Cache": {
        "description": "For a timeframe of past days: `hit` when answered from memory, `miss` otherwise.",
        "schema": {"type": "string", "enum": ["hit", "miss"]},
    },
}
_NOT_MODIFIED = {
    "description": "The `If-None-Match` ETag is current: the page has not changed since (past days only).",
    "headers": {k: v for k, v in _PAGE_HEADERS.items() if k in ("X-Request-Id", "Cache-Control", "ETag")},
}


def _column_schema(column: Column) -> dict[str, Any]:
    schema: dict[str, Any] = (
        {"type": "string", "format": "date-time"} if column.type == "date-time" else {"type": column.type}
    )
    if column.nullable:
        schema["type"] = [schema["type"], "null"]
    return schema


def row_schema(table: Table) -> dict[str, Any]:
    """One row: the allow-listed columns, all present except device columns left out by `device=`."""
    optional = set(DEVICE_COLUMNS) if table.name in _DEVICE_SELECTABLE else set()
    required = [c.name for c in table.columns if c.name not in optional]
    return {
        "type": "object",
        "properties": {c.name: _column_schema(c) for c in table.columns},
        "required": required,
        "additionalProperties": False,
    }


def _envelope(table: Table) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "data": {"type": "array", "items": row_schema(table)},
            "count": {"type": "integer", "minimum": 0},
            "next": {"type": ["string", "null"], "description": "URL of the next page, null on the last."},
            "next_cursor": {"type": ["string", "null"]},
        },
        "required": ["data", "count", "next", "next_cursor"],
        "additionalProperties": False,
    }


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "parameter": {"type": "string", "description": "The offending request parameter."},
            },
            "required": ["status", "code", "message"],
            "additionalProperties": False,
        },
        "request_id": {"type": "string"},
    },
    "required": ["error", "request_id"],
    "additionalProperties": False,
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "headers": _HEADERS, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


def _common_errors(bad_request: bool = True) -> dict[int, dict[str, Any]]:
    errors = {
        403: _error("Missing or wrong `x-api-key` (only when the deployment sets a key)."),
        503: _error("The database is down or too slow; retry later."),
    }
    if bad_request:
        errors[400] = _error("A parameter is malformed or inconsistent; `error.parameter` names it.")
    return errors


def page_responses(table: Table) -> dict[int, dict[str, Any]]:
    return {
        200: {
            "description": "One page of rows in (house_id, time) order.",
            "headers": _PAGE_HEADERS,
            "content": {
                "application/json": {"schema": _envelope(table)},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
        304: _NOT_MODIFIED,
        **_common_errors(),
        **(
            {429: _error("Too many summaries are running at once; retry after `Retry-After` seconds.")}
            if table is SUMMARY
            else {}
        ),
    }


def list_responses(table: Table, not_found: bool = False) -> dict[int, dict[str, Any]]:
    result = {
        200: {
            "description": "All rows.",
            "headers": _HEADERS,
            "content": {
                "application/json": {"schema": _envelope(table)},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
        **_common_errors(bad_request=not_found),
    }
    if not_found:
        result[404] = _error("No such home.")
    return result


def health_responses() -> dict[int, dict[str, Any]]:
    ok = {
        "type": "object",
        "properties": {"status": {"const": "ok"}, "database": {"const": "ok"}},
        "required": ["status", "database"],
    }
    return {
        200: {
            "description": "The API and its database answer.",
            "headers": _HEADERS,
            "content": {"application/json": {"schema": ok}},
        },
        503: _error("The database is down or too slow."),
    }


def finish_document(document: dict[str, Any], api_key: bool) -> dict[str, Any]:
    """Adapt Powertools' generated document to what the API really answers.

    Powertools documents request validation failures as 422; this API answers them as 400 (documented on
    each route), so the 422 entries and their schemas go (response validation is off: rows are built by
    PostgreSQL from the allow-list). The API key scheme is declared when one is set.
    """
    for path in document.get("paths", {}).values():
        for operation in path.values():
            operation.get("responses", {}).pop("422", None)
            operation.get("responses", {}).pop(422, None)
    components = document.get("components", {})
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        components.get("schemas", {}).pop(name, None)
    if "schemas" in components and not components["schemas"]:
        del components["schemas"]
    if api_key:
        document.setdefault("components", {})["securitySchemes"] = {
            "ApiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}
        }
        for route, path in document.get("paths", {}).items():
            if route != "/health":
                for operation in path.values():
                    operation["security"] = [{"ApiKey": []}]
    return document
