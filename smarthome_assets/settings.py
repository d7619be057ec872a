"""The one module that reads the process environment.

Everything configurable is either a Dagster resource field (secrets through `dg.EnvVar`, resolved by
Dagster at run time and never logged) or one of the few process-wide settings below. Nothing else in
the project calls `os.environ`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from smarthome_assets.homec import contract

ENVIRONMENTS = ("local", "aws")


@dataclass(frozen=True)
class Settings:
    """Process-wide settings; see the README's configuration table."""

    env: str
    home: Path
    source_files: tuple[str, ...]
    #: The instant the first row (`time == contract.TIME_ORIGIN`) stands for.
    timeframe_origin: datetime = contract.TIMEFRAME_ORIGIN
    #: The daily partitions: [first_day, last_day], UTC. By default the real file's days.
    first_day: date = date(2016, 1, 1)
    last_day: date = date(2016, 12, 16)
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
    #: SMARTHOME_DATA_ENDS_YESTERDAY=1: whole days the data and the partitions were moved forward so that
    #: the last day is yesterday (UTC, when the process started), giving the daily schedule new days in a
    #: demo; 0 keeps the data's own days. Readings keep their `time_raw`; their timeframe moves.
    shift_days: int = 0

    @property
    def redshift_iam(self) -> bool:
        """Redshift by IAM temporary credentials (a workgroup or a cluster is named), not by password."""
        return bool(self.redshift_workgroup or self.redshift_cluster_identifier)

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
    origin = _datetime_setting("SMARTHOME_TIMEFRAME_ORIGIN", defaults.timeframe_origin)
    # Unless set, the partitions are the days a full HomeC year covers from the origin (the real file's days).
    year_end = origin + timedelta(minutes=contract.FULL_YEAR_ROWS - 1)
    first_day = _date_setting("SMARTHOME_FIRST_DAY", origin.date())
    last_day = _date_setting("SMARTHOME_LAST_DAY", year_end.date())
    if last_day < first_day:
        raise ValueError(f"SMARTHOME_LAST_DAY ({last_day}) is before SMARTHOME_FIRST_DAY ({first_day})")
    shift = days_to_yesterday(last_day) if _flag("SMARTHOME_DATA_ENDS_YESTERDAY") else 0
    return Settings(
        env=env,
        home=home,
        source_files=sources,
        first_day=first_day + timedelta(days=shift),
        last_day=last_day + timedelta(days=shift),
        timeframe_origin=origin + timedelta(days=shift),
        shift_days=shift,
        s3_prefix=os.environ.get("SMARTHOME_S3_PREFIX", defaults.s3_prefix).strip("/"),
        s3_endpoint_url=os.environ.get("SMARTHOME_S3_ENDPOINT_URL") or None,
        database_sslmode=os.environ.get("SMARTHOME_DATABASE_SSLMODE", defaults.database_sslmode),
        redshift_workgroup=os.environ.get("SMARTHOME_REDSHIFT_WORKGROUP", "").strip(),
        redshift_cluster_identifier=os.environ.get("SMARTHOME_REDSHIFT_CLUSTER_ID", "").strip(),
        redshift_user=os.environ.get("SMARTHOME_REDSHIFT_USER", "").strip(),
    )


def days_to_yesterday(last_day: date, now: datetime | None = None) -> int:
    """Whole days that move `last_day` to yesterday (UTC)."""
    yesterday = (now or datetime.now(UTC)).astimezone(UTC).date() - timedelta(days=1)
    return (yesterday - last_day).days


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _datetime_setting(name: str, default: datetime) -> datetime:
    value = os.environ.get(name, "").strip()
    try:
        parsed = datetime.fromisoformat(value) if value else default
    except ValueError as exc:
        raise ValueError(f"{name} must be an ISO date-time like 2016-01-01T05:00:00+00:00, not {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _date_setting(name: str, default: date) -> date:
    value = os.environ.get(name, "").strip()
    try:
        return date.fromisoformat(value) if value else default
    except ValueError as exc:
        raise ValueError(f"{name} must be a date like 2016-01-01, not {value!r}") from exc
