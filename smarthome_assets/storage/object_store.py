"""The object store: a local directory by default, S3 (or any S3 endpoint, e.g. moto) on AWS.

Both implement the same small interface of whole-object reads and writes under string keys such as
`raw/source/home_01.csv`. Writes are atomic (a local temp file renamed into place; a single S3 PUT), so
a reader never sees half an object and a re-run simply replaces what it wrote.

Plain classes, no Dagster: the code location wraps them as resources (defs/resources.py), and the CLI,
benchmarks and tests use them directly.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ObjectNotFound(FileNotFoundError):
    """Raised for a key the store does not hold."""


class ObjectStore(ABC):
    """Whole-object storage by key (`zone/.../name`); see the module docstring."""

    @abstractmethod
    def put_bytes(self, key: str, data: bytes) -> None: ...

    @abstractmethod
    def get_bytes(self, key: str) -> bytes: ...

    @abstractmethod
    def put_file(self, key: str, path: Path) -> None: ...

    @abstractmethod
    def get_file(self, key: str, path: Path) -> None: ...

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def list_keys(self, prefix: str) -> list[str]:
        """Every key starting with `prefix`, sorted."""

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def uri(self, key: str) -> str:
        """Where a person (or Redshift COPY) finds the object: a path or an s3:// URI."""

    def local_path(self, key: str) -> Path | None:
        """The object's file when the store is a local directory (read without copying), else None."""
        return None

    @abstractmethod
    def list_fingerprints(self, prefix: str) -> dict[str, str]:
        """Every key under `prefix` -> a cheap fingerprint that changes when the object does (no read):
        size and modification time locally, size and ETag on S3. What a sensor compares between ticks."""

    def download_uri(self, uri: str, path: Path) -> None:
        """Copy an object named by a full URI (any key of the store's bucket or account) to a local file.

        For source files given as `s3://...` (SMARTHOME_SOURCE_FILES): they are read through the store's own
        client (endpoint, region, credentials), not from the store's key space.
        """
        raise ValueError(f"this object store cannot read {uri!r}: use the S3 object store (SMARTHOME_ENV=aws)")


@functools.lru_cache(maxsize=64)
def _resolved_root(root: str) -> str:
    return str(Path(root).resolve())


def _temporary_beside(path: Path) -> tuple[int, str]:
    """A new temporary file in the target's folder (renamed over the target once written), making the
    folder only when it is missing: a `mkdir` of a folder that exists is not free, and most of a year's
    staged and clean objects go into folders that exist."""
    try:
        return tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        return tempfile.mkstemp(dir=path.parent, prefix=".tmp-")


@dataclass(frozen=True)
class LocalObjectStore(ObjectStore):
    """A directory standing in for an S3 bucket."""

    root: str

    def _path(self, key: str) -> Path:
        """The key's file. A key cannot leave the store (an absolute key or `..` past the root is refused);
        checked on the string, because resolving every component on disk is a measurable part of a year's
        load (thousands of objects). Links inside the folder are followed, as for any local path."""
        root = _resolved_root(self.root)
        path = os.path.normpath(os.path.join(root, key))
        if not path.startswith(root + os.sep) and path != root:
            raise ValueError(f"object key escapes the store: {key!r}")
        return Path(path)

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def put_bytes(self, key: str, data: bytes) -> None:
        path = self._path(key)
        fd, tmp = _temporary_beside(path)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise ObjectNotFound(f"no object {key!r} in {self.root}") from exc

    def put_file(self, key: str, path: Path) -> None:
        target = self._path(key)
        fd, tmp = _temporary_beside(target)
        os.close(fd)
        try:
            shutil.copyfile(path, tmp)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get_file(self, key: str, path: Path) -> None:
        source = self._path(key)
        if not source.exists():
            raise ObjectNotFound(f"no object {key!r} in {self.root}")
        shutil.copyfile(source, path)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list_keys(self, prefix: str) -> list[str]:
        root = Path(self.root)
        base = root / prefix
        start = base if base.is_dir() else base.parent
        if not start.exists():
            return []
        keys = (p.relative_to(root).as_posix() for p in start.rglob("*") if p.is_file())
        return sorted(k for k in keys if k.startswith(prefix) and not Path(k).name.startswith(".tmp-"))

    def list_fingerprints(self, prefix: str) -> dict[str, str]:
        root = Path(self.root)
        out = {}
        for key in self.list_keys(prefix):
            try:
                st = (root / key).stat()
            except FileNotFoundError:
                continue  # replaced or removed between the listing and the stat
            out[key] = f"{st.st_size}:{st.st_mtime_ns}"
        return out

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def uri(self, key: str) -> str:
        return str(self._path(key))


