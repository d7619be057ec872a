"""A daily asset built like the project's (`daily_asset`: same partitions, same pool) that records when its
step ran. Run as a script (`python pooled_location.py LOG DAY`), it materializes that day in this process
on $DAGSTER_HOME's instance, the way `smarthome run` does."""

import os
import sys
import time
from pathlib import Path

import dagster as dg

from smarthome_assets.lib.partitions import daily_asset
from smarthome_assets.services.dagster_instance import local_instance


@daily_asset()
def loads_a_day(context: dg.AssetExecutionContext) -> None:
    started = time.time()
    time.sleep(2.0)
    with open(context.run.tags["test/log"], "a") as log:
        log.write(f"{started} {time.time()}\n")


if __name__ == "__main__":
    log, day = sys.argv[1], sys.argv[2]
    result = dg.materialize(
        [loads_a_day],
        partition_key=day,
        instance=local_instance(Path(os.environ["DAGSTER_HOME"])),
        tags={"test/log": log},
    )
    sys.exit(0 if result.success else 1)
