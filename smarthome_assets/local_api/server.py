"""An HTTP server on localhost that hands every API request to the Lambda handler.

Each request becomes an API Gateway event (payload 2.0, or 1.0) for the real handler; a fixed pool of
worker threads, each with its warm environment, behaves like warm Lambda environments. One asyncio loop
owns the sockets and hands only complete requests to the pool, so slow or idle clients cannot hold
workers (docs/DESIGN_NOTES.md). Like API Gateway it answers what it refuses itself (414, 431, 408, 400)
in the API's JSON error format, and serves static pages (the dashboard) behind the same API key."""

from __future__ import annotations

import asyncio
import base64
import hmac
import logging
import mimetypes
import socket
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from http import HTTPStatus
from pathlib import Path

import orjson

from smarthome_assets.local_api import lambda_handler
from smarthome_assets.local_api.events import HttpRequest, HttpResponse, from_result, to_event

logger = logging.getLogger(__name__)

#: Lambda's default timeout in the template; the context reports time left against it.
FUNCTION_TIMEOUT_MS = 10_000
#: The limits `http.server` applies (a line of 64 KiB, 100 headers); API Gateway's are lower.
MAX_LINE = 65_536
MAX_HEADERS = 100
#: The API reads no request bodies; a small one is passed on, a large one refused (413).
MAX_BODY = 1_048_576
JSON = "application/json"
#: How long a response may take to leave (a client that stops reading holds only its coroutine).
WRITE_TIMEOUT_S = 30


class LocalLambdaContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    function_name = "smarthome-api-local"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:local:000000000000:function:smarthome-api-local"
    memory_limit_in_mb = 512
    log_group_name = "/aws/lambda/smarthome-api-local"
    log_stream_name = "local"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + FUNCTION_TIMEOUT_MS / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class Refused(Exception):
    """The server answers this request itself (a status and a message), then closes the connection."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str, headers: list[tuple[str, str]] | None = None) -> HttpResponse:
    """The API's documented error body (docs/API.md), for answers that never reach the handler."""
    request_id = str(uuid.uuid4())
    body = orjson.dumps({"error": {"status": status, "code": code, "message": message}, "request_id": request_id})
    return HttpResponse(status, [("Content-Type", JSON), ("X-Request-Id", request_id), *(headers or [])], body)


def _authorized(headers: list[tuple[str, str]]) -> bool:
    """With an API key configured, a static page needs it: in `x-api-key`, or as the password of HTTP
    Basic authentication, which a browser asks for by itself (it cannot add `x-api-key` to a page load)."""
    expected = lambda_handler.current_api_key()
    if not expected:
        return True
    given = [v for k, v in headers if k.lower() == "x-api-key"]
    for name, value in headers:
        scheme, _, token = value.partition(" ")
        if name.lower() == "authorization" and scheme.lower() == "basic":
            try:
                given.append(base64.b64decode(token.strip(), validate=True).decode().partition(":")[2])
            except (ValueError, UnicodeDecodeError):
                continue
    return any(hmac.compare_digest(g.encode(), expected.encode()) for g in given)


