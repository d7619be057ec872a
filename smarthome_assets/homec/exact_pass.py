"""The reader's exact pass: every line of a damaged file classified, and the good ones handed to the parser.

A line holding `"` is first tried as RFC 4180 quoting: quotes that close within a few lines around exactly
32 fields make one record (white space normalised, `Partly Cloudy`), handed to the parser as one line; a
value that keeps a comma or quote is quarantined once, as one record. Any other damage quarantines its own
line. Each physical line is staged, quarantined, or an extra line of a multi-line record (`joined_lines`)."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from smarthome_assets.homec import contract
from smarthome_assets.homec.rows import Quarantined
from smarthome_assets.homec.source_file import column_at, open_source, physical_line_blocks

FIELDS = len(contract.RAW_HEADER)
MAX_LINE_BYTES = 1 << 16  # far above a real line (about 250 bytes), far below a parse block (1 MB)
#: The most physical lines one quoted record may span; a quote left open longer is a stray quote (damage).
MAX_RECORD_LINES = 4


@dataclass
class ExactPass:
    """Every damaged line of a file, the records rewritten onto one line, and the good lines' numbers."""

    problems: dict[int, Quarantined]
    good_lines: np.ndarray
    data_lines: int
    #: first line of a multi-line or quoted record -> the record as one unquoted line
    rewrites: dict[int, bytes] = field(default_factory=dict)
    #: the second and later lines of multi-line records (part of the record on their first line)
    continuations: set[int] = field(default_factory=set)

    @property
    def joined_lines(self) -> int:
        return len(self.continuations)

    @classmethod
    def run(cls, path: Path, name: str) -> ExactPass:
        problems: dict[int, Quarantined] = {}
        rewrites: dict[int, bytes] = {}
        continuations: set[int] = set()
        good: list[np.ndarray] = []
        first = 2  # the line number of the block's first line (the header is line 1)
        with open_source(path, name) as stream:
            blocks = physical_line_blocks(stream)
            header = next(blocks, [])
            for block in _whole_records(itertools.chain([header[1:]], blocks)):
                verdict = _BlockVerdict.of(block, first)
                problems.update(verdict.problems)
                rewrites.update(verdict.rewrites)
                continuations.update(verdict.continuations)
                numbers = np.arange(first, first + len(block), dtype=np.int64)
                skip = sorted(i - first for i in (*verdict.problems, *verdict.continuations))
                good.append(np.delete(numbers, skip) if skip else numbers)
                first += len(block)
        lines = np.concatenate(good) if good else np.zeros(0, dtype=np.int64)
        return cls(problems, lines, first - 2, rewrites, continuations)


def _whole_records(blocks: Iterable[list[bytes]], most: int = 8) -> Iterator[list[bytes]]:
    """Blocks of lines, a block joined to the next while a quote opened near its end may close there (at most
    `most` blocks together: a quote still open after that is a stray quote, classified on its own line)."""
    held: list[bytes] = []
    joined = 0
    for block in blocks:
        held, joined = held + block, joined + 1
        if joined < most and any(raw.count(b'"') % 2 for raw in held[-(MAX_RECORD_LINES - 1) :]):
            continue
        yield held
        held, joined = [], 0
    if held:
        yield held


