"""The lake's days as partitions of the Glue tables, for Redshift Spectrum.

Athena finds the days by partition projection (deploy/terraform/lake.tf), so it needs nothing here. Spectrum does
not use projection: it reads the partitions registered in the Glue catalog. So each day written to an S3 lake is
registered once, with the table's own storage descriptor pointing at the day's prefix; a day already registered
is left alone, so re-runs are free.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from smarthome_assets.lake import layout
from smarthome_assets.storage.object_store import ObjectStore

#: BatchCreatePartition takes at most 100 partitions a call.
_BATCH = 100


@dataclass
class GlueCatalog:
    """The Glue database holding the lake's tables (deploy/terraform/lake.tf); endpoint and keys for tests only."""

    database: str
    region_name: str | None = None
    endpoint_url: str | None = None
    aws_access_key_id: str | None = field(default=None, repr=False)
    aws_secret_access_key: str | None = field(default=None, repr=False)

    def client(self) -> Any:
        import boto3

        return boto3.session.Session().client(
            "glue",
            region_name=self.region_name or None,
            endpoint_url=self.endpoint_url or None,
            aws_access_key_id=self.aws_access_key_id or None,
            aws_secret_access_key=self.aws_secret_access_key or None,
        )

    def register_days(self, store: ObjectStore, days: Iterable[date | str]) -> dict[str, int]:
        """Register each day as a partition of both tables; returns table -> partitions newly created."""
        client, created = self.client(), {}
        days = [str(d) for d in days]
        for table in layout.TABLES:
            descriptor = client.get_table(DatabaseName=self.database, Name=table)["Table"]["StorageDescriptor"]
            created[table] = 0
            for start in range(0, len(days), _BATCH):
                inputs = []
                for day in days[start : start + _BATCH]:
                    sd = copy.deepcopy(descriptor)
                    sd["Location"] = store.uri(layout.day_prefix(table, day))
                    inputs.append({"Values": [day], "StorageDescriptor": sd})
                answer = client.batch_create_partition(
                    DatabaseName=self.database, TableName=table, PartitionInputList=inputs
                )
                refused = answer.get("Errors", [])
                errors = [e for e in refused if e["ErrorDetail"]["ErrorCode"] != "AlreadyExistsException"]
                if errors:
                    values, detail = errors[0]["PartitionValues"], errors[0]["ErrorDetail"]["ErrorMessage"]
                    raise RuntimeError(f"Glue refused partition {values} of {table}: {detail}")
                created[table] += len(inputs) - len(refused)
        return created
