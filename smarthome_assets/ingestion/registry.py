"""The registry of homes: a stable house_id for each home of the incoming zone, kept in the object store.

A home is where its data comes from, `incoming/<home>/`, never a file's base name: every delivery under
it has the same id, and two homes stay two homes even when they deliver identical bytes. Ids are given
in the order homes are first landed and never change or get reused. Landing saves the registry only
after a delivery landed, so a rejected file leaves no home behind and the next good one takes the id.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from smarthome_assets.ingestion.layout import INCOMING, REGISTRY_KEY
from smarthome_assets.storage.object_store import ObjectNotFound, ObjectStore


@dataclass(frozen=True)
class RegisteredHome:
    house_id: int
    name: str
    source_file: str  # `incoming/<home>/`: where the home's deliveries arrive (the `home.source_file` column)


class HomeRegistry:
    def __init__(self, homes: list[RegisteredHome]):
        self._by_name = {h.name: h for h in homes}

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
        return sorted(self._by_name.values(), key=lambda h: h.house_id)

    def get(self, home: str) -> RegisteredHome | None:
        return self._by_name.get(home)

    def register(self, home: str) -> RegisteredHome:
        """The home's entry, adding it with the next free id if it is new (in memory: call save() after)."""
        if home not in self._by_name:
            next_id = max((h.house_id for h in self._by_name.values()), default=0) + 1
            self._by_name[home] = RegisteredHome(house_id=next_id, name=home, source_file=f"{INCOMING}{home}/")
        return self._by_name[home]
