"""The resources of the code location, chosen per environment (`SMARTHOME_ENV`: local by default, or aws).

Each is a `ConfigurableResource` that shows its settings in the UI and hands the assets the plain library
object (`create_resource`). Secrets are `dg.EnvVar`s, resolved in the run's process and never logged; the
rest comes from the one settings reader (`settings.py`). local: a directory, the embedded PostgreSQL, the
handler in-process. aws: S3, RDS with SSL, the deployed API over HTTPS, Redshift."""

from datetime import datetime
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from smarthome_assets.database.connection import EmbeddedPostgres, PostgresDatabase, PostgresUrl
from smarthome_assets.exports.api_client import ApiClient
from smarthome_assets.ingestion.sources import HomeCSources
from smarthome_assets.lake.engine import Lake
from smarthome_assets.lake.glue import GlueCatalog
from smarthome_assets.monitoring.alerts import AlertSink
from smarthome_assets.settings import ALERT_WEBHOOK_VARIABLE, Settings, load_settings
from smarthome_assets.storage.object_store import LocalObjectStore, ObjectStore, S3ObjectStore
from smarthome_assets.warehouse.resource import PostgresWarehouse, RedshiftWarehouse, Warehouse


class S3ObjectStoreResource(dg.ConfigurableResource):
    """S3 by bucket and key prefix (an S3-compatible endpoint, such as a moto server, when set)."""

    bucket: str
    prefix: str = "smarthome"
    region_name: str | None = None
    endpoint_url: str | None = None

    def create_resource(self, context: dg.InitResourceContext) -> ObjectStore:
        return S3ObjectStore(self.bucket, self.prefix, self.region_name, self.endpoint_url)


class PostgresUrlResource(dg.ConfigurableResource):
    """RDS (or any PostgreSQL) by a libpq URL that may hold the password: never logged."""

    database_url: str
    sslmode: str = "require"

    def create_resource(self, context: dg.InitResourceContext) -> PostgresDatabase:
        return PostgresUrl(self.database_url, self.sslmode)


class HttpApiResource(dg.ConfigurableResource):
    """The deployed read API (API Gateway) over HTTPS, with its API key (sent as x-api-key)."""

    base_url: str
    api_key: str = ""

    def create_resource(self, context: dg.InitResourceContext) -> ApiClient:
        return ApiClient(base_url=self.base_url, api_key=self.api_key)


class RedshiftResource(dg.ConfigurableResource):
    """Redshift (Serverless by workgroup, or a cluster): IAM temporary credentials, or a password."""

    host: str
    database: str = "dev"
    user: str = ""
    password: str = ""
    workgroup_name: str = ""
    cluster_identifier: str = ""
    region_name: str = ""
    iam_role: str = "default"
    lake_glue_database: str = ""
    spectrum_iam_role: str = ""

    def create_resource(self, context: dg.InitResourceContext) -> Warehouse:
        return RedshiftWarehouse(**self.model_dump())


class HomeCSourcesResource(dg.ConfigurableResource):
    """HomeC source files to deliver before landing: local paths, or s3:// URIs read through the object store."""

    object_store: dg.ResourceDependency[ObjectStore]
    paths: list[str]
    cache_dir: str = ""
    #: ISO 8601: the instant HomeC's first row stands for (SMARTHOME_TIMEFRAME_ORIGIN).
    timeframe_origin: str

    def create_resource(self, context: dg.InitResourceContext) -> HomeCSources:
        return HomeCSources(
            paths=list(self.paths),
            timeframe_origin=datetime.fromisoformat(self.timeframe_origin),
            object_store=self.object_store,
            cache_dir=self.cache_dir,
        )


class LakeResource(dg.ConfigurableResource):
    """The lake in the S3 object store: mirrored under `cache_dir` for DuckDB, its days registered as partitions
    of the Glue database `glue_database` for Redshift Spectrum (empty: not registered)."""

    object_store: dg.ResourceDependency[ObjectStore]
    cache_dir: str
    glue_database: str = ""
    region_name: str | None = None

    def create_resource(self, context: dg.InitResourceContext) -> Lake:
        glue = GlueCatalog(self.glue_database, self.region_name) if self.glue_database else None
        return Lake(store=self.object_store, cache_dir=self.cache_dir, glue=glue)


