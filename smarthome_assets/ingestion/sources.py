"""Local HomeC files to deliver into the incoming zone before landing (`smarthome run --csv`, tests).

The incoming zone (layout.py) is the only way in: these paths are copied there by `raw_csv` (and by the
CLI), each as its own home (incoming.deliver), and landed like any delivery. Empty by default: the
platform then lands what homes deliver, watched by the `incoming_deliveries` sensor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from smarthome_assets.homec import contract
from smarthome_assets.homec.reader import TimeAxis


@dataclass(frozen=True)
class HomeCSources:
    """The local files to deliver; `default_dir` is where `smarthome run` generates data when given none.

    `timeframe_origin` is the instant the first row (`time == contract.TIME_ORIGIN`) stands for. Rows
    before the first day of the partitions (HomeC's first day) are quarantined by the reader.
    """

    paths: list[str] = field(default_factory=list)
    default_dir: str = ""
    timeframe_origin: datetime = contract.TIMEFRAME_ORIGIN

    def time_axis(self) -> TimeAxis:
        """How the reader turns `time` into a timeframe for these files."""
        return TimeAxis(timeframe_origin=self.timeframe_origin, first_day=contract.TIMEFRAME_ORIGIN.date())

    def files(self) -> list[Path]:
        files = [Path(p).expanduser().resolve() for p in self.paths]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise FileNotFoundError(f"source file(s) not found: {', '.join(missing)}")
        return files
