"""Execution environments: the state a warm Lambda keeps between invocations.

A Lambda execution environment handles one request at a time and keeps its module state (connection,
resolvers) while warm. Here that state lives in an `Environment` per thread: in Lambda there is one
thread, so it is simply "the" environment; the local server runs a pool of threads, which then behave
like a pool of warm environments instead of sharing one connection and one (not thread-safe) resolver.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from lambda_api.cache import ResponseCache
from lambda_api.config import ApiConfig, load_config
from lambda_api.db import Database


@dataclass
class Request:
    """What the routes need to know about the current request, the same for v1 and v2 events."""

    request_id: str
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    query: list[tuple[str, str]]  # in order, repeats kept
    base_url: str  # scheme://host/stage/path as the client called it

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def url_with(self, **replace: str) -> str:
        """This request's URL with some query parameters replaced (used for the `next` link)."""
        kept = [(k, v) for k, v in self.query if k not in replace]
        return f"{self.base_url}?{urlencode(kept + list(replace.items()))}"


@dataclass
class Environment:
    """One warm execution environment: its configuration, its connection, its resolvers."""

    config: ApiConfig
    generation: int
    db: Database = field(init=False)
    resolvers: Any = None  # built by lambda_api.handler on first use
    request: Request | None = None

    def __post_init__(self) -> None:
        self.db = Database(self.config)

    @property
    def cache(self) -> ResponseCache | None:
        """The process's cache of past days' answers for this configuration (None when it has no room)."""
        return _shared_cache(self.generation, self.config.cache_bytes) if self.config.cache_bytes else None


_lock = threading.Lock()
_config: ApiConfig | None = None
_generation = 0
_local = threading.local()
_caches: dict[int, ResponseCache] = {}


def _shared_cache(generation: int, max_bytes: int) -> ResponseCache:
    """One cache per configuration, shared by every environment (thread) of the process: a new configuration
    (another database) starts empty."""
    with _lock:
        cache = _caches.get(generation)
        if cache is None:
            _caches.clear()
            cache = _caches[generation] = ResponseCache(max_bytes)
        return cache


def configure(config: ApiConfig) -> None:
    """Replace the configuration (the local server and tests do; in Lambda it comes from the env)."""
    global _config, _generation
    with _lock:
        _config = config
        _generation += 1


def current() -> Environment:
    """This thread's environment, created on first use and renewed after `configure`.

    Renewed between requests only: a request in flight (another thread configured meanwhile) keeps the
    environment it started in, with its request and its connection, until the handler is done.
    """
    global _config
    env: Environment | None = getattr(_local, "env", None)
    if env is not None and (env.generation == _generation or env.request is not None):
        return env
    with _lock:
        if _config is None:
            _config = load_config()
        config, generation = _config, _generation
    if env is not None:
        env.db.close()
    _local.env = Environment(config, generation)
    return _local.env
