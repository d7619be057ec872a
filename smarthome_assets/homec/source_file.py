"""The bytes of a HomeC file before any CSV parsing: opening, counting lines, splitting lines, the header.

Why a separate layer: the only honest way to know that no row was lost is to count the file's lines
without the CSV parser, and to make sure the parser cannot join lines. A HomeC file has no quoted fields
and no multi-line values, so a physical line here is exactly one row: a line ends at `\\n`, `\\r\\n` or a
lone `\\r` (the three endings pyarrow's parser also splits on; a file may mix them). A `"` or a NUL byte
in a line is damage, never quoting.

Compressed input: gzip is read transparently (the landed copy stays the `.gz` bytes); other archive
formats are rejected by name, because guessing which member is the data would be worse than asking.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from smarthome_assets.homec import contract
from smarthome_assets.homec.errors import SourceFormatError

#: A `time` further than this from its axis's origin is not the file's clock (200 years, whatever the unit).
MAX_CLOCK_SECONDS = 200 * 366 * 86_400
#: The same bound in HomeC's own units (one a minute), for files read on the row-position rule.
MAX_TIME_OFFSET = MAX_CLOCK_SECONDS // contract.SECONDS_PER_TIME_UNIT

_CHUNK = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
#: Archive and compression formats we do not unpack, by their first bytes: rejected with their name.
_OTHER_ARCHIVES = {
    b"PK\x03\x04": "a zip archive",
    b"BZh": "a bzip2-compressed file",
    b"\xfd7zXZ\x00": "an xz-compressed file",
    b"\x28\xb5\x2f\xfd": "a zstd-compressed file",
    b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive",
}
_LINE_END = re.compile(rb"\r\n|\r|\n")
_WHOLE_TIME = re.compile(rb"^([+-]?[0-9]{1,18})(?:\.0*)?$")  # as the reader accepts it: 1451624400 or 1451624400.0


def open_source(path: Path, name: str) -> BinaryIO:
    """The file's CSV bytes: gzip decompressed on the fly; other archives refused with what to do."""
    with open(path, "rb") as probe:
        magic = probe.read(8)
    if magic.startswith(_GZIP_MAGIC):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    for prefix, what in _OTHER_ARCHIVES.items():
        if magic.startswith(prefix):
            raise SourceFormatError(
                name, f"the file is {what}, not CSV text: extract the HomeC CSV (or gzip it) and give that file"
            )
    return open(path, "rb")


class LineCountingReader(io.RawIOBase):
    """Passes bytes through to the CSV parser while counting physical lines (and reads holding `"` or NUL).

    Counting rides on the parser's own reads (one pass over the bytes, at memchr speed), so the count is
    independent of how the parser splits rows but costs no second read of the file.
    """

    def __init__(self, raw: BinaryIO):
        super().__init__()
        self._raw = raw
        self.terminators = 0
        self.quotes = 0
        self.nuls = 0
        self.bytes_read = 0
        self._last = b""  # the last byte seen: a final line without an ending still counts

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        if n:
            buffer[:n] = data
            self._observe(data)
        return n

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if data:
            self._observe(data)
        return data

    def _observe(self, data: bytes) -> None:
        newlines = int(np.count_nonzero(np.frombuffer(data, np.uint8) == 10))  # several times bytes.count(b"\n")
        if b"\r" in data:  # `in` is a memchr scan: far cheaper than count() on the (usual) LF-only file
            newlines += data.count(b"\r") - data.count(b"\r\n")
        if self._last == b"\r" and data[:1] == b"\n":
            newlines -= 1  # a \r\n split across two reads is one ending
        self.terminators += newlines
        self.quotes += b'"' in data  # only whether there are any: reads with one send the file to the exact pass
        self.nuls += b"\0" in data
        self.bytes_read += len(data)
        self._last = data[-1:]

    @property
    def physical_lines(self) -> int:
        unterminated = self.bytes_read > 0 and self._last not in (b"\n", b"\r")
        return self.terminators + int(unterminated)

    @property
    def data_lines(self) -> int:
        """Physical lines after the header."""
        return max(0, self.physical_lines - 1)

    def close(self) -> None:
        self._raw.close()
        super().close()


def physical_lines(stream: BinaryIO) -> Iterator[bytes]:
    """The file's lines without their endings, split on `\\r\\n`, `\\r` or `\\n`, streamed in chunks."""
    for block in physical_line_blocks(stream):
        yield from block


