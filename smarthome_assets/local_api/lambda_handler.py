"""The API Lambda as this package calls it: the one module of `smarthome_assets` that imports `lambda_api`.

`lambda_api/` is deployed alone (no Dagster, no pandas), so the dependency only goes one way, and it goes
through here: the local HTTP server, the in-process API client of the exports and `smarthome api` configure
and invoke the real handler with these functions. An import-linter contract in pyproject.toml holds it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from lambda_api import runtime
from lambda_api.config import ApiConfig, load_config
from lambda_api.handler import configure, handler

__all__ = ["ApiConfig", "configure", "configure_reader", "current_api_key", "invoke", "load_config"]


def configure_reader(database_url: str, application_name: str, **changes: Any) -> ApiConfig:
    """Configure the handler of this process for `database_url` (settings not given: the Lambda's defaults)."""
    config = dataclasses.replace(ApiConfig(database_url=database_url, application_name=application_name), **changes)
    configure(config)
    return config


def invoke(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """One API Gateway event through the real handler, as Lambda would call it."""
    return handler(event, context)


def current_api_key() -> str:
    """The API key the handler of this thread's warm environment checks (empty: no key required)."""
    return runtime.current().config.api_key
