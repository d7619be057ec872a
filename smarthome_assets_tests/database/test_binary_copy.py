"""The binary COPY encoder against a real PostgreSQL server: every value comes back as Arrow had it, text with
its nulls and multi-byte characters, floats to the last bit (NaN and infinities included), instants exactly."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import psycopg2
import pyarrow as pa
import pytest

from smarthome_assets.database.binary_copy import BinaryCopyStream, encode_rows

SCHEMA = pa.schema(
    [
        pa.field("label", pa.string()),  # text first: the row's field count comes before it
        pa.field("house_id", pa.int32(), False),
        pa.field("at", pa.timestamp("us", tz="UTC"), False),
        pa.field("raw", pa.int64(), False),
        pa.field("note", pa.string()),
        pa.field("value", pa.float64(), False),
    ]
)
ROWS = {
    "label": ["a", None, 'é, "quoted"\nline', ""],
    "house_id": [1, -7, 2_147_483_647, 0],
    "at": [
        datetime(2016, 1, 1, 5, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),  # before PostgreSQL's epoch
        datetime(2000, 1, 1, tzinfo=UTC),
        datetime(2262, 4, 11, tzinfo=UTC),
    ],
    "raw": [1451624400, -1, 2**62, 0],
    "note": [None, None, "x" * 300, "Partly Cloudy"],
    "value": [0.1, -3.33e-05, math.inf, math.nan],
}


@pytest.fixture
def table_url(fresh_database):
    url, _ = fresh_database
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE t (label text, house_id integer, at timestamptz, raw bigint, note text, value float8)"
        )
    return url


def _copy(url: str, batches: list[pa.RecordBatch]) -> int:
    stream = BinaryCopyStream(iter(batches))
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.copy_expert(f"COPY t ({', '.join(SCHEMA.names)}) FROM STDIN WITH (FORMAT binary)", stream, size=7)
    return stream.rows


def test_every_value_round_trips(table_url):
    table = pa.Table.from_pydict(ROWS, schema=SCHEMA)
    assert _copy(table_url, table.to_batches(max_chunksize=3)) == 4  # two batches, read 7 bytes at a time
    with psycopg2.connect(table_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT label, house_id, at, raw, note, value FROM t ORDER BY raw")
        got = cur.fetchall()
    expected = sorted(zip(*ROWS.values(), strict=True), key=lambda r: r[3])
    for row, want in zip(got, expected, strict=True):
        assert row[:5] == want[:5]
        assert row[5] == want[5] or (math.isnan(row[5]) and math.isnan(want[5]))


def test_an_empty_stream_and_empty_batches_copy_nothing(table_url):
    empty = pa.Table.from_pydict({k: [] for k in ROWS}, schema=SCHEMA)
    assert _copy(table_url, empty.to_batches()) == 0
    assert _copy(table_url, []) == 0


def test_nulls_in_a_fixed_width_column_are_refused():
    schema = pa.schema([pa.field("value", pa.float64())])
    with pytest.raises(ValueError, match="nulls"):
        encode_rows(pa.record_batch([pa.array([1.0, None])], schema=schema))
