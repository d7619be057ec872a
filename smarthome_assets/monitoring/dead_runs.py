"""Is the process that ran a Dagster run still alive? (local instance only)

Why: Dagster's default run launcher cannot ask a run worker whether it is alive, so a run whose process was
SIGKILLed (an out-of-memory kill, `kill -9`, a laptop closed mid-run) stays STARTED and keeps one of the
instance's run slots. Dagster's run monitoring frees it only after the maximum runtime (an hour here). On
one machine we can do better: every run records its worker's pid (the "pid" of its engine events), and a
pid that no longer exists, or now belongs to a process started after the run, means the worker is gone.
Only meaningful where runs execute on this host: the local instance, never ECS (where Dagster's own run
monitoring asks the launcher).
"""

from __future__ import annotations

import psutil

#: A process started this long after the run began cannot be its worker (the pid was reused).
_CLOCK_SLACK_SECONDS = 2.0


def worker_is_gone(pid: int, run_started_at: float | None) -> bool:
    """True when no process `pid` exists, or the one that does started after the run (pid reused)."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return True
        created = process.create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return True
    except psutil.AccessDenied:
        return False  # it exists; we may not look at it
    return run_started_at is not None and created > run_started_at + _CLOCK_SLACK_SECONDS


def dead_run_message(pid: int) -> str:
    return (
        f"The run's worker process (pid {pid}) is gone without reporting an end (killed, or out of memory): "
        "marked failed by the dead_run_check sensor so its run slot is freed. Re-run its partitions to finish."
    )
