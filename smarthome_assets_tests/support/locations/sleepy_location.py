"""A code location whose one job sleeps for as long as its config says: a run worker a test can kill.

Run as a script (`python sleepy_location.py SECONDS`), it executes the job in this process on
$DAGSTER_HOME's instance, the way `smarthome run` does (`materialize()` in the CLI's process).
"""

import sys
import time

import dagster as dg


@dg.op(config_schema={"seconds": dg.Field(float, default_value=1.0)})
def sleep_for(context: dg.OpExecutionContext) -> None:
    time.sleep(context.op_config["seconds"])


@dg.job
def sleepy():
    sleep_for()


defs = dg.Definitions(jobs=[sleepy])

if __name__ == "__main__":
    config = {"ops": {"sleep_for": {"config": {"seconds": float(sys.argv[1])}}}}
    sleepy.execute_in_process(run_config=config, instance=dg.DagsterInstance.get())
