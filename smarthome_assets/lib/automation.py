"""Declarative automation as every downstream asset here uses it: run a partition once its upstream wrote
it, and a sensor of the asset's own that evaluates the condition.

Why a sensor per group rather than Dagster's default automation sensor: the default one can be switched
off per instance, and propagation (exports -> warehouse -> dashboard) must not depend on that.
"""

from datetime import timedelta

import dagster as dg


def after_upstream_writes(
    label: str, *, skip_latest: timedelta | None = None, only: dg.AssetKey | None = None
) -> dg.AutomationCondition:
    """A partition whose upstream was updated since it was last handled, once nothing upstream or of its own
    is in progress. `skip_latest`: leave the partitions within that lookback of the newest window alone.
    `only`: the one upstream asset whose updates count (the others are still waited for)."""
    updated = dg.AutomationCondition.any_deps_updated()
    if only is not None:
        updated = updated.allow(dg.AssetSelection.assets(only))
    condition = (
        updated.since_last_handled()
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.in_progress()
    )
    if skip_latest is not None:
        condition = condition & ~dg.AutomationCondition.in_latest_time_window(lookback_delta=skip_latest)
    return condition.with_label(label)


def automation_sensor(name: str, group: str, description: str, interval_seconds: int = 30) -> dg.SensorDefinition:
    """The sensor that evaluates the automation conditions of one asset group, running by default."""
    return dg.AutomationConditionSensorDefinition(
        name,
        target=dg.AssetSelection.groups(group),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=interval_seconds,
        description=description,
    )
