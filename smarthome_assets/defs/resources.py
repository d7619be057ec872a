"""The resources of the code location, chosen per environment (`SMARTHOME_ENV`: local by default, or aws).

local: a directory as the object store and the embedded PostgreSQL server (operational database and
warehouse), the API handler called in-process. aws: S3, RDS by URL with SSL, the deployed API over HTTPS,
Redshift. The library classes hold no Dagster; on AWS each is built by a small resource function here
whose secrets are environment-sourced config (`{"env": NAME}`, what `dg.EnvVar` stands for): Dagster
resolves them in the run's process when the resource starts, and never logs or stores their values.
"""

from typing import Any

import dagster as dg

from smarthome_assets.database.connection import EmbeddedPostgres, PostgresDatabase, PostgresUrl
from smarthome_assets.exports.api_client import ApiClient
from smarthome_assets.ingestion.sources import HomeCSources
from smarthome_assets.monitoring.alerts import AlertSink
from smarthome_assets.settings import ALERT_WEBHOOK_VARIABLE, Settings, load_settings
from smarthome_assets.storage.object_store import LocalObjectStore, ObjectStore, S3ObjectStore
from smarthome_assets.warehouse.resource import PostgresWarehouse, RedshiftWarehouse, Warehouse


def _env(name: str) -> dict[str, str]:
    """A config value Dagster reads from the run process's environment when the resource starts."""
    return {"env": name}


@dg.resource(
    config_schema={
        "bucket": dg.StringSource,
        "prefix": dg.Field(dg.StringSource, default_value="smarthome"),
        "region_name": dg.Field(dg.StringSource, is_required=False),
        "endpoint_url": dg.Field(dg.StringSource, is_required=False),
    },
    description="S3 by bucket and key prefix (an S3-compatible endpoint, such as a moto server, when set).",
)
def s3_object_store(context: dg.InitResourceContext) -> ObjectStore:
    c = context.resource_config
    return S3ObjectStore(c["bucket"], c["prefix"], c.get("region_name"), c.get("endpoint_url"))


@dg.resource(
    config_schema={"database_url": dg.StringSource, "sslmode": dg.Field(dg.StringSource, default_value="require")},
    description="RDS (or any PostgreSQL) by a libpq URL that may hold the password: never logged.",
)
def postgres_by_url(context: dg.InitResourceContext) -> PostgresDatabase:
    return PostgresUrl(context.resource_config["database_url"], context.resource_config["sslmode"])


@dg.resource(
    config_schema={"base_url": dg.StringSource, "api_key": dg.Field(dg.StringSource, default_value="")},
    description="The deployed read API (API Gateway) over HTTPS, with its API key (sent as x-api-key).",
)
def http_api_client(context: dg.InitResourceContext) -> ApiClient:
    return ApiClient(base_url=context.resource_config["base_url"], api_key=context.resource_config["api_key"])


@dg.resource(
    config_schema={
        "host": dg.StringSource,
        "database": dg.Field(dg.StringSource, default_value="dev"),
        "user": dg.Field(dg.StringSource, default_value=""),
        "password": dg.Field(dg.StringSource, default_value=""),
        "workgroup_name": dg.Field(dg.StringSource, default_value=""),
        "cluster_identifier": dg.Field(dg.StringSource, default_value=""),
        "region_name": dg.Field(dg.StringSource, default_value=""),
        "iam_role": dg.Field(dg.StringSource, default_value="default"),
    },
    description="Redshift (Serverless by workgroup, or a cluster): IAM temporary credentials, or a password.",
)
def redshift_warehouse(context: dg.InitResourceContext) -> Warehouse:
    return RedshiftWarehouse(**context.resource_config)


@dg.resource(
    config_schema={
        "paths": dg.Field([str], default_value=[]),
        "cache_dir": dg.Field(str, default_value=""),
    },
    required_resource_keys={"object_store"},
    description="HomeC source files, local paths or s3:// URIs read through the object store.",
)
def sources_through_the_store(context: dg.InitResourceContext) -> HomeCSources:
    c = context.resource_config
    return HomeCSources(
        paths=c["paths"],
        cache_dir=c["cache_dir"],
        object_store=context.resources.object_store,
    )


