"""The registry of homes: a stable house_id for each source file name, kept in the object store.

Ids are given in the order files are first seen and never change or get reused, so re-running,
adding homes later or reordering `SMARTHOME_SOURCE_FILES` keeps every home's id.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from smarthome_assets.ingestion.layout import REGISTRY_KEY
from smarthome_assets.storage.object_store import ObjectNotFound, ObjectStore


@dataclass(frozen=True)
class RegisteredHome:
    house_id: int
    name: str
    source_file: str


class HomeRegistry:
    def __init__(self, homes: list[RegisteredHome]):
        self._by_file = {h.source_file: h for h in homes}

    @classmethod
    def load(cls, store: ObjectStore) -> HomeRegistry:
        try:
            data = json.loads(store.get_bytes(REGISTRY_KEY))
        except ObjectNotFound:
            return cls([])
        return cls([RegisteredHome(**h) for h in data["homes"]])

    def save(self, store: ObjectStore) -> None:
        store.put_bytes(REGISTRY_KEY, json.dumps({"homes": [asdict(h) for h in self.homes]}, indent=2).encode())

    @property
    def homes(self) -> list[RegisteredHome]:
        return sorted(self._by_file.values(), key=lambda h: h.house_id)

    def register(self, file_name: str) -> RegisteredHome:
        """The file's home, registering it with the next free id if it is new."""
        if file_name not in self._by_file:
            next_id = max((h.house_id for h in self._by_file.values()), default=0) + 1
            stem = file_name.rsplit(".", 1)[0]
            self._by_file[file_name] = RegisteredHome(house_id=next_id, name=stem, source_file=file_name)
        return self._by_file[file_name]
