"""N homes delivering live with the real daemon: drop-to-API latency, backlog, runs, CPU and memory, Dagster's
storage and the exports' and warehouse's lag, then a ramp that finds the largest N holding the target
(docs/BENCHMARKS.md, docs/SCALE.md).

  python -m bench.live_scale_benchmark [--homes 100] [--minutes 15] [--interval 60] [--ramp-step 50]
"""

from __future__ import annotations

import argparse
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import live_scale_probes as probes
from bench.live_scale_feed import POLL_SECONDS, Homes, Stopwatch
from bench.live_scale_report import Phase
from bench.live_scale_runs import RunLedger
from smarthome_assets.services import embedded_postgres
from smarthome_assets.services.dagster_instance import embedded_storage_url
from smarthome_assets.settings import load_settings
from smarthome_assets.storage.object_store import LocalObjectStore
from smarthome_assets_tests.support.daemon import operational_url, start_daemon, start_dev
from smarthome_assets_tests.support.processes import stop_group

SAMPLE_SECONDS = 5.0
STORAGE_SAMPLE_SECONDS = 60.0
DRAIN_SECONDS = 180.0


def _interrupted(_signal, _frame) -> None:
    raise KeyboardInterrupt


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Bench:
    """The daemon, the homes, and the threads that drive and watch them."""

    def __init__(self, work: Path, args: argparse.Namespace):
        self.args, self.work = args, work
        self.home = work / "home"
        self.url = operational_url(self.home)  # the embedded server, up before the daemon
        self.dagster_url = embedded_storage_url(self.home / "postgres")
        self.store = LocalObjectStore(root=str(self.home / "object_store"))
        self.homes = Homes(self.store, args.homes, args.interval)
        self.watch = Stopwatch(self.store, self.url)
        self.samples: list[probes.Sample] = []
        self.storage: list[probes.StorageSample] = []
        self.backlog: list[tuple[float, int, int, int]] = []
        self.delivering = threading.Event()
        self.stopping = threading.Event()
        if args.daemon_only:  # Dagster's daemon alone: it replaces its code server every minute
            self.daemon = start_daemon(self.home, work / "daemon.log")
        else:  # as `make dev` runs: webserver, daemon and one code server (smarthome dev)
            self.daemon = start_dev(self.home, work / "daemon.log", _free_port())
        self.ledger = RunLedger(self.home / "dagster")
        self.started = time.time()

    def _feed(self) -> None:
        last_correction = time.time()
        while not self.stopping.is_set():
            if self.delivering.is_set():
                self.homes.deliver_due()
                every = self.args.corrections_every
                if every and time.time() - last_correction >= every and self.args.backlog_days >= 2:
                    self.homes.correct(days_back=2)
                    last_correction = time.time()
            time.sleep(0.5)

    def _watch(self) -> None:
        while not self.stopping.is_set():
            started = time.time()
            pending = [d for d in self.homes.snapshot() if d.served is None]
            self.watch.poll(pending)
            time.sleep(max(0.0, POLL_SECONDS - (time.time() - started)))

    def _sample(self) -> None:
        last_storage = 0.0
        while not self.stopping.is_set():
            now = time.time()
            drops = self.homes.snapshot()
            not_landed = sum(d.landed is None for d in drops)
            not_served = sum(d.served is None for d in drops)
            self.backlog.append((now, not_landed, not_served, self.ledger.queued()))
            self.samples.append(probes.sample(now, self.daemon.pid, self.home / "postgres"))
            if now - last_storage >= STORAGE_SAMPLE_SECONDS:
                self.storage.append(probes.storage_sample(now, self.dagster_url))
                last_storage = now
            if self.daemon.poll() is not None:
                print("the daemon exited; see", self.work / "daemon.log", flush=True)
                self.stopping.set()
            time.sleep(max(0.0, SAMPLE_SECONDS - (time.time() - now)))

    def start(self) -> None:
        for target in (self._feed, self._watch, self._sample):
            threading.Thread(target=target, daemon=True).start()

    def settle(self, limit: float = 600.0) -> None:
        """Before the measured phase, yesterday exported as on a platform that has been running (after 03:00 UTC,
        `missed_daily_export` exports it once the history is loaded): the phase measures keeping up, and a
        freshness check is not failed by the platform's own cold start."""
        now = datetime.now(UTC)
        if now.hour < 3:
            return  # yesterday is the 02:00 schedule's, which runs during the phase if it has not
        yesterday, started = (now - timedelta(days=1)).date(), time.time()
        while time.time() - started < limit and not self.stopping.is_set():
            if self.ledger.exported(yesterday):
                print(f"history loaded and {yesterday} exported after {time.time() - started:.0f} s", flush=True)
                return
            time.sleep(POLL_SECONDS)
        print(f"{yesterday} not exported after {limit:.0f} s: measuring anyway", flush=True)

    def run_phase(self, homes: int, minutes: float) -> Phase:
        self.homes.resize(homes)
        phase = Phase(homes=homes, started=time.time())
        self.delivering.set()
        print(f"{homes} homes for {minutes:g} min ...", flush=True)
        deadline = phase.started + minutes * 60
        while time.time() < deadline and not self.stopping.is_set():
            time.sleep(min(60.0, max(0.0, deadline - time.time())))
            b = self.backlog[-1] if self.backlog else (0, 0, 0, 0)
            print(
                f"  {(time.time() - phase.started) / 60:4.1f} min: {b[2]} not served, {b[1]} not landed, "
                f"{b[3]} runs queued",
                flush=True,
            )
        phase.ended = time.time()
        return phase

    def drain(self, limit: float = DRAIN_SECONDS) -> None:
        """Stop delivering and wait (at most `limit`) until every delivery is served."""
        self.delivering.clear()
        until = time.time() + limit
        while time.time() < until and any(d.served is None for d in self.homes.snapshot()):
            time.sleep(POLL_SECONDS)

    def stop(self) -> None:
        self.stopping.set()
        stop_group(self.daemon)
        embedded_postgres.stop_server(self.home / "postgres")