@dg.resource(
    config_schema={"webhook_url": dg.Field(dg.StringSource, default_value="")},
    required_resource_keys={"object_store"},
    description="Failure alerts: a record in the object store, and a Slack-compatible webhook when its URL "
    "(a secret, from SMARTHOME_ALERT_WEBHOOK_URL) is set.",
)
def alert_sink(context: dg.InitResourceContext) -> AlertSink:
    return AlertSink(store=context.resources.object_store, webhook_url=context.resource_config["webhook_url"])


def _alerts(settings: Settings) -> dg.ResourceDefinition:
    """The URL is read from the environment by Dagster when the sensor runs, only if it is set at all."""
    return alert_sink.configured({"webhook_url": _env(ALERT_WEBHOOK_VARIABLE)} if settings.alert_webhook_set else {})


def _sources(settings: Settings) -> HomeCSources:
    return HomeCSources(
        paths=list(settings.source_files),
        timeframe_origin=settings.timeframe_origin,
    )


def local_resources(settings: Settings) -> dict[str, Any]:
    database = EmbeddedPostgres(pgdata=str(settings.pgdata), database="smarthome")
    return {
        "object_store": LocalObjectStore(root=str(settings.object_store_root)),
        "postgres": database,
        "sources": _sources(settings),
        "api_client": ApiClient(database=database),
        "warehouse": PostgresWarehouse(database=EmbeddedPostgres(pgdata=str(settings.pgdata), database="warehouse")),
        "dashboard_dir": str(settings.dashboard_dir),
        "alerts": _alerts(settings),
    }


def aws_resources(settings: Settings) -> dict[str, Any]:
    store_config = {
        "bucket": _env("SMARTHOME_S3_BUCKET"),
        "prefix": settings.s3_prefix,
        "region_name": _env("AWS_REGION"),
    }
    if settings.s3_endpoint_url:
        store_config["endpoint_url"] = settings.s3_endpoint_url
    # IAM (a Serverless workgroup or a cluster) leaves no password to pass; the password path stays for the rest.
    redshift_login = (
        {"workgroup_name": settings.redshift_workgroup, "cluster_identifier": settings.redshift_cluster_identifier}
        if settings.redshift_iam
        else {"password": _env("SMARTHOME_REDSHIFT_PASSWORD")}
    )
    return {
        "object_store": s3_object_store.configured(store_config),
        "postgres": postgres_by_url.configured(
            {"database_url": _env("SMARTHOME_DATABASE_URL"), "sslmode": settings.database_sslmode}
        ),
        "sources": sources_through_the_store.configured(
            {
                "paths": list(settings.source_files),
                "cache_dir": str(settings.home / "sources"),
            }
        ),
        "api_client": http_api_client.configured(
            {"base_url": _env("SMARTHOME_API_URL"), "api_key": _env("SMARTHOME_API_KEY")}
        ),
        "warehouse": redshift_warehouse.configured(
            {
                "host": _env("SMARTHOME_REDSHIFT_HOST"),
                "database": _env("SMARTHOME_REDSHIFT_DATABASE"),
                "user": settings.redshift_user,
                "region_name": _env("AWS_REGION"),
                "iam_role": _env("SMARTHOME_REDSHIFT_IAM_ROLE"),
                **redshift_login,
            }
        ),
        "dashboard_dir": str(settings.dashboard_dir),
        "alerts": _alerts(settings),
    }


RESOURCES_BY_ENV = {"local": local_resources, "aws": aws_resources}


def resources_for_env(settings: Settings) -> dict[str, Any]:
    """Every resource the assets ask for, for the settings' environment (the CLI and tests call this too)."""
    return RESOURCES_BY_ENV[settings.env](settings)


@dg.definitions
def resources() -> dg.Definitions:
    """The environment is read here, when Dagster loads the code location, not at import."""
    return dg.Definitions(resources=resources_for_env(load_settings()))
