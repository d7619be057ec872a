"""The API client: pages of the read API, over HTTP or by invoking its Lambda handler in this process.

With a `base_url` it calls the deployed API over HTTPS, as the original ETL did; without one it hands API
Gateway events to the real handler (local_api/lambda_handler.py), the same code path minus the network.
Pages are JSON of up to 10,000 rows, followed by `next_cursor` (JSON rather than the API's CSV: cheaper for
the handler, docs/DESIGN_NOTES.md). Failures, 429 and 5xx are retried with bounded backoff, other 4xx fail
at once; a session may be shared by threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, urlencode, urlsplit

import orjson

from smarthome_assets.database.connection import PostgresDatabase
from smarthome_assets.local_api import lambda_handler
from smarthome_assets.local_api.events import HttpRequest, from_result, to_v2_event

#: Statuses worth retrying: throttling and server-side or gateway failures.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_PAGE_ROWS = 10_000  # the API's cap on `limit`


class ApiError(RuntimeError):
    """The API did not deliver: a client error, or still failing after every retry."""


class TransportError(OSError):
    """The request did not get an answer (connection refused, reset, timed out): worth retrying."""


@dataclass(frozen=True)
class ApiResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


class Transport(Protocol):
    def get(self, path: str, query: list[tuple[str, str]], headers: dict[str, str]) -> ApiResponse: ...

    def close(self) -> None: ...


class HttpTransport:
    """HTTPS to the deployed API, keep-alive: one connection pool per thread for every page of a run."""

    def __init__(self, base_url: str, timeout_seconds: float):
        import requests

        self._base = base_url.rstrip("/")
        self._timeout = timeout_seconds
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._new_session = requests.Session
        self._errors = (requests.ConnectionError, requests.Timeout)

    def _session(self):
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self._new_session()
            self._sessions.append(session)
        return session

    def get(self, path: str, query: list[tuple[str, str]], headers: dict[str, str]) -> ApiResponse:
        try:
            reply = self._session().get(self._base + path, params=query, headers=headers, timeout=self._timeout)
        except self._errors as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        return ApiResponse(reply.status_code, {k.lower(): v for k, v in reply.headers.items()}, reply.content)

    def close(self) -> None:
        for session in self._sessions:
            session.close()


class LambdaTransport:
    """API Gateway (HTTP API, payload 2.0) events into the Lambda handler, in this process.

    Lambda never runs two invocations in one process; here threads do, each with its own warm
    environment (lambda_api.runtime), so calls need no lock. The writer still refuses any page outside
    its requested day, whatever the cause.
    """

    def __init__(self, database_url: str):
        lambda_handler.configure_reader(database_url, "smarthome-export", cache_bytes=0)  # each day read once

    def get(self, path: str, query: list[tuple[str, str]], headers: dict[str, str]) -> ApiResponse:
        target = f"{path}?{urlencode(query)}" if query else path
        request = HttpRequest("GET", target, [("Host", "localhost"), *headers.items()], "127.0.0.1", scheme="https")
        try:
            result = lambda_handler.invoke(to_v2_event(request))
        except Exception as exc:  # the handler answers errors itself; anything escaping it is a crash
            raise TransportError(f"the Lambda handler raised {type(exc).__name__}: {exc}") from exc
        reply = from_result(result)
        return ApiResponse(reply.status, {k.lower(): v for k, v in reply.headers}, reply.body)

    def close(self) -> None:
        """Nothing to release: the handler keeps its connection warm, as in Lambda."""


@dataclass(frozen=True)
class Page:
    """One page of rows, as the API's JSON objects."""

    rows: list[dict[str, Any]]
    bytes: int


def next_cursor(body: dict[str, Any]) -> str | None:
    """Where the next page starts: `next_cursor`, or the `cursor` of the `next` URL; None on the last page."""
    if body.get("next_cursor"):
        return str(body["next_cursor"])
    if not body.get("next"):
        return None
    values = parse_qs(urlsplit(body["next"]).query).get("cursor")
    if not values:
        raise ApiError(f"the next link has no cursor: {body['next']}")
    return values[0]


def _error_text(response: ApiResponse) -> str:
    """The API's error message (JSON `error.message`), or the start of whatever came back."""
    try:
        return str(orjson.loads(response.body)["error"]["message"])
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return response.body[:200].decode("utf-8", "replace") or "(empty body)"


