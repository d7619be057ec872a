"""The lake on the AWS path: Parquet into S3 (a moto server over HTTP), mirrored for DuckDB, the days registered
as Glue partitions for Spectrum (moto's Glue), and the warehouse's Spectrum schema in the Redshift SQL.

What cannot run here: Athena and Redshift Spectrum themselves (no emulator), so the partition projection and the
external schema are checked as configuration and SQL text, not by querying them.
"""

from __future__ import annotations

import boto3
import pytest

from smarthome_assets.lake import engine, layout
from smarthome_assets.lake.glue import GlueCatalog
from smarthome_assets.lake.writer import write_days
from smarthome_assets.storage.object_store import S3ObjectStore
from smarthome_assets.warehouse.resource import RedshiftWarehouse
from smarthome_assets.warehouse.sql_files import external_schema_statement
from smarthome_assets_tests.support.whole_chain import days, write_day_export

DAYS = days(2)
GLUE_DB = "smarthome_lake"


def _glue_tables(s3: dict) -> None:
    """The Glue tables as deploy/terraform/lake.tf declares them (columns from the lake's own schema)."""
    glue = boto3.client("glue", **s3)
    glue.create_database(DatabaseInput={"Name": GLUE_DB})
    for table, schema in layout.SCHEMAS.items():
        glue.create_table(
            DatabaseName=GLUE_DB,
            TableInput={
                "Name": table,
                "TableType": "EXTERNAL_TABLE",
                "PartitionKeys": [{"Name": "date", "Type": "date"}],
                "StorageDescriptor": {
                    "Columns": [{"Name": f.name, "Type": layout.glue_type(f.type)} for f in schema],
                    "Location": f"s3://bucket/smarthome/lake/{table}/",
                    "SerdeInfo": {
                        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                    },
                },
            },
        )


def test_an_s3_lake_is_mirrored_for_duckdb_and_registered_for_spectrum(s3_bucket, tmp_path):
    _endpoint, bucket, s3 = s3_bucket
    store = S3ObjectStore(bucket=bucket, prefix="smarthome", **s3)
    for day in DAYS:
        write_day_export(store, day)
    report = write_days(store, DAYS)
    assert store.list_keys(layout.PREFIX) == sorted(layout.part_key(t, d) for t in layout.TABLES for d in DAYS)

    _glue_tables(s3)
    lake = engine.Lake(store=store, cache_dir=str(tmp_path / "cache"), glue=GlueCatalog(GLUE_DB, **s3))
    assert lake.register_days(DAYS) == {"energy": 2, "weather": 2}
    assert lake.register_days(DAYS) == {"energy": 0, "weather": 0}  # a re-run registers nothing twice
    partitions = boto3.client("glue", **s3).get_partitions(DatabaseName=GLUE_DB, TableName="energy")["Partitions"]
    assert sorted(p["StorageDescriptor"]["Location"] for p in partitions) == [
        f"s3://{bucket}/smarthome/lake/energy/date={d}/" for d in DAYS
    ]

    conn = engine.connect(lake.root(DAYS))
    totals = engine.day_totals(conn, DAYS)
    assert totals.rows == {t: {str(d): 2 * 1440 for d in DAYS} for t in layout.TABLES}
    assert report.total("rows") == 2 * 2 * 2 * 1440

    store.delete(layout.part_key("weather", DAYS[0]))  # the mirror follows the store, deletions included
    conn = engine.connect(lake.root())
    assert conn.execute("SELECT count(*) FROM weather").fetchone()[0] == 2 * 1440


def test_the_warehouse_creates_the_spectrum_schema_over_the_glue_database():
    role = "arn:aws:iam::123456789012:role/smarthome-redshift-spectrum"
    warehouse = RedshiftWarehouse(host="h", lake_glue_database=GLUE_DB, spectrum_iam_role=role)
    assert warehouse.external_schemas() == [
        f"CREATE EXTERNAL SCHEMA IF NOT EXISTS lake\nFROM DATA CATALOG DATABASE 'smarthome_lake'\nIAM_ROLE '{role}'"
    ]
    assert RedshiftWarehouse(host="h").external_schemas() == []  # not configured: no schema
    with pytest.raises(ValueError, match="not a schema name"):
        external_schema_statement(GLUE_DB, role, schema="lake; DROP TABLE x")
