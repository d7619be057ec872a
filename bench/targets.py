"""The issue's targets as the benchmarks measure them: each printed with its limit and met / not met, and
collected so that `make bench` ends with one table of all of them (`python -m bench.targets FILE`).

A benchmark run by `make bench` appends its targets to the file named by SMARTHOME_BENCH_RESULTS (the
Makefile sets it); run alone, it only prints them."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS_VARIABLE = "SMARTHOME_BENCH_RESULTS"


@dataclass
class Target:
    name: str
    value: float
    limit: float
    unit: str  # "x", "ms", "MB", "s"
    at_most: bool = True  # the value must stay at or under the limit (else reach it)
    spread: str = ""  # e.g. "1.18-1.24x over 2 rounds"
    moonshot: float | None = None

    @property
    def met(self) -> bool:
        return self.value <= self.limit if self.at_most else self.value >= self.limit

    def line(self) -> str:
        bound = "<=" if self.at_most else ">="
        extra = f", moonshot {self.moonshot:g}{self.unit}" if self.moonshot is not None else ""
        spread = f"; {self.spread}" if self.spread else ""
        verdict = "met" if self.met else "NOT MET"
        target = f"target {bound} {self.limit:g}{self.unit}{extra}"
        return f"{self.name:<52} {self.value:8.2f}{self.unit:<3} ({target}): {verdict}{spread}"


def report(targets: list[Target]) -> None:
    """Print the targets and, under `make bench`, keep them for the closing table."""
    print()
    for target in targets:
        print(target.line())
    path = os.environ.get(RESULTS_VARIABLE)
    if path:
        with open(path, "a") as out:
            for target in targets:
                out.write(json.dumps(asdict(target)) + "\n")


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    path = Path(args[0]) if args else None
    if path is None or not path.exists():
        print("no benchmark results recorded")
        return 1
    targets = [Target(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]
    print()
    print(f"Every target of this `make bench` run ({sum(t.met for t in targets)} of {len(targets)} met):")
    for target in targets:
        print("  " + target.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
