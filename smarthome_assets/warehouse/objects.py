"""Export files as COPY sees them: Redshift COPY manifests, header checks, and streaming for PostgreSQL.

Redshift loads many files in one COPY through a manifest (`{"entries": [{"url": "s3://...",
"mandatory": true}]}`), reading them in parallel on every slice. The load writes one such manifest per
staging table; the postgres dialect reads the same manifest and streams the listed objects, one after
another and without their header lines, into a single `COPY ... FROM STDIN`. Memory stays at one read
buffer (a local store) or one object (S3) whatever the number of days.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

from smarthome_assets.storage.object_store import ObjectStore

_READ_SIZE = 1 << 20


class ExportFileProblem(RuntimeError):
    """An export file is missing, empty or not what its table expects."""


def key_for_uri(store: ObjectStore, uri: str) -> str:
    """The store key behind a URI the store handed out (`uri(key)`), for reading it back."""
    base = store.uri("").rstrip("/") + "/"
    if not uri.startswith(base):
        raise ValueError(f"{uri!r} is not in the object store at {base!r}")
    return uri[len(base) :]


def copy_manifest(store: ObjectStore, keys: list[str]) -> bytes:
    """A Redshift COPY manifest listing the objects (mandatory: a missing one fails the COPY)."""
    entries = [{"url": store.uri(key), "mandatory": True} for key in keys]
    return json.dumps({"entries": entries}, indent=1).encode()


def manifest_keys(store: ObjectStore, manifest_uri: str) -> list[str]:
    """The store keys a COPY manifest lists, in order."""
    data = json.loads(store.get_bytes(key_for_uri(store, manifest_uri)))
    return [key_for_uri(store, entry["url"]) for entry in data["entries"]]


def _open(store: ObjectStore, key: str) -> io.BufferedIOBase:
    path = store.local_path(key)
    if path is not None:
        if not path.is_file():
            raise ExportFileProblem(f"export file missing: {store.uri(key)}")
        return open(path, "rb")
    if not store.exists(key):
        raise ExportFileProblem(f"export file missing: {store.uri(key)}")
    return io.BytesIO(store.get_bytes(key))


def check_header(store: ObjectStore, key: str, expected: bytes) -> None:
    """Fail unless the object exists, is not empty and starts with exactly the expected header line."""
    with _open(store, key) as handle:
        first = handle.readline()
    if not first:
        raise ExportFileProblem(f"export file is empty: {store.uri(key)}")
    if first.rstrip(b"\r\n") != expected.rstrip(b"\n"):
        raise ExportFileProblem(
            f"export file has the wrong header: {store.uri(key)}: expected {expected.decode().strip()!r}, "
            f"found {first[:200].decode('utf-8', 'replace').strip()!r}"
        )


def _data_chunks(store: ObjectStore, keys: list[str], header: bytes | None, skip: int) -> Iterator[bytes]:
    """Each object's bytes after its first `skip` lines, each object ending in a newline."""
    for key in keys:
        with _open(store, key) as handle:
            for line_number in range(skip):
                line = handle.readline()
                if line_number == 0 and header is not None and line.rstrip(b"\r\n") != header.rstrip(b"\n"):
                    raise ExportFileProblem(f"export file changed under the load (header): {store.uri(key)}")
            last = b"\n"
            while chunk := handle.read(_READ_SIZE):
                last = chunk
                yield chunk
            if not last.endswith(b"\n"):
                yield b"\n"


class ObjectsReader(io.RawIOBase):
    """A read-only file over several objects' data lines, for psycopg2's `copy_expert`."""

    def __init__(self, store: ObjectStore, keys: list[str], *, skip_lines: int, header: bytes | None = None):
        self._chunks = _data_chunks(store, keys, header, skip_lines)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
