"""Resources, chosen per environment from one dict (`SMARTHOME_ENV`: local by default, or aws).

local: a directory as the object store and the embedded PostgreSQL server (operational database and
warehouse); aws: S3 by bucket and region, RDS by URL with SSL, Redshift. Secrets come from `dg.EnvVar`.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
from dagster_aws.s3 import S3Resource

from smarthome_assets.resources.object_store import LocalObjectStore, S3ObjectStore
from smarthome_assets.resources.postgres import EmbeddedPostgres, PostgresUrl
from smarthome_assets.resources.sources import HomeCSources
from smarthome_assets.settings import Settings, load_settings


def local_resources(settings: Settings) -> dict[str, Any]:
    # Domain resources build on the base ones in this package, so they are imported when used, not above.
    from smarthome_assets.exports.api_client import ApiClient
    from smarthome_assets.warehouse.resource import PostgresWarehouse

    return {
        "object_store": LocalObjectStore(root=str(settings.object_store_root)),
        "postgres": EmbeddedPostgres(pgdata=str(settings.pgdata), database="smarthome"),
        "sources": HomeCSources(paths=list(settings.source_files), default_dir=str(settings.generated_data_dir)),
        "api_client": ApiClient(database=EmbeddedPostgres(pgdata=str(settings.pgdata), database="smarthome")),
        "warehouse": PostgresWarehouse(database=EmbeddedPostgres(pgdata=str(settings.pgdata), database="warehouse")),
    }


def aws_resources(settings: Settings) -> dict[str, Any]:
    from smarthome_assets.exports.api_client import ApiClient
    from smarthome_assets.warehouse.resource import RedshiftWarehouse

    store = S3ObjectStore(
        bucket=dg.EnvVar("SMARTHOME_S3_BUCKET"),
        prefix=settings.s3_prefix,
        s3=S3Resource(region_name=dg.EnvVar("AWS_REGION"), endpoint_url=settings.s3_endpoint_url),
    )
    # IAM (Serverless workgroup or cluster) leaves no password to pass; the password path stays for the rest.
    redshift_login = (
        {"workgroup_name": settings.redshift_workgroup, "cluster_identifier": settings.redshift_cluster_identifier}
        if settings.redshift_iam
        else {"password": dg.EnvVar("SMARTHOME_REDSHIFT_PASSWORD")}
    )
    return {
        "object_store": store,
        "postgres": PostgresUrl(database_url=dg.EnvVar("SMARTHOME_DATABASE_URL"), sslmode=settings.database_sslmode),
        "sources": HomeCSources(
            paths=list(settings.source_files),
            default_dir=str(settings.generated_data_dir),
            object_store=store,
            cache_dir=str(settings.home / "sources"),
        ),
        "api_client": ApiClient(base_url=dg.EnvVar("SMARTHOME_API_URL"), api_key=dg.EnvVar("SMARTHOME_API_KEY")),
        "warehouse": RedshiftWarehouse(
            host=dg.EnvVar("SMARTHOME_REDSHIFT_HOST"),
            database=dg.EnvVar("SMARTHOME_REDSHIFT_DATABASE"),
            user=settings.redshift_user,
            region_name=dg.EnvVar("AWS_REGION"),
            iam_role=dg.EnvVar("SMARTHOME_REDSHIFT_IAM_ROLE"),
            **redshift_login,
        ),
    }


RESOURCES_BY_ENV = {"local": local_resources, "aws": aws_resources}


def resources_for_env(settings: Settings | None = None) -> dict[str, Any]:
    settings = settings or load_settings()
    return RESOURCES_BY_ENV[settings.env](settings)