class LocalApiServer:
    """The API on a loopback port: asyncio for the sockets, a fixed thread pool for the handler."""

    def __init__(
        self,
        address: tuple[str, int],
        payload_version: str = "2.0",
        static_pages: Mapping[str, Path] | None = None,
        workers: int = 32,
        access_log: bool = False,
        header_timeout: float = 10.0,
        keep_alive_timeout: float = 5.0,
        max_connections: int = 1024,
    ):
        self.payload_version = payload_version
        self.static_pages = dict(static_pages or {})
        self.access_log = access_log
        self.header_timeout = header_timeout
        self.keep_alive_timeout = keep_alive_timeout
        self.max_connections = max_connections
        self._socket = socket.create_server(address, backlog=1024, reuse_port=False)
        self.server_address = self._socket.getsockname()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lambda-env")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stopped = threading.Event()
        self._connections = 0

    @property
    def authority(self) -> str:
        """host:port as a URL writes it (an IPv6 address in brackets)."""
        host, port = self.server_address[:2]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    @property
    def url(self) -> str:
        return f"http://{self.authority}"

    # --- lifecycle (the socketserver names, so callers did not change) ----------------------------------

    def serve_forever(self) -> None:
        """Serve until `shutdown()` (from another thread) or Ctrl-C."""
        self._stopped.clear()
        try:
            asyncio.run(self._main())
        finally:
            self._stopped.set()

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        server = await asyncio.start_server(self._connection, sock=self._socket, limit=MAX_LINE + 2)
        async with server:
            await self._stop.wait()

    def shutdown(self) -> None:
        """Stop serving and wait until `serve_forever` has returned."""
        if self._loop is not None and self._stop is not None and not self._stopped.is_set():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._stopped.wait(10)

    def server_close(self) -> None:
        self._socket.close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # --- one connection ---------------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client = (writer.get_extra_info("peername") or ("127.0.0.1", 0))[0]
        self._connections += 1
        try:
            if self._connections > self.max_connections:
                await self._write(writer, "GET", error_response(503, "busy", "too many connections; retry"), False)
                return
            keep_alive = True
            while keep_alive:
                try:  # an idle keep-alive connection waits here without a worker
                    async with asyncio.timeout(self.keep_alive_timeout):
                        first = await reader.read(1)
                except TimeoutError:
                    return
                if not first:
                    return
                try:
                    async with asyncio.timeout(self.header_timeout):
                        request, keep_alive = await self._read_request(first, reader, client)
                except (Refused, TimeoutError) as exc:
                    refused = exc if isinstance(exc, Refused) else Refused(408, "timeout", "request head too slow")
                    response = error_response(refused.status, refused.code, refused.message)
                    await self._write(writer, "GET", response, False)
                    await self._discard(reader, writer)
                    return
                loop = asyncio.get_running_loop()
                response = await loop.run_in_executor(self._pool, self._answer, request)
                async with asyncio.timeout(WRITE_TIMEOUT_S):  # a client that never reads is dropped
                    await self._write(writer, request.method, response, keep_alive)
                self._log(client, request, response.status)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            return
        finally:
            self._connections -= 1
            writer.close()

    async def _read_request(self, first: bytes, reader: asyncio.StreamReader, client: str) -> tuple[HttpRequest, bool]:
        """Read one request head (and a small body); refuse what http.server refused, as JSON."""
        try:
            line = first + await reader.readuntil(b"\n")
        except asyncio.LimitOverrunError:
            raise Refused(414, "uri_too_long", f"request line longer than {MAX_LINE} bytes") from None
        parts = line.decode("latin-1").rstrip("\r\n").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[1].startswith("/"):
            raise Refused(400, "bad_request", "malformed request line")
        method, target, version = parts
        headers: list[tuple[str, str]] = []
        while True:
            try:
                raw = await reader.readuntil(b"\n")
            except asyncio.LimitOverrunError:
                raise Refused(431, "headers_too_large", f"a header line longer than {MAX_LINE} bytes") from None
            if raw in (b"\r\n", b"\n"):
                break
            if len(headers) >= MAX_HEADERS:
                raise Refused(431, "headers_too_large", f"more than {MAX_HEADERS} headers")
            name, sep, value = raw.decode("latin-1").partition(":")
            if not sep or not name or name != name.strip():
                raise Refused(400, "bad_request", "malformed header line")
            headers.append((name, value.strip()))
        lower = {k.lower(): v for k, v in headers}
        if "transfer-encoding" in lower:
            raise Refused(501, "not_implemented", "chunked request bodies are not accepted")
        try:
            length = int(lower.get("content-length") or 0)
        except ValueError:
            raise Refused(400, "bad_request", "malformed Content-Length") from None
        if length > MAX_BODY or length < 0:
            raise Refused(413, "too_large", f"request bodies are limited to {MAX_BODY} bytes")
        body = await reader.readexactly(length) if length else b""
        connection = lower.get("connection", "").lower()
        keep_alive = "close" not in connection and (version != "HTTP/1.0" or "keep-alive" in connection)
        request = HttpRequest(
            method=method, target=target, headers=headers, client_ip=client, body=body, server=self.authority
        )
        return request, keep_alive

    @staticmethod
    async def _discard(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """After a refusal: read (a bounded amount of) what the client still sends, briefly, so that
        closing with unread data does not reset the connection before the client reads the answer."""
        try:
            if writer.can_write_eof():
                writer.write_eof()
            async with asyncio.timeout(1.0):
                for _ in range(64):
                    if not await reader.read(65_536):
                        break
        except (TimeoutError, ConnectionError, asyncio.LimitOverrunError):
            pass

    def _answer(self, request: HttpRequest) -> HttpResponse:
        """On a worker thread: a static page, or the Lambda handler with an API Gateway event."""
        try:
            page = self.static_pages.get(request.target.split("?", 1)[0])
            if page is not None and request.method in ("GET", "HEAD"):
                if not _authorized(request.headers):
                    challenge = [("WWW-Authenticate", 'Basic realm="smarthome", charset="UTF-8"')]
                    return error_response(401, "unauthorized", "this page needs the API key", challenge)
                return self._static(page)
            event = to_event(request, self.payload_version)
            return from_result(lambda_handler.invoke(event, LocalLambdaContext()))
        except Exception:
            logger.exception("local server failed on %s %s", request.method, request.target[:200])
            return error_response(500, "internal", "internal error")

    @staticmethod
    def _static(page: Path) -> HttpResponse:
        try:
            data = page.read_bytes()
        except OSError:
            return error_response(404, "not_found", "this page has not been rendered yet")
        kind = mimetypes.guess_type(page.name)[0] or "application/octet-stream"
        return HttpResponse(200, [("Content-Type", kind)], data)

    @staticmethod
    async def _write(writer: asyncio.StreamWriter, method: str, response: HttpResponse, keep_alive: bool) -> None:
        """Status line, headers (Content-Length ours, or the handler's for HEAD), body unless HEAD."""
        status = HTTPStatus(response.status) if response.status in HTTPStatus._value2member_map_ else None
        lines = [f"HTTP/1.1 {response.status} {status.phrase if status else ''}".rstrip()]
        length = str(len(response.body))
        for name, value in response.headers:
            if name.lower() == "content-length":
                length = value if method == "HEAD" else length
            elif name.lower() not in ("connection", "transfer-encoding", "date", "server"):
                lines.append(f"{name}: {value}")
        lines += [
            f"Content-Length: {length}",
            f"Date: {formatdate(usegmt=True)}",
            "Server: smarthome-local-api",
            f"Connection: {'keep-alive' if keep_alive else 'close'}",
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if method != "HEAD":
            writer.write(response.body)
        await writer.drain()

    def _log(self, client: str, request: HttpRequest, status: int) -> None:
        if self.access_log:
            stamp = time.strftime("%d/%b/%Y %H:%M:%S")
            print(f'{client} - - [{stamp}] "{request.method} {request.target[:200]}" {status}', file=sys.stderr)


def start_in_thread(server: LocalApiServer) -> threading.Thread:
    """Serve in a daemon thread (tests, the ECS harness); stop with server.shutdown(); server.server_close()."""
    thread = threading.Thread(target=server.serve_forever, name="local-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while server._loop is None and time.monotonic() < deadline:  # accepting once the loop runs
        time.sleep(0.005)
    return thread