def _page_body(path: str, response: ApiResponse) -> dict[str, Any]:
    try:
        body = orjson.loads(response.body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(f"GET {path} answered something that is not JSON: {response.body[:80]!r}") from exc
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise ApiError(f"GET {path} answered JSON without a `data` list")
    return body


class ApiSession:
    """One run's use of the API: a transport plus the retry policy."""

    def __init__(
        self,
        transport: Transport,
        *,
        api_key: str,
        max_attempts: int,
        backoff_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._transport = transport
        self._headers = {"Accept": "application/json", **({"x-api-key": api_key} if api_key else {})}
        self._attempts = max(1, max_attempts)
        self._backoff = backoff_seconds
        self._sleep = sleep
        self._lock = threading.Lock()
        self.requests = 0
        self.retries = 0

    def _count(self, retry: bool) -> None:
        with self._lock:
            self.requests += 1
            self.retries += int(retry)

    def get(self, path: str, query: list[tuple[str, str]]) -> ApiResponse:
        """One successful (2xx) response, retrying transient failures; ApiError otherwise."""
        shown = f"GET {path}?{urlencode(query)}"
        problem = ""
        for attempt in range(1, self._attempts + 1):
            if attempt > 1:
                self._sleep(self._backoff * 2 ** (attempt - 2))
            self._count(retry=attempt > 1)
            try:
                response = self._transport.get(path, query, self._headers)
            except TransportError as exc:
                problem = str(exc)
                continue
            if 200 <= response.status < 300:
                return response
            problem = f"HTTP {response.status}: {_error_text(response)}"
            if response.status not in RETRYABLE_STATUSES:
                raise ApiError(f"{shown} failed: {problem}")
        raise ApiError(f"{shown} still failing after {self._attempts} attempts: {problem}")

    def pages(self, path: str, params: dict[str, Any]) -> Iterator[Page]:
        """Every page of a route, in order, following the cursor (unpaginated lists are one page)."""
        query = [(k, str(v)) for k, v in params.items()]
        cursor: str | None = None
        while True:
            response = self.get(path, query + ([("cursor", cursor)] if cursor else []))
            body = _page_body(path, response)
            yield Page(body["data"], len(response.body))
            cursor = next_cursor(body)
            if cursor is None:
                return

    def close(self) -> None:
        self._transport.close()


@dataclass(frozen=True)
class ApiClient:
    """The read API: over HTTP when `base_url` is set, else the Lambda handler in-process on `database`."""

    #: The deployed API's URL (API Gateway stage); empty: in-process.
    base_url: str = ""
    #: Sent as x-api-key when the API requires one.
    api_key: str = field(default="", repr=False)
    #: What the in-process handler reads.
    database: PostgresDatabase | None = None
    page_rows: int = MAX_PAGE_ROWS
    #: Days fetched at once (one request each).
    concurrency: int = 3
    #: Tries per request before the partition fails; the first wait between tries doubles each time.
    max_attempts: int = 5
    backoff_seconds: float = 0.5
    timeout_seconds: float = 60.0

    def __post_init__(self) -> None:
        if not 1 <= self.page_rows <= MAX_PAGE_ROWS or not 1 <= self.concurrency <= 16 or self.max_attempts < 1:
            raise ValueError(f"page_rows must be 1..{MAX_PAGE_ROWS}, concurrency 1..16 and max_attempts at least 1")
        if self.backoff_seconds < 0 or self.timeout_seconds <= 0:
            raise ValueError("backoff_seconds must be >= 0 and timeout_seconds > 0")

    def describe(self) -> str:
        return self.base_url or "the Lambda handler, in-process"

    def open(self, sleep: Callable[[float], None] = time.sleep) -> ApiSession:
        """A session for one run (close it when done)."""
        if self.base_url:
            transport: Transport = HttpTransport(self.base_url, self.timeout_seconds)
        elif self.database is not None:
            transport = LambdaTransport(self.database.url())
        else:
            raise ApiError("the API client needs a base_url (HTTP) or a database (in-process Lambda handler)")
        return ApiSession(
            transport,
            api_key=self.api_key,
            max_attempts=self.max_attempts,
            backoff_seconds=self.backoff_seconds,
            sleep=sleep,
        )
