"""The cause of a failed step, in one line, from Dagster's error chain.

Dagster wraps every exception raised in a step in `DagsterExecutionStepExecutionError` ("Error occurred
while executing op ..."), so the run's own failure message says only `Execution of step "raw_csv"
failed.`. What a person needs is the innermost cause, e.g. `SourceFormatError: home.csv, line 3, column
'gen [kW]': ...`. The run summary (`smarthome run`) and the failure alerts both read it from here.
"""

from collections.abc import Iterable

import dagster as dg
from dagster._utils.error import SerializableErrorInfo

#: Exception types whose name adds nothing for the reader: the message is shown alone.
_PLAIN = {"Failure", "DagsterExecutionStepExecutionError"}


def root_cause(error: SerializableErrorInfo | None) -> str:
    """The innermost cause's `Type: message`, first line kept whole, the rest dropped."""
    if error is None:
        return "unknown error (no error recorded)"
    while error.cause is not None:
        error = error.cause
    message = error.message.strip()
    name = error.cls_name or ""
    head, sep, rest = message.partition(": ")
    if sep and name and head.endswith(f".{name}") and name != "Error":
        message = f"{name}: {rest}"  # `package.module.SourceFormatError: ...` -> `SourceFormatError: ...`
    prefix = f"{name}: "
    if message.startswith(prefix) and name in _PLAIN:
        message = message[len(prefix) :]
    if message in (name, f"{name}:") or not message.removeprefix(prefix).strip():
        message = f"{name} (no message)" if name else "unknown error"
    return " ".join(line.strip() for line in message.splitlines() if line.strip())


def step_failures(events: Iterable[dg.DagsterEvent]) -> dict[str, str]:
    """Step key -> the root cause of its failure, for every STEP_FAILURE event given."""
    failures: dict[str, str] = {}
    for event in events:
        if event.is_step_failure and event.step_key:
            data = event.step_failure_data
            failures[event.step_key] = root_cause(data.error if data else None)
    return failures
