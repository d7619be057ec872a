"""Where the HomeC files come from: local paths, one file per home."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from smarthome_assets.homec import contract
from smarthome_assets.homec.reader import TimeAxis


@dataclass(frozen=True)
class HomeCSources:
    """The source files to land; when `paths` is empty, every `*.csv` in `default_dir` (generated data).

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
        if self.paths:
            files = [Path(p).expanduser().resolve() for p in self.paths]
        elif self.default_dir:
            files = sorted(Path(self.default_dir).glob("*.csv"))
        else:
            files = []
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise FileNotFoundError(f"source file(s) not found: {', '.join(missing)}")
        if not files:
            raise FileNotFoundError(
                "no HomeC source files: set SMARTHOME_SOURCE_FILES, or run `smarthome generate` "
                f"to create some in {self.default_dir or 'the data folder'}"
            )
        names = [f.name for f in files]
        if len(set(names)) != len(names):
            raise ValueError(f"two source files share a name (a name is a home's identity): {names}")
        return files
