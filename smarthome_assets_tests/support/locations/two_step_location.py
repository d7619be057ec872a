"""A two-step job on the multiprocess executor, each step in its own subprocess: the first ends quickly,
the second sleeps. Run as a script, it executes on $DAGSTER_HOME's instance in this process's run worker."""

import time

import dagster as dg


@dg.op
def quick() -> int:
    return 1


@dg.op
def slow(value: int) -> None:
    time.sleep(60 * value)


@dg.job(executor_def=dg.multiprocess_executor)
def two_steps():
    slow(quick())


if __name__ == "__main__":
    dg.execute_job(dg.reconstructable(two_steps), instance=dg.DagsterInstance.get())