class AlertSinkResource(dg.ConfigurableResource):
    """Failure alerts: a record in the object store, and a Slack-compatible webhook when its URL (a secret, from
    SMARTHOME_ALERT_WEBHOOK_URL) is set."""

    object_store: dg.ResourceDependency[ObjectStore]
    webhook_url: str = ""

    def create_resource(self, context: dg.InitResourceContext) -> AlertSink:
        return AlertSink(store=self.object_store, webhook_url=self.webhook_url)


def _alerts(settings: Settings, store: Any) -> AlertSinkResource:
    """The URL is read from the environment by Dagster when the sensor runs, only if it is set at all."""
    webhook = dg.EnvVar(ALERT_WEBHOOK_VARIABLE) if settings.alert_webhook_set else ""
    return AlertSinkResource(object_store=store, webhook_url=webhook)


def local_resources(settings: Settings) -> dict[str, Any]:
    database = EmbeddedPostgres(pgdata=str(settings.pgdata), database="smarthome")
    store = LocalObjectStore(root=str(settings.object_store_root))
    return {
        "object_store": store,
        "postgres": database,
        "sources": HomeCSources(paths=list(settings.source_files), timeframe_origin=settings.timeframe_origin),
        "api_client": ApiClient(database=database),
        "warehouse": PostgresWarehouse(database=EmbeddedPostgres(pgdata=str(settings.pgdata), database="warehouse")),
        "lake": Lake(store=store, cache_dir=str(settings.lake_cache_dir)),
        "lake_duckdb": DuckDBResource(database=str(settings.lake_duckdb_path)),
        "dashboard_dir": str(settings.dashboard_dir),
        "alerts": _alerts(settings, store),
    }


def aws_resources(settings: Settings) -> dict[str, Any]:
    store = S3ObjectStoreResource(
        bucket=dg.EnvVar("SMARTHOME_S3_BUCKET"),
        prefix=settings.s3_prefix,
        region_name=dg.EnvVar("AWS_REGION"),
        endpoint_url=settings.s3_endpoint_url,
    )
    # IAM (a Serverless workgroup or a cluster) leaves no password to pass; the password path stays for the rest.
    redshift_login = (
        {"workgroup_name": settings.redshift_workgroup, "cluster_identifier": settings.redshift_cluster_identifier}
        if settings.redshift_iam
        else {"password": dg.EnvVar("SMARTHOME_REDSHIFT_PASSWORD")}
    )
    return {
        "object_store": store,
        "postgres": PostgresUrlResource(
            database_url=dg.EnvVar("SMARTHOME_DATABASE_URL"), sslmode=settings.database_sslmode
        ),
        "sources": HomeCSourcesResource(
            object_store=store,
            paths=list(settings.source_files),
            cache_dir=str(settings.home / "sources"),
            timeframe_origin=settings.timeframe_origin.isoformat(),
        ),
        "api_client": HttpApiResource(base_url=dg.EnvVar("SMARTHOME_API_URL"), api_key=dg.EnvVar("SMARTHOME_API_KEY")),
        "warehouse": RedshiftResource(
            host=dg.EnvVar("SMARTHOME_REDSHIFT_HOST"),
            database=dg.EnvVar("SMARTHOME_REDSHIFT_DATABASE"),
            user=settings.redshift_user,
            region_name=dg.EnvVar("AWS_REGION"),
            iam_role=dg.EnvVar("SMARTHOME_REDSHIFT_IAM_ROLE"),
            lake_glue_database=settings.lake_glue_database,
            spectrum_iam_role=settings.spectrum_iam_role,
            **redshift_login,
        ),
        "lake": LakeResource(
            object_store=store,
            cache_dir=str(settings.lake_cache_dir),
            glue_database=settings.lake_glue_database,
            region_name=dg.EnvVar("AWS_REGION"),
        ),
        "lake_duckdb": DuckDBResource(database=str(settings.lake_duckdb_path)),
        "dashboard_dir": str(settings.dashboard_dir),
        "alerts": _alerts(settings, store),
    }


RESOURCES_BY_ENV = {"local": local_resources, "aws": aws_resources}


def resources_for_env(settings: Settings) -> dict[str, Any]:
    """Every resource the assets ask for, for the settings' environment (the CLI and tests call this too)."""
    return RESOURCES_BY_ENV[settings.env](settings)


@dg.definitions
def resources() -> dg.Definitions:
    """The environment is read here, when Dagster loads the code location, not at import."""
    return dg.Definitions(resources=resources_for_env(load_settings()))
