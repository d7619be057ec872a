"""A landing killed with SIGKILL half-way leaves the previous version current and intact (issue 12's probe).

The probe: re-land a changed file, SIGKILL the process while it stages, put the original file back and
land again. Before, the staged days were overwritten in place before the manifest, so the re-run said
"unchanged, skipped" over January rows of the version that never finished. Now the kill leaves the old
manifest pointing at the old version's objects, which nothing overwrote. On a directory and on S3.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date

import pytest

from smarthome_assets.homec.generator import generate_homes
from smarthome_assets.ingestion import incoming
from smarthome_assets.ingestion.landing import LANDED, UNCHANGED, Manifest, land_delivery
from smarthome_assets.storage.object_store import LocalObjectStore, S3ObjectStore

DELIVERY = incoming.Delivery("home", "home.csv")
LAND_IN_A_CHILD = """
import json, sys
from datetime import date
from smarthome_assets.ingestion import incoming
from smarthome_assets.ingestion.landing import land_delivery
from smarthome_assets.storage.object_store import LocalObjectStore, S3ObjectStore
kind, config = sys.argv[1], json.loads(sys.argv[2])
store = LocalObjectStore(**config) if kind == "local" else S3ObjectStore(**config)
land_delivery(store, incoming.Delivery("home", "home.csv"), incoming.SourceDeclaration().axis(date(2016, 1, 1)))
"""


@pytest.fixture(params=["local", "s3"])
def store_and_config(request, tmp_path):
    if request.param == "local":
        config = {"root": str(tmp_path / "store")}
        return "local", LocalObjectStore(**config), config
    _endpoint, bucket, s3 = request.getfixturevalue("s3_bucket")
    config = {"bucket": bucket, "prefix": "smarthome", **s3}
    return "s3", S3ObjectStore(**config), config


def staged_bytes(store, manifest: Manifest) -> dict[str, bytes]:
    return {day: store.get_bytes(manifest.staged_key(day)) for day in manifest.rows_per_day}


def test_sigkill_during_relanding_leaves_the_previous_version_current(tmp_path, store_and_config):
    kind, store, config = store_and_config
    original = generate_homes(tmp_path / "v1", days=40, seed=0)[0]
    changed = generate_homes(tmp_path / "v2", days=40, seed=1)[0]
    axis = incoming.SourceDeclaration().axis(date(2016, 1, 1))
    store.put_file(DELIVERY.key, original)
    first = land_delivery(store, DELIVERY, axis)
    assert first.outcome == LANDED
    before = staged_bytes(store, first.manifest)

    store.put_file(DELIVERY.key, changed)
    child = subprocess.Popen(
        [sys.executable, "-c", LAND_IN_A_CHILD, kind, json.dumps(config)], start_new_session=True, cwd=os.getcwd()
    )
    old_keys = set(store.list_keys("staging/"))
    deadline = time.monotonic() + 60
    try:
        while not set(store.list_keys("staging/")) - old_keys:  # the new version has started staging
            assert child.poll() is None, "the landing ended before it could be killed: make the file longer"
            assert time.monotonic() < deadline, "the child never started staging"
            time.sleep(0.01)
        os.killpg(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    current = Manifest.load(store, DELIVERY.path)
    assert current.landing == first.manifest.landing  # the switch never happened
    assert staged_bytes(store, current) == before  # and nothing of the current version was touched

    store.put_file(DELIVERY.key, original)  # the original comes back
    again = land_delivery(store, DELIVERY, axis)
    assert again.outcome == UNCHANGED  # true now: its staged rows are the original's
    assert staged_bytes(store, again.manifest) == before

    store.put_file(DELIVERY.key, changed)  # and the change, landed to the end, replaces it whole
    relanded = land_delivery(store, DELIVERY, axis)
    assert relanded.outcome == LANDED and staged_bytes(store, relanded.manifest) != before
    leftovers = set(store.list_keys("staging/")) - {relanded.manifest.staged_key(d) for d in relanded.days}
    assert all("@" + first.manifest.landing not in k for k in leftovers)  # the old version is deleted
    shutil.rmtree(tmp_path / "v1", ignore_errors=True)


class FailingStore(LocalObjectStore):
    """A directory store whose Nth staged write fails, as a full disk or a refused PUT would."""

    def __init__(self, root: str, fail_at: int):
        super().__init__(root=root)
        object.__setattr__(self, "_left", [fail_at])

    def put_bytes(self, key: str, data: bytes) -> None:
        if key.startswith("staging/"):
            self._left[0] -= 1
            if self._left[0] == 0:
                time.sleep(0.05)  # later days are submitted meanwhile: the drain must wait for them
                raise OSError(28, "No space left on device")
        super().put_bytes(key, data)


def test_a_failed_staged_write_fails_the_landing_and_leaves_no_trace(tmp_path):
    source = generate_homes(tmp_path / "data", days=20, seed=0)[0]
    store = FailingStore(str(tmp_path / "store"), fail_at=7)
    store.put_file(DELIVERY.key, source)
    with pytest.raises(OSError, match="No space left"):
        land_delivery(store, DELIVERY, incoming.SourceDeclaration().axis(date(2016, 1, 1)))
    time.sleep(0.2)  # a write still running after the landing returned would show up now
    assert store.list_keys("staging/") == []
    assert store.list_keys("raw/manifests/") == [] and store.list_keys("raw/source/") == []
