"""Transient failures of a step (a database or endpoint that refused or dropped the connection, a server
restarting) are retried by the step itself, a bounded number of times; everything else fails the step.

Why in the step: Dagster's run retries (dagster.yaml `run_retries`) re-execute a run whose process died, but
are off for step failures, because a failed blocking check or a rejected file fails the same way every time.
A lost connection is different: the same step, a few seconds later, usually succeeds. Every daily asset is
wrapped (lib/partitions.py `daily_asset`); its work replaces exactly its days, so doing it again is safe.
"""

import functools
import inspect
from collections.abc import Callable
from typing import NoReturn

import botocore.exceptions
import dagster as dg
import psycopg2

#: Tries after the first one, and the wait before the first retry (doubled each time).
MAX_RETRIES = 3
FIRST_WAIT_SECONDS = 5

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    psycopg2.OperationalError,  # connection refused or dropped, server shutting down, statement cancelled
    psycopg2.InterfaceError,  # a connection closed under us
    botocore.exceptions.ConnectionError,  # endpoint unreachable, read or connect timeout
    botocore.exceptions.HTTPClientError,  # connection closed mid-request
    ConnectionError,  # refused, reset, broken pipe
    TimeoutError,
)


def transient_cause(error: BaseException) -> BaseException | None:
    """The transient error in `error`'s chain of causes, if any."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, TRANSIENT_ERRORS):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def retried_when_transient(compute: Callable) -> Callable:
    """Wrap an asset's compute function (plain or a generator): a transient failure asks Dagster to run the
    step again."""

    def raise_retry_or(exc: Exception, args, kwargs) -> NoReturn:
        """Ask for the step again when a transient error caused `exc`; otherwise raise `exc` as it is."""
        cause = transient_cause(exc)
        if cause is None:
            raise exc
        context = next((a for a in args if isinstance(a, dg.AssetExecutionContext)), kwargs.get("context"))
        attempt = context.retry_number if context is not None else 0
        if context is not None:
            context.log.warning(f"transient failure, step retried: {type(cause).__name__}: {cause}".strip())
        raise dg.RetryRequested(max_retries=MAX_RETRIES, seconds_to_wait=FIRST_WAIT_SECONDS * 2**attempt) from exc

    if inspect.isgeneratorfunction(compute):

        @functools.wraps(compute)
        def run_generator(*args, **kwargs):
            try:
                yield from compute(*args, **kwargs)
            except dg.RetryRequested:
                raise
            except Exception as exc:
                raise_retry_or(exc, args, kwargs)

        return run_generator

    @functools.wraps(compute)
    def run(*args, **kwargs):
        try:
            return compute(*args, **kwargs)
        except dg.RetryRequested:
            raise
        except Exception as exc:
            raise_retry_or(exc, args, kwargs)

    return run
