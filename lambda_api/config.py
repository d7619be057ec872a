"""Lambda configuration: the one module of `lambda_api` that reads the environment.

On AWS the deployment sets the `SMARTHOME_API_*` variables (docs/API.md lists them); the local server builds
an `ApiConfig` itself and hands it to `lambda_api.handler.configure`, so the same handler runs against the
embedded PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

#: Rows per page when `limit` is not given: one day of one home's minutes.
DEFAULT_LIMIT = 1440
#: The hard cap on rows in one response, whatever the request says.
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class ApiConfig:
    """Everything the handler needs to know about its deployment."""

    database_url: str | None = None
    database_secret_arn: str | None = None
    api_key: str | None = None
    cors_origins: tuple[str, ...] = ()
    #: Public base URL for `next` links; None: the gateway's domain from the event.
    base_url: str | None = None
    statement_timeout_ms: int = 5000
    connect_timeout_s: int = 3
    #: The cost bounds of /energy/summary: rows per page, and pages aggregating at once (database-wide).
    summary_max_rows: int = 600_000
    summary_concurrency: int = 4
    #: Summaries reading fewer raw rows than this (about a week of one home) take no slot.
    summary_free_rows: int = 10_080
    application_name: str = "smarthome-api"
    #: Memory for past days' answers (lambda_api/cache.py), shared by the environments of a process; 0 turns the
    #: caching off altogether (no memory, no ETag: every answer `no-store`).
    cache_bytes: int = 64 << 20

    def __post_init__(self) -> None:
        if self.statement_timeout_ms < 1 or self.connect_timeout_s < 1:
            raise ValueError("timeouts must be positive")
        if self.cache_bytes < 0:
            raise ValueError("cache_bytes must not be negative")
        if self.summary_max_rows < 1 or self.summary_concurrency < 0:
            raise ValueError("summary_max_rows must be positive and summary_concurrency not negative")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    return int(raw) if raw else default


def load_config(env: Mapping[str, str] | None = None) -> ApiConfig:
    """Read the Lambda's environment variables (see the module docstring)."""
    env = os.environ if env is None else env
    origins = tuple(o.strip() for o in env.get("SMARTHOME_API_CORS_ORIGINS", "").split(",") if o.strip())
    return ApiConfig(
        database_url=env.get("SMARTHOME_API_DATABASE_URL") or None,
        database_secret_arn=env.get("SMARTHOME_API_DB_SECRET_ARN") or None,
        api_key=env.get("SMARTHOME_API_KEY") or None,
        cors_origins=origins,
        base_url=env.get("SMARTHOME_API_BASE_URL") or None,
        statement_timeout_ms=_int(env, "SMARTHOME_API_STATEMENT_TIMEOUT_MS", 5000),
        connect_timeout_s=_int(env, "SMARTHOME_API_CONNECT_TIMEOUT_S", 3),
        summary_max_rows=_int(env, "SMARTHOME_API_SUMMARY_MAX_ROWS", 600_000),
        summary_concurrency=_int(env, "SMARTHOME_API_SUMMARY_CONCURRENCY", 4),
        summary_free_rows=_int(env, "SMARTHOME_API_SUMMARY_FREE_ROWS", 10_080),
        cache_bytes=_int(env, "SMARTHOME_API_CACHE_BYTES", 64 << 20),
    )
