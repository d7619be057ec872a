"""Where the HomeC files come from: local paths or `s3://` URIs, one file per home.

An `s3://` source is copied through the object store's S3 client into a local cache first: landing hashes
the file and the streaming reader parses it from disk, and a run task on Fargate has local disk to spare.
The copy keeps the object's file name, which is the home's identity (registry/homes.json).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from smarthome_assets.homec import contract
from smarthome_assets.homec.reader import TimeAxis
from smarthome_assets.storage.object_store import ObjectStore


@dataclass(frozen=True)
class HomeCSources:
    """The source files to land; when `paths` is empty, every `*.csv` in `default_dir` (generated data).

    `timeframe_origin` is the instant the first row (`time == contract.TIME_ORIGIN`) stands for. Rows
    before the first day of the partitions (HomeC's first day) are quarantined by the reader.
    """

    paths: list[str] = field(default_factory=list)
    default_dir: str = ""
    timeframe_origin: datetime = contract.TIMEFRAME_ORIGIN
    #: Reads the s3:// paths (aws).
    object_store: ObjectStore | None = None
    #: Where s3:// sources are copied; empty: a temp folder.
    cache_dir: str = ""

    def time_axis(self) -> TimeAxis:
        """How the reader turns `time` into a timeframe for these files."""
        return TimeAxis(timeframe_origin=self.timeframe_origin, first_day=contract.TIMEFRAME_ORIGIN.date())

    def _local(self, path: str) -> Path:
        if not path.startswith("s3://"):
            return Path(path).expanduser().resolve()
        if self.object_store is None:
            raise ValueError(f"{path} needs the S3 object store to read it (SMARTHOME_ENV=aws)")
        bucket_and_key = path.removeprefix("s3://")
        target = Path(self.cache_dir or tempfile.gettempdir()) / "s3-sources" / bucket_and_key
        self.object_store.download_uri(path, target)
        return target

    def files(self) -> list[Path]:
        if self.paths:
            files = [self._local(p) for p in self.paths]
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