@dataclass
class _BlockVerdict:
    problems: dict[int, Quarantined] = field(default_factory=dict)
    rewrites: dict[int, bytes] = field(default_factory=dict)
    continuations: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, block: list[bytes], first: int) -> _BlockVerdict:
        verdict = cls()
        joined = b"\n".join(block)
        if b'"' not in joined and b"\0" not in joined and joined.isascii():
            # every real HomeC block: only field counts and lengths can be wrong, which keeps a year fast
            commas = FIELDS - 1
            for i, raw in enumerate(block):
                if not raw or len(raw) > MAX_LINE_BYTES or raw.count(b",") != commas:
                    verdict.damaged(first + i, raw)
            return verdict
        i = 0
        while i < len(block):
            raw = block[i]
            record = quoted_record(block, i) if b'"' in raw else None
            if record is None:
                if classify_line(raw) is not None:
                    verdict.damaged(first + i, raw)
                i += 1
                continue
            count, values = record
            verdict.continuations += range(first + i + 1, first + i + count)
            unfit = next(((n, v) for n, v in enumerate(values) if "," in v or '"' in v), None)
            if unfit is None:
                verdict.rewrites[first + i] = ",".join(values).encode()
            else:
                column, value = contract.RAW_HEADER[unfit[0]], unfit[1]
                what = "a comma" if "," in value else "a double quote"
                span = f"lines {first + i}-{first + i + count - 1}" if count > 1 else f"line {first + i}"
                reason = f"a quoted value holds {what}, which a HomeC row cannot carry (one record, {span})"
                text = b"\n".join(block[i : i + count])[:500].decode("utf-8", errors="backslashreplace")
                verdict.problems[first + i] = Quarantined(first + i, reason, column, text)
            i += count
        return verdict

    def damaged(self, line: int, raw: bytes) -> None:
        reason, column = classify_line(raw) or ("unclassified damage", None)
        text = raw[:500].decode("utf-8", errors="backslashreplace")
        self.problems[line] = Quarantined(line, reason, column, text)


def quoted_record(block: list[bytes], start: int) -> tuple[int, list[str]] | None:
    """(physical lines, normalised values) when the lines from `start` form one RFC 4180 record of the 32
    fields whose quotes close within MAX_RECORD_LINES lines; None when they do not (a stray quote)."""
    for count in range(1, min(MAX_RECORD_LINES, len(block) - start) + 1):
        lines = block[start : start + count]
        raw = b"\n".join(lines)
        if raw.count(b'"') % 2:
            continue  # still inside a quoted value: take the next line too
        if b"\0" in raw or any(len(line) > MAX_LINE_BYTES for line in lines):
            return None
        try:
            rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline=""), strict=True))
        except (UnicodeDecodeError, csv.Error):
            return None
        if len(rows) != 1 or len(rows[0]) != FIELDS:
            return None
        return count, [" ".join(value.split()) for value in rows[0]]
    return None


def classify_line(raw: bytes) -> tuple[str, str | None] | None:
    """Why a physical data line cannot be a HomeC row (reason, column), or None when it can be parsed."""
    if not raw:
        return "empty line", None
    if len(raw) > MAX_LINE_BYTES:
        return f"line too long: {len(raw):,} bytes (a HomeC line has about 250)", None
    quote = raw.find(b'"')
    if quote >= 0:
        return "a double quote in a value: not RFC 4180 quoting, the line is damaged", column_at(raw, quote)
    nul = raw.find(b"\0")
    if nul >= 0:
        return "binary bytes (NUL) in the line: damaged, e.g. written during a crash", column_at(raw, nul)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text: byte {exc.start} of the line", column_at(raw, exc.start)
    fields = raw.count(b",") + 1
    if fields != FIELDS:
        return f"wrong number of fields: {fields}, expected {FIELDS}", None
    return None


class GoodLines(io.RawIOBase):
    """The file's header and good lines, each ending in `\\n`, as a stream for the parser (a block at a time:
    blocks without a line to drop or rewrite are passed on whole)."""

    def __init__(self, path: Path, name: str, exact: ExactPass):
        super().__init__()
        self._stream = open_source(path, name)
        self._blocks = physical_line_blocks(self._stream)
        self._drop = set(exact.problems) | exact.continuations
        self._rewrites = exact.rewrites
        self._marked = np.array(sorted(self._drop | set(exact.rewrites)), dtype=np.int64)
        self._first = 1  # line number of the next block's first line
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        parts, n = [self._buffer], len(self._buffer)
        while size < 0 or n < size:
            block = next(self._blocks, None)
            if block is None:
                break
            first, self._first = self._first, self._first + len(block)
            if np.searchsorted(self._marked, self._first) > np.searchsorted(self._marked, first):
                block = [self._rewrites.get(i, raw) for i, raw in enumerate(block, start=first) if i not in self._drop]
            if block:
                parts.append(b"\n".join(block) + b"\n")
                n += len(parts[-1])
        data = b"".join(parts)
        cut = len(data) if size < 0 else size
        data, self._buffer = data[:cut], data[cut:]
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()