def physical_line_blocks(stream: BinaryIO) -> Iterator[list[bytes]]:
    """`physical_lines` a chunk at a time: whole-chunk checks (no `"`, all ASCII) then spare per-line work."""
    rest = b""
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        data = rest + chunk
        # a chunk ending in \r may be the first half of a \r\n: keep it for the next chunk to decide
        body, tail = (data[:-1], b"\r") if data.endswith(b"\r") else (data, b"")
        parts = _LINE_END.split(body) if b"\r" in body else body.split(b"\n")  # bytes.split: 10x the regex
        rest = parts.pop() + tail
        if parts:
            yield parts
    if rest.endswith(b"\r"):  # a last line ended by a lone \r (maybe empty: it still counts)
        yield [rest[:-1]]
    elif rest:  # a last line without an ending
        yield [rest]


def _first_line(path: Path, name: str) -> bytes:
    with open_source(path, name) as stream:
        head = stream.read(1 << 16)
    if not head:
        raise SourceFormatError(name, "the file is empty (expected the HomeC header and data rows)")
    return _LINE_END.split(head, maxsplit=1)[0]


def check_header(path: Path, name: str) -> None:
    """Fail with a named error on anything that makes the file not HomeC: empty, not text, a wrong separator,
    a pandas index column, missing, extra or reordered columns."""
    first = _first_line(path, name)
    try:
        text = first.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(
            name, f"the header is not UTF-8 text (byte {exc.start}): is this a HomeC CSV file?", line=1
        ) from exc
    header = text.split(",")
    expected = list(contract.RAW_HEADER)
    if header == expected:
        return
    for separator, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
        if len(header) == 1 and separator in text:
            raise SourceFormatError(
                name,
                f"the fields are separated by {label}; HomeC separates them with commas: re-export the file as "
                "comma-separated CSV",
                line=1,
            )
    if header[1:] == expected and header[0] in ("", "Unnamed: 0", "index"):
        raise SourceFormatError(
            name,
            "the first column is an unnamed row index (as pandas `to_csv` writes without index=False), not "
            "HomeC's `time`: write the file with `to_csv(..., index=False)` or delete the first column",
            line=1,
            column=header[0] or None,
        )
    if any('"' in h for h in header):
        raise SourceFormatError(
            name, 'the header has quoted names; HomeC has no quotes: remove the `"` characters', line=1
        )
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    if missing:
        hint = f"; found instead: {', '.join(map(repr, extra))}" if extra else ""
        raise SourceFormatError(
            name, f"missing column(s) {', '.join(map(repr, missing))}{hint}", line=1, column=missing[0]
        )
    if extra:
        raise SourceFormatError(
            name,
            f"unexpected column(s) {', '.join(map(repr, extra))} (HomeC has exactly 32 columns)",
            line=1,
            column=extra[0],
        )
    moved = next(c for c, h in zip(expected, header, strict=True) if c != h)
    raise SourceFormatError(name, "columns are out of order (expected HomeC's order)", line=1, column=moved)


def column_at(line: bytes, offset: int) -> str | None:
    """The HomeC column a byte offset of a data line falls in (commas before it), for messages."""
    fields = line[:offset].count(b",")
    return contract.RAW_HEADER[fields] if fields < len(contract.RAW_HEADER) else None


def time_span(path: Path, tail_bytes: int = 1 << 16) -> tuple[int, int] | None:
    """The earliest and latest of the file's first and last `time`, from its head and tail (to pick
    partitions). None when unreadable or off the file's clock (the reader then says why, by name): a
    newest-first file still selects its days, and the reader names the ordering problem."""

    def first_int(lines: list[bytes]) -> int | None:
        for raw in lines:
            match = _WHOLE_TIME.match(raw.split(b",", 1)[0].strip())
            if match:
                return int(match.group(1))
        return None

    try:
        with open_source(path, path.name) as stream:
            head_lines = physical_lines(stream)
            next(head_lines, None)
            first = first_int([line for _, line in zip(range(100), head_lines, strict=False)])
        with open_source(path, path.name) as stream:
            tail = _tail(stream, tail_bytes)
    except (SourceFormatError, OSError, EOFError, zlib.error):
        return None
    last = first_int(list(reversed(tail)))
    if first is None or last is None:
        return None
    if max(abs(first - contract.TIME_ORIGIN), abs(last - contract.TIME_ORIGIN)) > MAX_TIME_OFFSET:
        return None
    return min(first, last), max(first, last)


def _tail(stream, tail_bytes: int) -> list[bytes]:
    if isinstance(stream, io.BufferedReader):
        stream.seek(0, 2)
        stream.seek(max(0, stream.tell() - tail_bytes))
        data = stream.read()
    else:  # compressed: stream through, keeping the end
        data = b""
        while chunk := stream.read(1 << 20):
            data = (data + chunk)[-tail_bytes:]
    return list(physical_lines(io.BytesIO(data)))[1:]
