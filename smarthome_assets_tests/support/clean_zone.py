"""Reading what the clean zone keeps beside its rows, for the tests that check it."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pyarrow.ipc as ipc

from smarthome_assets.ingestion import layout
from smarthome_assets.ingestion.clean_days import REPLACEMENTS_METADATA
from smarthome_assets.storage.object_store import ObjectStore


def day_replacements(store: ObjectStore, table: str, day: date | str, house_id: int) -> dict[str, dict]:
    """The replacements counted while cleaning one home-day (column -> count and examples), as stored with
    its rows in the clean file's schema metadata."""
    key = layout.clean_day_key(table, day, house_id)
    metadata = ipc.open_file(pa.py_buffer(store.get_bytes(key))).schema.metadata or {}
    return json.loads(metadata.get(REPLACEMENTS_METADATA.encode(), b"{}"))
