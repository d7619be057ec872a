"""Where the HomeC files come from: local paths, one file per home."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field


class HomeCSources(dg.ConfigurableResource):
    """The source files to land; when `paths` is empty, every `*.csv` in `default_dir` (generated data)."""

    paths: list[str] = Field(default_factory=list)
    default_dir: str = ""

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
