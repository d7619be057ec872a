"""How the `smarthome` command reports a failure: one line that names the cause and says what to do.

Why: a traceback tells a user where the code broke, not what they can change. The probes on main found
raw `OverflowError` (a `time` value no date can hold), `AttributeError: ... '_pool'` (the API's port in
use), and an `AssertionError` with no text (the embedded server failing to start). Known causes get a
message of their own here; anything else is still one line, with where it happened and `--traceback`.
"""

from __future__ import annotations

import errno
import socket
import traceback
from pathlib import Path

import psycopg2

from smarthome_assets.homec.reader import SourceFormatError
from smarthome_assets.lake.query import LakeQueryError
from smarthome_assets.services.embedded_postgres import EmbeddedServerError


class CommandError(Exception):
    """A problem the user can fix; the message says how."""


def ensure_port_free(host: str, port: int, option: str = "--port") -> None:
    """Fail clearly before a server starts on a port something else holds (0 means any free port)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is fine
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"port {port} on {host} is already in use (another `smarthome api` or `make dev`?): "
                    f"stop that process, or choose another port with {option} N"
                ) from None
            if exc.errno in (errno.EADDRNOTAVAIL, errno.EACCES):
                raise CommandError(
                    f"cannot listen on {host}:{port} ({exc.strerror}): choose another --host or {option}"
                ) from None
            raise


def one_line(exc: BaseException) -> str:
    """The message the user sees for `exc`."""
    if isinstance(exc, (CommandError, EmbeddedServerError, SourceFormatError)):
        return str(exc)
    if isinstance(exc, LakeQueryError):
        return f"LakeQueryError: {exc}"
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"the disk is full{where}: free some space, then run the command again"
    if isinstance(exc, FileNotFoundError):
        return f"{exc.strerror or 'not found'}: {exc.filename or exc}: check the path"
    if isinstance(exc, psycopg2.OperationalError) and "No space left on device" in str(exc):
        return "PostgreSQL cannot write: the disk holding its data is full: free some space, then run it again"
    if isinstance(exc, psycopg2.OperationalError):
        first = (str(exc).strip().splitlines() or ["(no message)"])[0]
        return f"cannot use PostgreSQL: {first}: is the server running (`smarthome db up`) and the URL right?"
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    text = " ".join(str(exc).split()) or "no message"
    return f"unexpected {type(exc).__name__} ({text}){where}: run again with --traceback and report it"
