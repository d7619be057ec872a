"""Where the lake lives in the object store and what its Parquet files hold (docs/GLOSSARY.md).

One file per table and day, `lake/<table>/date=<day>/part-00000.parquet` (Hive-style, so DuckDB, Athena and
Redshift Spectrum all read `date` as a partition column). A day is replaced by writing that one object again:
a rename locally and a single PUT on S3 are atomic, so a reader sees the old day or the new one, never half a
day and never both. The columns are the export's (the API's rows), typed as in the warehouse.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from smarthome_assets.exports.layout import DAY_TABLES, EXPORT_COLUMNS
from smarthome_assets.homec import contract

PREFIX = "lake/"
#: The lake's tables, named as the export datasets and the API routes (`energy`, `weather`).
TABLES = DAY_TABLES
PART_NAME = "part-00000.parquet"
#: The Hive partition column every engine adds from the folder name.
PARTITION_COLUMN = "date"
COMPRESSION = "zstd"
#: Rows per row group: 1 M rows of `energy` is about 170 MB before compression, in the range Athena and Spectrum
#: split Parquet on (128-512 MB). A home-day is 1,440 rows, so a day file is one row group up to 694 homes.
ROW_GROUP_ROWS = 1_000_000

_TEXT = {c.name for c in contract.WEATHER_TEXT_COLUMNS}
#: Arrow type of each column: the warehouse's type of the same column (INTEGER, TIMESTAMPTZ, BIGINT, DOUBLE
#: PRECISION, VARCHAR), checked against the warehouse's own tables by the lake tests.
_KEY_TYPES = {"house_id": pa.int32(), "timeframe": pa.timestamp("us", tz="UTC"), "time_raw": pa.int64()}


def _arrow_type(column: str) -> pa.DataType:
    if column in _KEY_TYPES:
        return _KEY_TYPES[column]
    return pa.string() if column in _TEXT else pa.float64()


SCHEMAS: dict[str, pa.Schema] = {
    table: pa.schema([pa.field(c, _arrow_type(c), nullable=c not in _KEY_TYPES) for c in EXPORT_COLUMNS[table]])
    for table in TABLES
}

#: The same columns as Glue/Athena types (deploy/terraform/lake.tf declares exactly these; a test holds them).
GLUE_TYPES = {pa.int32(): "int", pa.int64(): "bigint", pa.float64(): "double", pa.string(): "string"}


def glue_type(data_type: pa.DataType) -> str:
    return "timestamp" if pa.types.is_timestamp(data_type) else GLUE_TYPES[data_type]


def table_prefix(table: str) -> str:
    return f"{PREFIX}{table}/"


def day_prefix(table: str, day: date | str) -> str:
    return f"{table_prefix(table)}{PARTITION_COLUMN}={day}/"


def part_key(table: str, day: date | str) -> str:
    return f"{day_prefix(table, day)}{PART_NAME}"


def day_of_key(key: str) -> str | None:
    """The ISO day of a lake key (`lake/energy/date=2016-01-02/part-00000.parquet` -> `2016-01-02`)."""
    marker = f"/{PARTITION_COLUMN}="
    if marker not in key:
        return None
    return key.split(marker, 1)[1].split("/", 1)[0]
