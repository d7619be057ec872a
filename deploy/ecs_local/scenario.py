"""What `make ecs-local` does once the stand-ins are up: bootstrap, services, a delivery, and the checks.

Each step records a row for the final table; the first failure stops the scenario (the table still prints).
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from deploy.ecs_local.agent import Agent, Task

RDS_TABLE = "energy_consuming_device"
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")
SERVICE_ORDER = (("code",), ("webserver", "daemon"))  # the code server first: the others load it over gRPC


class ScenarioFailed(Exception):
    pass


@dataclass
class Report:
    tasks: list[tuple[str, Task]] = field(default_factory=list)
    runs: list[tuple[str, str, str]] = field(default_factory=list)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    failure: str = ""

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append((name, ok, detail))
        if not ok:
            raise ScenarioFailed(f"{name}: {detail}")


def wait(predicate, timeout: float, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    return predicate()


def _tail(task: Task, lines: int = 15) -> str:
    out = []
    for c in task.containers.values():
        if c.log is not None and c.log.exists():
            text = c.log.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {task.definition['family']}/{c.name} (last {len(text)} lines of {c.log}) ---")
            out += text
    return "\n".join(out)


def run_bootstrap(agent: Agent, ecs, cluster: str, network: dict, report: Report, family: str) -> None:
    """The one-off task of docs/DEPLOY.md step 5, started the way the doc starts it (as the deployer's role)."""
    task = agent.run_task(
        {"cluster": cluster, "taskDefinition": family, "networkConfiguration": network, "startedBy": "deployer"},
        caller_role=None,
    )
    report.tasks.append(("bootstrap", task))
    wait(lambda: task.status == "STOPPED", 300)
    exit_code = task.containers["bootstrap"].exit_code
    if exit_code != 0:
        raise ScenarioFailed(f"container bootstrap failed (exit {exit_code}): {task.stopped_reason}\n{_tail(task)}")


def start_services(agent: Agent, ecs, cluster: str, report: Report, timeout: float) -> dict[str, Task]:
    """Each ECS service's task, from the service's own task definition and network (as Terraform created them)."""
    names = [s.split("/")[-1] for s in ecs.list_services(cluster=cluster)["serviceArns"]]
    services = {s["serviceName"]: s for s in ecs.describe_services(cluster=cluster, services=names)["services"]}
    started: dict[str, Task] = {}
    for group in SERVICE_ORDER:
        for role in group:
            service = next(s for n, s in services.items() if n.endswith(f"-{role}"))
            request = {
                "cluster": cluster,
                "taskDefinition": service["taskDefinition"],
                "networkConfiguration": service.get("networkConfiguration", {}),
                "startedBy": f"ecs-svc/{service['serviceName']}",
            }
            started[role] = agent.run_task(request, caller_role=None)
            report.tasks.append((role, started[role]))
        for role in group:
            task = started[role]
            main = task.containers[role]
            healthy = main.definition.get("healthCheck") is None
            wait(lambda t=task, m=main, h=healthy: t.status == "STOPPED" or m.health == "HEALTHY" or h, timeout)
            if task.status == "STOPPED" or (not healthy and main.health != "HEALTHY"):
                state = "did not become healthy" if task.status != "STOPPED" else task.stopped_reason
                raise ScenarioFailed(f"container {role} failed: {state}\n{_tail(task)}")
    return started


def deliver(aws, bucket: str, prefix: str, folder: Path, days: int) -> tuple[str, int]:
    """A home's delivery dropped into the incoming zone, as a home would PUT it; returns (key, data rows)."""
    from smarthome_assets.homec.generator import generate_homes

    (path,) = generate_homes(folder, homes=1, days=days, seed=16)
    key = f"{prefix}/incoming/home_01/{path.name}"
    aws.client("s3").upload_file(str(path), bucket, key)
    # Like the real file, the generated one ends with a junk row (its `time` is text): the reader quarantines it.
    with path.open() as lines:
        next(lines)
        valid = sum(1 for line in lines if line.split(",", 1)[0].strip().isdigit())
    return key, valid


def runs(dbs) -> list[tuple[str, str, str]]:
    try:
        return dbs.admin("SELECT run_id, pipeline_name, status FROM runs ORDER BY create_timestamp", "dagster")
    except Exception:  # the tables exist once the webserver or daemon has migrated the storage
        return []


def _failure_events(dbs, run_id: str) -> str:
    """The run's own account of its failure, from Dagster's event log (the launcher's error when no task ran)."""
    rows = dbs.admin(
        "SELECT event FROM event_logs WHERE run_id = %s AND dagster_event_type IN "
        "('PIPELINE_FAILURE', 'ENGINE_EVENT', 'STEP_FAILURE') ORDER BY id DESC LIMIT 4",
        "dagster",
        (run_id,),
    )
    messages = []
    for (event,) in rows:
        found = re.findall(r'"message": "((?:[^"\\]|\\.){0,600})', event)
        messages += [json.loads(f'"{m}"') for m in found[:1]]
        messages.append(json.loads(event).get("user_message", ""))
    return " | ".join(m.strip().replace("\n", " ") for m in messages if m.strip())[:3000]


def _count(dbs, sql: str, database: str) -> int:
    try:
        return dbs.admin(sql, database)[0][0]
    except Exception:  # the table does not exist before the first run creates it
        return 0


def follow_the_delivery(agent, dbs, aws, bucket: str, prefix: str, rows: int, report: Report, timeout: float):
    """Sensor -> run tasks -> RDS -> exports -> warehouse, each waited for (any failed run stops the wait)."""

    def fail_if_failed():
        failed = [r for r in runs(dbs) if r[2] == "FAILURE"]
        if failed:
            tasks = [t for t in agent.tasks.values() if t.definition["family"].endswith("-run")]
            logs = "\n".join(_tail(t, 25) for t in tasks[-2:])
            why = _failure_events(dbs, failed[0][0])
            raise ScenarioFailed(f"run {failed[0][0]} ({failed[0][1]}) failed: {why}\n{logs}")

    def exports() -> list[str]:
        listed = aws.client("s3").list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/exports/energy/")
        return [o["Key"] for o in listed.get("Contents", []) if o["Key"].endswith(".csv")]

    steps = (
        ("RDS energy_consuming_device", lambda: _count(dbs, f"SELECT count(*) FROM {RDS_TABLE}", "smarthome")),
        ("exports in S3 (energy files)", lambda: len(exports())),
        ("warehouse fact_energy_minute", lambda: _count(dbs, "SELECT count(*) FROM fact_energy_minute", "dev")),
    )
    try:
        for name, measure in steps:
            expected = 1 if name.startswith("exports") else rows
            wait(lambda m=measure, e=expected: fail_if_failed() or m() >= e, timeout, every=3)
            fail_if_failed()
            value = measure()
            ok = value >= 1 if name.startswith("exports") else value == rows
            report.check(name, ok, f"{value}" if name.startswith("exports") else f"{value} rows of {rows}")
        # Every run the delivery caused ends, and ends well (a run still writing is not a result).
        settled = wait(lambda: fail_if_failed() or all(r[2] in FINISHED for r in runs(dbs)), timeout, every=3)
        unfinished = [f"{r[0][:8]} {r[1]} {r[2]}" for r in runs(dbs) if r[2] not in FINISHED]
        report.check("every run finished", bool(settled), ", ".join(unfinished) or f"{len(runs(dbs))} runs")
        fail_if_failed()
    finally:
        report.runs = [(r[0][:8], r[1], r[2]) for r in runs(dbs)]
        report.tasks += [("run", t) for t in agent.tasks.values() if t.definition["family"].endswith("-run")]


_LOCATIONS = """{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


def check_ui(report: Report, timeout: float) -> None:
    """The UI answers over HTTP, and through it the code server's location loaded (a gRPC health check passes on
    the code server's proxy even when loading the code failed, so ECS alone would call that task healthy)."""
    with urllib.request.urlopen("http://127.0.0.1:3000/server_info", timeout=10) as answer:
        report.check("UI over HTTP", answer.status == 200, f"GET /server_info -> {answer.status}")

    def entries() -> list[dict]:
        body = json.dumps({"query": _LOCATIONS}).encode()
        request = urllib.request.Request(
            "http://127.0.0.1:3000/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            found = json.load(answer)["data"]["workspaceOrError"]["locationEntries"]
        return found if found and all(e["loadStatus"] == "LOADED" for e in found) else []

    loaded = wait(entries, timeout, every=3)
    errors = [e for e in loaded if e["locationOrLoadError"]["__typename"] == "PythonError"]
    if not loaded or errors:
        detail = errors[0]["locationOrLoadError"]["message"].strip().splitlines()[-1] if errors else "not loaded"
        report.checks.append(("code location (via the UI)", False, detail))
        raise ScenarioFailed(f"container code failed: its code location did not load: {detail}")
    report.check("code location (via the UI)", True, ", ".join(e["name"] for e in loaded) + " loaded")


def table(report: Report) -> str:
    rows = [("container", "task definition", "started", "healthy", "state")]
    for role, task in report.tasks:
        for c in task.containers.values():
            health = c.health.lower() if c.definition.get("healthCheck") else "no check"
            state = f"exit {c.exit_code}" if c.exit_code is not None else c.status.lower()
            if task.stop_code == "UserInitiated" and c.exit_code is not None and c.exit_code < 0:
                state = "ran until the harness stopped it"
            started = "yes" if c.process is not None else f"no ({c.reason})" if c.reason else "no"
            name = role if c.name == role else f"{role}/{c.name}"
            family = task.definition["family"] + ":" + str(task.definition["revision"])
            rows.append((name, family, started, health, state))
    rows += [("run " + run_id, job, "", "", status.lower()) for run_id, job, status in report.runs]
    rows += [(name, "", "", "", ("ok: " if ok else "FAILED: ") + detail) for name, ok, detail in report.checks]
    widths = [max(len(str(r[i])) for r in rows) for i in range(5)]
    return "\n".join("  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows)