@dataclass
class S3ObjectStore(ObjectStore):
    """S3, or any S3-compatible endpoint such as a moto server (`endpoint_url`).

    Credentials come from boto3's usual chain (the ECS task role on AWS); the explicit keys exist for
    S3-compatible test servers only.
    """

    bucket: str
    prefix: str = ""
    region_name: str | None = None
    endpoint_url: str | None = None
    aws_access_key_id: str | None = field(default=None, repr=False)
    aws_secret_access_key: str | None = field(default=None, repr=False)
    _client: Any = field(default=None, init=False, repr=False, compare=False)

    def _key(self, key: str) -> str:
        return f"{self.prefix.strip('/')}/{key}" if self.prefix.strip("/") else key

    def _c(self):
        if self._client is None:
            import boto3

            self._client = boto3.session.Session().client(
                "s3",
                region_name=self.region_name or None,
                endpoint_url=self.endpoint_url or None,
                aws_access_key_id=self.aws_access_key_id or None,
                aws_secret_access_key=self.aws_secret_access_key or None,
            )
        return self._client

    def put_bytes(self, key: str, data: bytes) -> None:
        self._c().put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def get_bytes(self, key: str) -> bytes:
        client = self._c()
        try:
            return client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except client.exceptions.NoSuchKey as exc:
            raise ObjectNotFound(f"no object s3://{self.bucket}/{self._key(key)}") from exc

    def put_file(self, key: str, path: Path) -> None:
        self._c().upload_file(str(path), self.bucket, self._key(key))

    def get_file(self, key: str, path: Path) -> None:
        if not self.exists(key):
            raise ObjectNotFound(f"no object s3://{self.bucket}/{self._key(key)}")
        self._c().download_file(self.bucket, self._key(key), str(path))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._c().head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def list_keys(self, prefix: str) -> list[str]:
        paginator = self._c().get_paginator("list_objects_v2")
        strip = len(self._key(""))
        keys = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
            keys.extend(obj["Key"][strip:] for obj in page.get("Contents", []))
        return sorted(keys)

    def list_fingerprints(self, prefix: str) -> dict[str, str]:
        paginator = self._c().get_paginator("list_objects_v2")
        strip = len(self._key(""))
        out = {}
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
            for obj in page.get("Contents", []):
                out[obj["Key"][strip:]] = f"{obj['Size']}:{obj['ETag'].strip(chr(34))}"
        return dict(sorted(out.items()))

    def delete(self, key: str) -> None:
        self._c().delete_object(Bucket=self.bucket, Key=self._key(key))

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def download_uri(self, uri: str, path: Path) -> None:
        from botocore.exceptions import ClientError

        bucket, _, key = uri.removeprefix("s3://").partition("/")
        if not uri.startswith("s3://") or not bucket or not key:
            raise ValueError(f"not an s3://bucket/key URI: {uri!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tmp-{path.name}")
        try:
            self._c().download_file(bucket, key, str(tmp))
        except ClientError as exc:
            tmp.unlink(missing_ok=True)
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise ObjectNotFound(f"source file not found: {uri}") from exc
            raise
        os.replace(tmp, path)


def sha256_of_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()
