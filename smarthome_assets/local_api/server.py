"""A threaded HTTP server on localhost that hands every API request to the Lambda handler.

Each request becomes an API Gateway event (payload 2.0 by default, 1.0 on request) and goes to
`lambda_api.handler.handler`, the function Lambda runs. Worker threads come from a fixed pool and the
handler keeps one warm environment (connection, resolvers) per thread, so the pool behaves like a set of
warm Lambda environments.

Static pages (a dashboard, say) are served from files by exact path before anything reaches the Lambda:
pass `static_pages={"/dashboard": Path("dashboard.html")}`.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

from lambda_api.handler import handler as lambda_handler
from smarthome_assets.local_api.events import HttpRequest, HttpResponse, from_result, to_event

logger = logging.getLogger(__name__)

#: Lambda's default timeout in the template; the context reports time left against it.
FUNCTION_TIMEOUT_MS = 10_000


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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a client keeps its worker (and its warm environment)
    timeout = 5  # an idle keep-alive connection gives its worker back after this many seconds
    server: LocalApiServer

    def _serve(self) -> None:
        page = self.server.static_pages.get(self.path.split("?", 1)[0])
        if page is not None and self.command in ("GET", "HEAD"):
            self._send(self._static(page))
            return
        length = int(self.headers.get("Content-Length") or 0)
        request = HttpRequest(
            method=self.command,
            target=self.path,
            headers=list(self.headers.items()),
            client_ip=self.client_address[0],
            body=self.rfile.read(length) if length else b"",
        )
        event = to_event(request, self.server.payload_version)
        self._send(from_result(lambda_handler(event, LocalLambdaContext())))

    @staticmethod
    def _static(page: Path) -> HttpResponse:
        try:
            data = page.read_bytes()
        except OSError:
            return HttpResponse(404, [("Content-Type", "text/plain")], b"page file missing\n")
        kind = mimetypes.guess_type(page.name)[0] or "application/octet-stream"
        return HttpResponse(200, [("Content-Type", kind)], data)

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def __getattr__(self, name: str) -> Any:
        """Every method (do_GET, do_TRACE, ...) goes to the Lambda, like an API Gateway `ANY` route."""
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.access_log:
            super().log_message(format, *args)


class LocalApiServer(HTTPServer):
    """HTTPServer whose connections run on a fixed pool of worker threads."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        payload_version: str = "2.0",
        static_pages: Mapping[str, Path] | None = None,
        workers: int = 32,
        access_log: bool = False,
    ):
        super().__init__(address, _Handler)
        self.payload_version = payload_version
        self.static_pages = dict(static_pages or {})
        self.access_log = access_log
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lambda-env")

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def process_request(self, request: Any, client_address: Any) -> None:
        self._pool.submit(self._process, request, client_address)

    def _process(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)


def start_in_thread(server: LocalApiServer) -> threading.Thread:
    """Serve in a daemon thread (tests, benchmarks); stop with server.shutdown(); server.server_close()."""
    thread = threading.Thread(target=server.serve_forever, name="local-api", daemon=True)
    thread.start()
    return thread
