"""HomeC files to deliver into the incoming zone before landing (`smarthome run --csv`, tests, and on AWS
`SMARTHOME_SOURCE_FILES=s3://...`).

The incoming zone (layout.py) is the only way in: these paths are copied there by `raw_csv` (and by the
CLI), each as its own home (incoming.deliver), and landed like any delivery. Empty by default: the
platform then lands what homes deliver, watched by the `incoming_deliveries` sensor. An `s3://` path is
first copied through the object store's S3 client into a local cache (landing hashes the file and the
streaming reader parses it from disk; a run task on Fargate has local disk to spare).
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
    """The files to deliver (none by default: the platform then lands what homes deliver themselves).

    `timeframe_origin` is the instant the first row (`time == contract.TIME_ORIGIN`) stands for. Rows
    before the first day of the partitions (HomeC's first day) are quarantined by the reader.
    """

    paths: list[str] = field(default_factory=list)
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
        files = [self._local(p) for p in self.paths]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise FileNotFoundError(f"source file(s) not found: {', '.join(missing)}")
        return files
