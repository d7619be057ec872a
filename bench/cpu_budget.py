"""Where the CPU goes while a benchmark measures something: this process, other processes, PostgreSQL.

On K cores, work needing C core-seconds takes at least C / K seconds however it overlaps; `CpuMeter`
measures C per process group so a report can print that least time beside a target. PostgreSQL backends are
read from /proc, the reaped ones through the postmaster's children time, so each backend counts once."""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
#: Cores the benchmarks can use: what bounds the least possible wall time.
CORES = len(os.sched_getaffinity(0))


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat's fields after the command name (which may hold spaces), or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2 :].split()


def process_seconds(pid: int, *, reaped_children: bool = False) -> float:
    """User + system CPU of a process (and, if asked, of the children it has waited for), in seconds."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    # After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICKS


def _live_children(pid: int) -> list[int]:
    children = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and int(fields[1]) == pid:
                children.append(int(entry.name))
    return children


def postmaster_pid(pgdata: Path) -> int:
    """The server's main process, from the first line of `postmaster.pid` in its data folder."""
    return int((Path(pgdata) / "postmaster.pid").read_text().split()[0])


def server_seconds(pgdata: Path) -> float:
    """CPU the PostgreSQL server of `pgdata` has used so far: postmaster, reaped and live backends."""
    pid = postmaster_pid(pgdata)
    return process_seconds(pid, reaped_children=True) + sum(process_seconds(c) for c in _live_children(pid))


def own_seconds() -> float:
    """CPU this process (and the children it waited for) has used so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class CpuMeter:
    """CPU seconds used between `start()` and `stop()`: here, in named processes, in PostgreSQL.

    `processes` maps a label to a pid (a helper this process started, e.g. the API server).
    """

    pgdata: Path | None = None
    processes: dict[str, int] = field(default_factory=dict)
    wall: float = 0.0
    seconds: dict[str, float] = field(default_factory=dict)
    _started: dict[str, float] = field(default_factory=dict)

    def _snapshot(self) -> dict[str, float]:
        snap = {"client": own_seconds(), "wall": time.perf_counter()}
        for label, pid in self.processes.items():
            snap[label] = process_seconds(pid, reaped_children=True)
        if self.pgdata is not None:
            snap["postgres"] = server_seconds(self.pgdata)
        return snap

    def start(self) -> CpuMeter:
        self._started = self._snapshot()
        return self

    def stop(self, settle_seconds: float = 0.2) -> CpuMeter:
        """Stop measuring. Waits `settle_seconds` first so the postmaster has reaped the backends that just
        closed (their CPU only shows in its `cutime` once it has); that wait is not in `wall`."""
        wall = time.perf_counter()
        time.sleep(settle_seconds)
        end = self._snapshot()
        self.wall = wall - self._started["wall"]
        self.seconds = {k: end[k] - v for k, v in self._started.items() if k != "wall"}
        return self

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


def describe(seconds: dict[str, float], wall: float) -> str:
    """One line: core-seconds by part, their total, and how many cores that kept busy."""
    parts = ", ".join(f"{label} {value:.2f}" for label, value in seconds.items())
    total = sum(seconds.values())
    busy = total / wall if wall else 0.0
    return f"{total:.2f} core-s ({parts}) in {wall:.2f} s = {busy:.2f} of {CORES} cores busy"
