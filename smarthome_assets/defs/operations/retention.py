"""`run_retention`: Dagster's storage stays bounded under live deliveries (a run a minute, each writing today).

Every 10 minutes: runs superseded for every asset and day they covered, and finished more than a day ago, are
deleted with their events, check rows and compute logs (lib/run_retention.py). Sensor and automation ticks are
pruned by Dagster itself (`retention:` in dagster.yaml).
"""

import dagster as dg

from smarthome_assets.lib.run_retention import delete_superseded_runs

#: Superseded runs are kept this long (the UI shows a day of history; `smarthome status` needs only the newest).
KEEP_RUNS_SECONDS = 24 * 3600


@dg.sensor(
    name="run_retention",
    minimum_interval_seconds=600,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Deletes runs a newer successful run has superseded for every asset and day, a day after they "
    "finished: storage stays bounded under live deliveries.",
)
def run_retention(context: dg.SensorEvaluationContext):
    result = delete_superseded_runs(context.instance, KEEP_RUNS_SECONDS)
    return dg.SkipReason(f"deleted {len(result.deleted)} superseded run(s), kept {result.kept}")
