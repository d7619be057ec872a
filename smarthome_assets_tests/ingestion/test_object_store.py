"""The local object store: keys stay inside its folder, writes are whole, listings skip temporary files."""

from __future__ import annotations

import pytest

from smarthome_assets.storage.object_store import LocalObjectStore, ObjectNotFound


@pytest.mark.parametrize("key", ["../outside.txt", "a/../../outside.txt", "/etc/hostname", "a/../.."])
def test_a_key_cannot_leave_the_store(tmp_path, key):
    store = LocalObjectStore(root=str(tmp_path / "store"))
    with pytest.raises(ValueError, match="escapes the store"):
        store.put_bytes(key, b"x")
    with pytest.raises(ValueError, match="escapes the store"):
        store.exists(key)
    assert not (tmp_path / "outside.txt").exists()


def test_keys_are_paths_under_the_root_however_they_are_spelled(tmp_path):
    store = LocalObjectStore(root=str(tmp_path / "store"))
    store.put_bytes("zone/a/../b/object.bin", b"payload")
    assert store.get_bytes("zone/b/object.bin") == b"payload"
    assert store.local_path("zone/b/object.bin") == (tmp_path / "store" / "zone" / "b" / "object.bin").resolve()
    assert store.list_keys("zone/") == ["zone/b/object.bin"]


def test_a_store_reached_through_a_link_is_the_same_store(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    LocalObjectStore(root=str(tmp_path / "link")).put_bytes("k/v", b"1")
    assert LocalObjectStore(root=str(tmp_path / "real")).get_bytes("k/v") == b"1"


def test_a_missing_object_is_named(tmp_path):
    store = LocalObjectStore(root=str(tmp_path))
    with pytest.raises(ObjectNotFound, match="no object 'nothing/here'"):
        store.get_bytes("nothing/here")
    store.delete("nothing/here")  # deleting what is not there is fine (as on S3)
