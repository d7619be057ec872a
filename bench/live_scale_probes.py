"""What the live scale benchmark samples while the daemon runs: CPU and memory per part of the platform,
Dagster's storage, and the runs.

Parts are told apart by command line inside the daemon's session (it was started with its own session):
the daemon, the code server (which evaluates the sensors and starts run workers), the run workers
(`multiprocessing` spawns of the code server; a finished worker's CPU moves into the code server's
reaped-children time, so the two are read together, the way bench/cpu_budget.py reads PostgreSQL's
backends), the webserver (`smarthome dev`), and PostgreSQL.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from bench.cpu_budget import postmaster_pid

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
ROLES = ("daemon", "code server", "runs", "webserver", "postgres", "benchmark")


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    session: int
    cpu: float  # own user + system seconds
    reaped: float  # reaped children's user + system seconds
    rss_mb: float
    cmdline: str


def _read(pid: int) -> Proc | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    f = stat[stat.rindex(")") + 2 :].split()
    # After the name: state(0) ppid(1) pgrp(2) session(3) ... utime(11) stime(12) cutime(13) cstime(14) ... rss(21)
    return Proc(
        pid=pid,
        ppid=int(f[1]),
        session=int(f[3]),
        cpu=(int(f[11]) + int(f[12])) / _TICKS,
        reaped=(int(f[13]) + int(f[14])) / _TICKS,
        rss_mb=int(f[21]) * _PAGE / 1e6,
        cmdline=cmdline,
    )


def _all() -> list[Proc]:
    out = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            proc = _read(int(entry.name))
            if proc is not None:
                out.append(proc)
    return out


def _pss_mb(pid: int) -> float:
    """Proportional set size: shared pages divided among the processes sharing them (PostgreSQL's buffers)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1e3
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0.0


def role_of(proc: Proc, daemon_session: int, code_servers: set[int], workers: set[int]) -> str | None:
    """Which part of the platform a process of the daemon's session is, by its command (the part before its
    options: the daemon's and the webserver's options carry a JSON instance reference naming everything).
    Run workers are `multiprocessing` spawns of the code server (Dagster's default run launcher); what they
    start (compute-log tails) is theirs."""
    if proc.session != daemon_session:
        return None
    command = proc.cmdline.split(" --", 1)[0]
    if proc.pid in workers or proc.ppid in workers:
        return "runs"
    if "code-server" in command or "api grpc" in command or proc.ppid in code_servers:
        return "code server"  # the proxy `dagster dev` starts, the server it runs, its resource tracker
    if "dagster_webserver" in command or re.search(r"\b(smarthome|dagster) dev\b", command):
        return "webserver"  # the webserver, and `smarthome dev` / `dagster dev` waiting on their children
    return "daemon"


@dataclass
class Sample:
    """Cumulative CPU seconds per part, and memory now (MB: RSS; PostgreSQL: PSS summed over its processes)."""

    at: float
    cpu: dict[str, float] = field(default_factory=dict)
    rss_mb: dict[str, float] = field(default_factory=dict)
    workers: int = 0
    load: float = 0.0  # the machine's 1-minute load average


def sample(at: float, daemon_pid: int, pgdata: Path) -> Sample:
    procs = _all()
    out = Sample(at=at, cpu=dict.fromkeys(ROLES, 0.0), rss_mb=dict.fromkeys(ROLES, 0.0), load=os.getloadavg()[0])
    ours = [p for p in procs if p.session == daemon_pid]
    code_servers = {p.pid for p in ours if "api grpc" in p.cmdline.split(" --", 1)[0]}
    workers = {p.pid for p in ours if p.ppid in code_servers and "spawn_main" in p.cmdline}
    parents = {p.pid: p.ppid for p in ours}
    helpers = {p.pid for p in ours if parents.get(p.ppid) in workers}  # a worker's log tailers, two levels down
    for proc in procs:
        role = role_of(proc, daemon_pid, code_servers, workers | helpers)
        if role is None:
            continue
        out.cpu[role] += proc.cpu
        if proc.pid in code_servers or proc.pid in workers:  # reaped children: finished workers, their helpers
            out.cpu["runs"] += proc.reaped
        if proc.pid in workers:
            out.workers += 1
            out.rss_mb["runs"] = max(out.rss_mb["runs"], proc.rss_mb)  # the largest worker
        elif role != "runs":
            out.rss_mb[role] += proc.rss_mb
    try:
        postmaster = postmaster_pid(pgdata)
    except (FileNotFoundError, ValueError):
        postmaster = None
    if postmaster is not None:
        for proc in procs:
            if proc.pid == postmaster or proc.ppid == postmaster:
                out.cpu["postgres"] += proc.cpu + (proc.reaped if proc.pid == postmaster else 0.0)
                out.rss_mb["postgres"] += _pss_mb(proc.pid)
    me = _read(os.getpid())
    if me is not None:
        out.cpu["benchmark"] = me.cpu + me.reaped
        out.rss_mb["benchmark"] = me.rss_mb
    return out


#: The tables of Dagster's storage (dagster-postgres) whose growth matters: the event log, runs, ticks.
STORAGE_SIZES = """
SELECT c.relname, pg_total_relation_size(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r'
"""
STORAGE_ROWS = {
    "event_logs": "SELECT count(*) FROM event_logs",
    "runs": "SELECT count(*) FROM runs",
    "job_ticks": "SELECT count(*) FROM job_ticks",
}


@dataclass
class StorageSample:
    at: float
    bytes_by_table: dict[str, int]
    rows: dict[str, int]

    @property
    def total_bytes(self) -> int:
        return sum(self.bytes_by_table.values())


def storage_sample(at: float, dagster_url: str) -> StorageSample:
    import psycopg2

    with psycopg2.connect(dagster_url) as conn, conn.cursor() as cur:
        cur.execute(STORAGE_SIZES)
        sizes = dict(cur.fetchall())
        rows = {}
        for name, sql in STORAGE_ROWS.items():
            cur.execute(sql)
            rows[name] = cur.fetchone()[0]
    conn.close()
    return StorageSample(at=at, bytes_by_table=sizes, rows=rows)
