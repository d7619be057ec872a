"""The one module that reads the process environment.

Everything configurable is either a Dagster resource field (secrets through `dg.EnvVar`, resolved by
Dagster at run time and never logged) or one of the few process-wide settings below. Nothing else in
the project calls `os.environ`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from smarthome_assets.homec import contract

ENVIRONMENTS = ("local", "aws")
#: The Slack-compatible incoming-webhook URL failure alerts are posted to (unset: alerts are only recorded).
ALERT_WEBHOOK_VARIABLE = "SMARTHOME_ALERT_WEBHOOK_URL"


@dataclass(frozen=True)
class Settings:
    """Process-wide settings; see the README's configuration table."""

    env: str
    home: Path
    source_files: tuple[str, ...]
    #: The instant the first row (`time == contract.TIME_ORIGIN`) stands for.
    timeframe_origin: datetime = contract.TIMEFRAME_ORIGIN
    #: aws: the key prefix inside the bucket, and an S3-compatible endpoint (unset means AWS itself).
    s3_prefix: str = "smarthome"
    s3_endpoint_url: str | None = None
    #: aws: libpq sslmode for RDS (`require` by default; `verify-full` with a CA bundle is stricter).
    database_sslmode: str = "require"
    #: aws: how Redshift logs in. A Serverless workgroup or a cluster identifier selects IAM temporary
    #: credentials (no password stored anywhere); with neither, SMARTHOME_REDSHIFT_PASSWORD is required.
    redshift_workgroup: str = ""
    redshift_cluster_identifier: str = ""
    redshift_user: str = ""
    #: aws: the Glue database of the lake's tables (Athena, and Spectrum's external schema), and the IAM role
    #: Redshift Spectrum reads the lake with. Empty: no partitions are registered, no external schema is made.
    lake_glue_database: str = ""
    spectrum_iam_role: str = ""

    @property
    def redshift_iam(self) -> bool:
        """Redshift by IAM temporary credentials (a workgroup or a cluster is named), not by password."""
        return bool(self.redshift_workgroup or self.redshift_cluster_identifier)

    #: Whether SMARTHOME_ALERT_WEBHOOK_URL is set. Only its presence is read here: the URL is a secret,
    #: resolved by Dagster in the sensor's process (defs/resources.py) and never held in settings.
    alert_webhook_set: bool = False

    @property
    def object_store_root(self) -> Path:
        return self.home / "object_store"

    @property
    def pgdata(self) -> Path:
        return self.home / "postgres"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def generated_data_dir(self) -> Path:
        return self.home / "data"

    @property
    def lake_duckdb_path(self) -> Path:
        """The DuckDB database with the lake's views (kept current by `lake_parquet`; any DuckDB client opens it)."""
        return self.home / "lake.duckdb"

    @property
    def lake_cache_dir(self) -> Path:
        """Where an S3 lake is mirrored for DuckDB (changed files only)."""
        return self.home / "lake_cache"

    @property
    def dashboard_dir(self) -> Path:
        """The local copy of the dashboard page, which `smarthome api` serves at /dashboard."""
        return self.home / "dashboard"


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def load_settings() -> Settings:
    """Read SMARTHOME_ENV, SMARTHOME_HOME and SMARTHOME_SOURCE_FILES (comma-separated paths or s3:// URIs)."""
    env = os.environ.get("SMARTHOME_ENV", "local").strip() or "local"
    if env not in ENVIRONMENTS:
        raise ValueError(f"SMARTHOME_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    home = Path(os.environ.get("SMARTHOME_HOME") or project_root() / "var").expanduser().resolve()
    sources = tuple(s.strip() for s in os.environ.get("SMARTHOME_SOURCE_FILES", "").split(",") if s.strip())
    defaults = Settings(env=env, home=home, source_files=sources)
    return Settings(
        env=env,
        home=home,
        source_files=sources,
        timeframe_origin=_datetime_setting("SMARTHOME_TIMEFRAME_ORIGIN", defaults.timeframe_origin),
        s3_prefix=os.environ.get("SMARTHOME_S3_PREFIX", defaults.s3_prefix).strip("/"),
        s3_endpoint_url=os.environ.get("SMARTHOME_S3_ENDPOINT_URL") or None,
        database_sslmode=os.environ.get("SMARTHOME_DATABASE_SSLMODE", defaults.database_sslmode),
        redshift_workgroup=os.environ.get("SMARTHOME_REDSHIFT_WORKGROUP", "").strip(),
        redshift_cluster_identifier=os.environ.get("SMARTHOME_REDSHIFT_CLUSTER_ID", "").strip(),
        redshift_user=os.environ.get("SMARTHOME_REDSHIFT_USER", "").strip(),
        lake_glue_database=os.environ.get("SMARTHOME_LAKE_GLUE_DATABASE", "").strip(),
        spectrum_iam_role=os.environ.get("SMARTHOME_SPECTRUM_IAM_ROLE", "").strip(),
        alert_webhook_set=bool(os.environ.get(ALERT_WEBHOOK_VARIABLE, "").strip()),
    )


def _datetime_setting(name: str, default: datetime) -> datetime:
    value = os.environ.get(name, "").strip()
    try:
        parsed = datetime.fromisoformat(value) if value else default
    except ValueError as exc:
        raise ValueError(f"{name} must be an ISO date-time like 2016-01-01T05:00:00+00:00, not {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
