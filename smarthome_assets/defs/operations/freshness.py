"""Freshness of rds_tables, daily_exports and redshift_tables, two ways, both in the UI:

* Dagster's `FreshnessPolicy.time_window` on each asset (attached in `definitions.py`): the asset's health
  shows fresh / warn / stale by its last materialization; Dagster's freshness daemon evaluates it.
* the `newest_day_fresh` check on each asset (rule in `monitoring/freshness.py`): the day that is due must
  be materialized, so a day that never arrives fails even when an old day was re-run. The
  `freshness_checks` sensor reports it every 10 minutes without a run; the check can also be run from the
  UI like any other check.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from smarthome_assets.lib import keys
from smarthome_assets.lib.checks import ERROR
from smarthome_assets.monitoring.freshness import evaluate

CHECK_NAME = "newest_day_fresh"
#: How old each daily table's newest day may be, from its end. PostgreSQL gets each day as it is delivered.
#: The exports run at 02:00 UTC for the day before, exactly 26 h after that day ended, and the warehouse
#: follows them, so both get an hour more to finish.
MAX_AGE = {
    keys.RDS_TABLES: timedelta(hours=26),
    keys.DAILY_EXPORTS: timedelta(hours=27),
    keys.REDSHIFT_TABLES: timedelta(hours=27),
}
FRESH_ASSETS = list(MAX_AGE)
#: Dagster's own policy: stale after the same limit, a warning an hour before it.
POLICIES = {
    key: dg.FreshnessPolicy.time_window(fail_window=age, warn_window=age - timedelta(hours=1))
    for key, age in MAX_AGE.items()
}

CHECK_SPECS = [
    dg.AssetCheckSpec(
        CHECK_NAME,
        asset=key,
        description=f"The newest complete day is at most {MAX_AGE[key].total_seconds() / 3600:g} h old "
        "(from its end): the day that is due is materialized, whatever else ran.",
    )
    for key in FRESH_ASSETS
]


def with_freshness_policy(spec: dg.AssetSpec) -> dg.AssetSpec:
    """For `Definitions.map_asset_specs`: the policy of the three daily tables, other assets unchanged."""
    policy = POLICIES.get(spec.key)
    return dg.apply_freshness_policy(spec, policy) if policy else spec


def materialized_days(instance: dg.DagsterInstance, key: dg.AssetKey) -> list[date]:
    return [date.fromisoformat(p) for p in instance.get_materialized_partitions(key)]


def evaluations(instance: dg.DagsterInstance, now: datetime | None = None) -> Iterator[dg.AssetCheckEvaluation]:
    now = now or datetime.now(UTC)
    for key, max_age in MAX_AGE.items():
        result = evaluate(key.to_user_string(), materialized_days(instance, key), now, max_age)
        yield dg.AssetCheckEvaluation(
            asset_key=key,
            check_name=CHECK_NAME,
            passed=result.passed,
            severity=ERROR,
            description=result.description,
            metadata={
                "due_day": str(result.due_day),
                "newest_day": str(result.newest_day),
                "max_age_hours": max_age.total_seconds() / 3600,
                "evaluated_at": dg.MetadataValue.timestamp(now),
            },
        )


@dg.multi_asset_check(specs=CHECK_SPECS, can_subset=True, description="Is the due day of each daily table there?")
def newest_day_fresh(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
    """Runs with its asset's job too (e.g. right after the 02:00 export), and on demand from the UI."""
    selected = {key.asset_key for key in context.selected_asset_check_keys}
    for evaluation in evaluations(context.instance):
        if evaluation.asset_key not in selected:
            continue
        yield dg.AssetCheckResult(
            asset_key=evaluation.asset_key,
            check_name=evaluation.check_name,
            passed=evaluation.passed,
            severity=evaluation.severity,
            description=evaluation.description,
            metadata=evaluation.metadata,
        )


@dg.sensor(
    name="freshness_checks",
    minimum_interval_seconds=600,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every 10 minutes: evaluates newest_day_fresh on rds_tables, daily_exports and "
    "redshift_tables and records the results (no run needed).",
)
def freshness_checks(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    results = list(evaluations(context.instance))
    stale = [e.asset_key.to_user_string() for e in results if not e.passed]
    return dg.SensorResult(asset_events=results, skip_reason=f"stale: {', '.join(stale)}" if stale else "all fresh")
