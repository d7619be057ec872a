"""The sensor on the incoming zone: new and changed deliveries are landed and exactly their days run.

Same code on the local directory and on S3 (it only uses the `object_store` resource). Each tick
(ingestion/watch.py has the logic): list the zone, land what the cursor has not seen, and request one
`ingestion_job` run per contiguous range of touched days (the single-run backfill policy takes the
range through the range tags). Run keys come from the deliveries' checksums and landing ids, so one
landing never runs twice; the cursor lives with the sensor in Dagster's storage, so it survives a daemon restart.
Duplicates, unchanged files and rejected files are said in the tick's skip reason and log.
"""

from collections.abc import Callable
from datetime import UTC, datetime

import dagster as dg

from smarthome_assets.defs.ingestion.jobs import ingestion_job
from smarthome_assets.ingestion import incoming, watch
from smarthome_assets.lib.partitions import FIRST_DAY, range_tags
from smarthome_assets.storage.object_store import ObjectStore

SENSOR_NAME = "incoming_deliveries"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_incoming_sensor(clock: Callable[[], datetime] = _utc_now) -> dg.SensorDefinition:
    """The sensor, with the clock that says which day is today (tests inject theirs): days after
    today have no partition yet, so their deliveries are kept pending until the day comes."""

    @dg.sensor(
        name=SENSOR_NAME,
        job=ingestion_job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Lands new and changed files of incoming/<home>/ and runs exactly the days they touch.",
    )
    def incoming_deliveries(context: dg.SensorEvaluationContext, object_store: dg.ResourceParam[ObjectStore]):
        cursor = watch.Cursor.parse(context.cursor)
        todo = watch.pending(incoming.list_deliveries(object_store), cursor)
        if not todo:
            return dg.SkipReason("no new or changed deliveries in incoming/")
        outcomes = watch.land_pending(object_store, todo, FIRST_DAY, log=context.log.info)
        for outcome in outcomes:
            log = context.log.warning if outcome.status == watch.REJECTED else context.log.info
            log(f"{outcome.delivery.path}: {outcome.status} ({outcome.reason})")
        today = clock().astimezone(UTC).date()
        ranges, future = watch.day_ranges(outcomes, today)
        waiting = {o.delivery.path for o in outcomes if any(d > str(today) for d in o.days)}
        if future:
            context.log.info(f"days after today ({today}) wait for their partition: {', '.join(future[:5])}")
        cursor = watch.advance(cursor, [o for o in outcomes if o.delivery.path not in waiting])
        requests = [
            dg.RunRequest(
                run_key=r.run_key,
                tags={
                    **range_tags(r.first, r.last),
                    watch.LANDED_BY_TAG: "sensor",
                    "smarthome/deliveries": ", ".join(path for path, _ in r.deliveries)[:500],
                },
            )
            for r in ranges
        ]
        if not requests:
            return dg.SensorResult(skip_reason=dg.SkipReason(watch.summarize(outcomes)), cursor=cursor.serialize())
        return dg.SensorResult(run_requests=requests, cursor=cursor.serialize())

    return incoming_deliveries


incoming_deliveries = build_incoming_sensor()
