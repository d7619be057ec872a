"""Arrow record batches as PostgreSQL's binary COPY stream, built by numpy and Arrow kernels, not row by row.

A row of `COPY ... FROM STDIN (FORMAT binary)` is a 16-bit field count, then per field a 32-bit length and the
value in network byte order. Runs of fixed-width columns (int32, int64, timestamp, float64; never null here)
become one numpy record array per batch; a text column becomes its lengths (-1 for null) and its UTF-8 bytes;
one `binary_join_element_wise` then lays every row out in place. Measured against ADBC's ingest of the same
rows, the client spends a fraction of the CPU (docs/DESIGN_NOTES.md), and the server sees the same binary COPY.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC).
_PG_EPOCH_US = 946_684_800_000_000
_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_TRAILER = (-1).to_bytes(2, "big", signed=True)
_EMPTY = pa.scalar(b"", pa.binary())


def _fixed_format(field: pa.Field) -> str | None:
    """The big-endian numpy format of a fixed-width column, None for text."""
    if field.type == pa.int32():
        return ">i4"
    if field.type == pa.int64() or pa.types.is_timestamp(field.type):
        return ">i8"
    if field.type == pa.float64():
        return ">f8"
    if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
        return None
    raise TypeError(f"no binary COPY encoding for column {field.name!r} of type {field.type}")


def _fixed_run(batch: pa.RecordBatch, indices: list[int], with_count: bool) -> pa.Array:
    """Several adjacent fixed-width columns (and the row's field count) as one binary value per row."""
    layout = [("count", ">i2")] if with_count else []
    for i in indices:
        layout += [(f"n{i}", ">i4"), (f"v{i}", _fixed_format(batch.schema.field(i)))]
    rows = np.empty(batch.num_rows, np.dtype(layout))
    if with_count:
        rows["count"] = batch.num_columns
    for i in indices:
        column = batch.column(i)
        if column.null_count:
            raise ValueError(f"column {batch.schema.field(i).name!r} has nulls: not supported by this encoder")
        rows[f"n{i}"] = rows.dtype[f"v{i}"].itemsize
        if pa.types.is_timestamp(column.type):
            rows[f"v{i}"] = column.cast(pa.int64()).to_numpy() - _PG_EPOCH_US
        else:
            rows[f"v{i}"] = column.to_numpy()
    width = rows.dtype.itemsize
    offsets = np.arange(0, (batch.num_rows + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.binary(), batch.num_rows, [None, pa.py_buffer(offsets), pa.py_buffer(rows)])


def _text(column: pa.Array) -> list[pa.Array]:
    """A text column's lengths (-1 for null) and its bytes (nothing for null)."""
    values = column.cast(pa.binary())
    lengths = pc.fill_null(pc.binary_length(values), -1).to_numpy(zero_copy_only=False).astype(">i4")
    offsets = np.arange(0, (len(column) + 1) * 4, 4, dtype=np.int32)
    prefix = pa.Array.from_buffers(pa.binary(), len(column), [None, pa.py_buffer(offsets), pa.py_buffer(lengths)])
    return [prefix, values]


def encode_rows(batch: pa.RecordBatch) -> pa.Buffer:
    """The batch's rows in binary COPY format (no header or trailer)."""
    pieces: list[pa.Array] = []
    run: list[int] = []
    for i, field in enumerate(batch.schema):
        if _fixed_format(field) is not None:
            run.append(i)
            continue
        pieces.append(_fixed_run(batch, run, with_count=not pieces))
        run = []
        pieces.extend(_text(batch.column(i)))
    if run or not pieces:
        pieces.append(_fixed_run(batch, run, with_count=not pieces))
    rows = (
        pieces[0]
        if len(pieces) == 1
        else pc.binary_join_element_wise(*pieces, _EMPTY, null_handling="replace", null_replacement=b"")
    )
    offsets = np.frombuffer(rows.buffers()[1], np.int32, len(rows) + 1, rows.offset * 4)
    return rows.buffers()[2][int(offsets[0]) : int(offsets[-1])]


class BinaryCopyStream(io.RawIOBase):
    """A file-like object for psycopg2's `copy_expert`: the header, each batch's rows as it is reached (the
    batches are produced while the server takes the previous ones), and the trailer."""

    def __init__(self, batches: Iterator[pa.RecordBatch]):
        super().__init__()
        self._batches = iter(batches)
        self._pending = memoryview(_HEADER)
        self._done = False
        self.rows = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while not self._pending and not self._done:
            batch = next(self._batches, None)
            if batch is None:
                self._pending, self._done = memoryview(_TRAILER), True
            elif batch.num_rows:
                self.rows += batch.num_rows
                self._pending = memoryview(encode_rows(batch))
        size = len(self._pending) if size is None or size < 0 else size
        chunk, self._pending = self._pending[:size], self._pending[size:]
        return bytes(chunk)
