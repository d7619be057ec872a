"""Stopping a server the tests (or benchmarks) started in its own process group (`start_new_session=True`).

A process started by a non-interactive shell may ignore SIGINT and SIGTERM, and Dagster's daemon and
`dagster dev` start children of their own: the whole group is asked to stop, then killed if it does not.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def stop_group(process: subprocess.Popen, grace_seconds: float = 15) -> None:
    """SIGTERM the process's group, SIGKILL it after `grace_seconds`; returns once the leader is reaped. What
    is left of the group after the leader then gets SIGKILL: the daemon's code server outlived a SIGTERM
    (its parent gone, it waited on heartbeats for hours)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):  # raised when the whole group has ended
        os.killpg(process.pid, signal.SIGKILL)


def ctrl_c_reaches_it() -> None:
    """`preexec_fn` for a command whose Ctrl-C the test exercises: a test session started in the background by
    a non-interactive shell passes SIGINT on ignored, and Python then installs no KeyboardInterrupt handler."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