def _finish(phases: list[Phase], bench: Bench) -> None:
    """Give each phase its deltas, backlog samples, runs and checks (after the last drain)."""
    drops = bench.homes.snapshot()
    end = time.time()
    for phase in phases:
        window = [d for d in drops if d.kind == "delta" and phase.started <= d.dropped < phase.ended]
        phase.latencies = [d.latency for d in window if d.latency is not None]
        phase.unserved_ages = [end - d.dropped for d in window if d.served is None]
        phase.backlog = [b for b in bench.backlog if phase.started <= b[0] <= phase.ended]
        bench.ledger.judge(phase)


def _ramp(bench: Bench, first: Phase, args: argparse.Namespace) -> list[Phase]:
    """Up by --ramp-step while the target holds (to --max-homes); down by half a step until it holds."""
    phases = [first]
    if not args.ramp_step:
        return phases
    _finish(phases, bench)
    going_up = first.verdict()[0]
    homes = first.homes
    while True:
        homes = homes + args.ramp_step if going_up else homes - max(args.ramp_step // 2, 1)
        if homes <= 0 or homes > args.max_homes:
            return phases
        if not going_up:
            bench.drain()  # a smaller fleet is judged on its own load, not on the backlog left behind
        phases.append(bench.run_phase(homes, args.step_minutes))
        _finish(phases, bench)
        if phases[-1].verdict()[0] != going_up:
            return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--homes", type=int, default=100, help="homes in the first phase (default 100)")
    parser.add_argument("--minutes", type=float, default=15, help="length of the first phase (default 15)")
    parser.add_argument("--interval", type=float, default=60, help="seconds between a home's deliveries (60; 300)")
    parser.add_argument("--backlog-days", type=int, default=3, help="complete past days each home delivers first")
    parser.add_argument("--corrections-every", type=float, default=240, help="seconds between corrections (0: none)")
    parser.add_argument("--ramp-step", type=int, default=50, help="homes added per ramp phase (0: no ramp)")
    parser.add_argument("--step-minutes", type=float, default=6, help="length of each ramp phase (default 6)")
    parser.add_argument("--max-homes", type=int, default=300, help="the ramp stops above this (default 300)")
    parser.add_argument("--daemon-only", action="store_true", help="the daemon alone instead of `smarthome dev`")
    parser.add_argument("--out", type=Path, default=None, help="report folder (default $SMARTHOME_HOME/bench)")
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    args = parser.parse_args()
    # Started in the background by a shell, this process may ignore SIGINT: both signals end it through the
    # `finally` below, which stops the platform it started and removes its work folder.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupted)
    out = args.out or load_settings().home / "bench"
    out.mkdir(parents=True, exist_ok=True)
    work = args.keep or Path(tempfile.mkdtemp(prefix="smarthome-live-scale-"))
    print(
        f"live scale: {args.homes} homes, a delivery each every {args.interval:g} s, {args.backlog_days} day(s) of "
        f"history each, for {args.minutes:g} min; then ramp phases of {args.step_minutes:g} min "
        f"(step {args.ramp_step}, up to {args.max_homes}); work folder {work}",
        flush=True,
    )
    bench = Bench(work, args)
    try:
        bench.start()
        time.sleep(10)  # the daemon's first ticks
        bench.homes.backlog(args.backlog_days)
        bench.settle()
        first = bench.run_phase(args.homes, args.minutes)
        phases = _ramp(bench, first, args)
        bench.drain()
        _finish(phases, bench)
        from bench.live_scale_summary import summarize

        report = summarize(bench, phases)
    finally:
        bench.stop()
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    (out / "live_scale_report.txt").write_text("\n".join(report) + "\n")
    print("\n".join(report))
    print(f"report: {out / 'live_scale_report.txt'}")


if __name__ == "__main__":
    sys.exit(main())
