"""The ECS data plane, stood in for: starts a task definition's containers as Fargate does, and keeps their state.

For each task (a service's, the bootstrap's, or a run the EcsRunLauncher asks for through RunTask):
- the task definition is read from ECS (the moto server, where Terraform registered it), with the RunTask overrides;
- IAM is checked as AWS would for the calls the harness answers itself (iam.py): the caller's RunTask, tag-on-create
  and iam:PassRole; the execution role's GetSecretValue on every `secrets` entry;
- `secrets` are resolved from Secrets Manager (moto) at start, `arn:json-key::` included, into the environment;
- volumes are made with Fargate's ownership, containers start in dependency order (`dependsOn`: START, COMPLETE,
  SUCCESS, HEALTHY) in sandboxes (sandbox.py), health checks run the task definition's command in the same
  sandbox shape, and an essential container's exit stops the task;
- an ENI is created in the task's subnet (moto EC2), so the launcher's `use_current_ecs_task_config` finds the
  daemon's subnets and security groups as on AWS; the task metadata and credentials endpoints are served by
  ecs_api.py at addresses given in ECS_CONTAINER_METADATA_URI_V4 and AWS_CONTAINER_CREDENTIALS_FULL_URI.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from deploy.ecs_local import iam, sandbox

STOPPED_CODES = {"EssentialContainerExited", "TaskFailedToStart", "UserInitiated"}


@dataclass
class Container:
    name: str
    definition: dict
    status: str = "PENDING"  # PENDING -> RUNNING -> STOPPED
    health: str = "UNKNOWN"
    exit_code: int | None = None
    reason: str = ""
    process: subprocess.Popen | None = None
    log: Path | None = None


@dataclass
class Task:
    arn: str
    task_id: str
    cluster: str
    definition: dict
    overrides: dict
    tags: list[dict]
    started_by: str
    role_arn: str
    subnet: str = ""
    eni: str = ""
    security_groups: list[str] = field(default_factory=list)
    status: str = "PROVISIONING"
    stop_code: str = ""
    stopped_reason: str = ""
    containers: dict[str, Container] = field(default_factory=dict)

    def describe(self) -> dict:
        attachments = [
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, self.arn)),
                "type": "ElasticNetworkInterface",
                "status": "ATTACHED",
                "details": [
                    {"name": "subnetId", "value": self.subnet},
                    {"name": "networkInterfaceId", "value": self.eni},
                ],
            }
        ]
        return {
            "taskArn": self.arn,
            "clusterArn": self.cluster,
            "taskDefinitionArn": self.definition["taskDefinitionArn"],
            "lastStatus": self.status,
            "desiredStatus": "STOPPED" if self.status == "STOPPED" else "RUNNING",
            "launchType": "FARGATE",
            "cpu": self.definition.get("cpu"),
            "memory": self.definition.get("memory"),
            "startedBy": self.started_by,
            "group": self.started_by,
            "overrides": self.overrides,
            "tags": self.tags,
            "attachments": attachments,
            "stopCode": self.stop_code or None,
            "stoppedReason": self.stopped_reason or None,
            "containers": [
                {
                    "name": c.name,
                    "lastStatus": c.status,
                    "healthStatus": c.health,
                    "exitCode": c.exit_code,
                    "reason": c.reason or None,
                    "taskArn": self.arn,
                }
                for c in self.containers.values()
            ],
        }


class Agent:
    def __init__(self, *, aws, work: Path, image: sandbox.Image, image_home: Path, hosts_file: Path, venv: Path):
        self.aws, self.work, self.image, self.image_home = aws, work, image, image_home
        self.hosts_file, self.venv = hosts_file, venv
        self.tasks: dict[str, Task] = {}
        self.api_url = ""  # set by ecs_api.serve(): where containers find metadata and credentials
        self.extra_env: dict[str, str] = {}  # where "AWS" is: the harness's endpoints, added to every container
        self._lock = threading.Lock()

    # --- RunTask ----------------------------------------------------------------------------------------------

    def run_task(self, request: dict, caller_role: str | None) -> Task:
        ecs = self.aws.client("ecs")
        definition = ecs.describe_task_definition(taskDefinition=request["taskDefinition"])["taskDefinition"]
        cluster = ecs.describe_clusters(clusters=[request.get("cluster", "default")])["clusters"][0]["clusterArn"]
        task_id = uuid.uuid4().hex
        arn = cluster.replace(":cluster/", ":task/") + "/" + task_id
        tags = request.get("tags", [])
        if caller_role is not None:
            roles = [r for r in (definition.get("taskRoleArn"), definition.get("executionRoleArn")) if r]
            checks = [iam.Request("ecs:RunTask", definition["taskDefinitionArn"], {"ecs:cluster": cluster})]
            if tags:
                checks.append(iam.Request("ecs:TagResource", arn, {"ecs:CreateAction": "RunTask"}))
            checks += [iam.Request("iam:PassRole", role, {}) for role in roles]
            iam.require(self.aws.client("iam"), caller_role, *checks)
        network = request.get("networkConfiguration", {}).get("awsvpcConfiguration", {})
        task = Task(
            arn=arn,
            task_id=task_id,
            cluster=cluster,
            definition=definition,
            overrides=request.get("overrides", {}),
            tags=tags,
            started_by=request.get("startedBy", request.get("group", "")),
            role_arn=definition.get("taskRoleArn", ""),
            security_groups=network.get("securityGroups", []),
        )
        if network.get("subnets"):
            task.subnet = network["subnets"][0]
            eni = self.aws.client("ec2").create_network_interface(SubnetId=task.subnet, Groups=task.security_groups)
            task.eni = eni["NetworkInterface"]["NetworkInterfaceId"]
        for container in definition["containerDefinitions"]:
            task.containers[container["name"]] = Container(container["name"], container)
        with self._lock:
            self.tasks[task_id] = task
        threading.Thread(target=self._run, args=(task,), name=f"task-{task_id[:8]}", daemon=True).start()
        return task

    def _secrets(self, task: Task, definition: dict) -> dict[str, str]:
        """What the ECS agent does at start with the execution role: each `secrets` entry becomes a variable."""
        values = {}
        client = self.aws.client("secretsmanager")
        for entry in definition.get("secrets", []):
            parts = entry["valueFrom"].split(":")
            secret_arn, json_key = ":".join(parts[:7]), (parts[7] if len(parts) > 7 else "")
            iam.require(
                self.aws.client("iam"),
                task.definition["executionRoleArn"],
                iam.Request("secretsmanager:GetSecretValue", secret_arn, {}),
            )
            value = client.get_secret_value(SecretId=secret_arn)["SecretString"]
            values[entry["name"]] = json.loads(value)[json_key] if json_key else value
        return values

    def environment(self, task: Task, container: Container) -> dict[str, str]:
        definition = container.definition
        override = next((o for o in task.overrides.get("containerOverrides", []) if o["name"] == container.name), {})
        env = {e["name"]: e["value"] for e in definition.get("environment", [])}
        env.update({e["name"]: e["value"] for e in override.get("environment", [])})
        env.update(self._secrets(task, definition))
        env.update(self.extra_env)
        env["ECS_CONTAINER_METADATA_URI_V4"] = f"{self.api_url}/v4/{task.task_id}/{container.name}"
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = f"{self.api_url}/creds/{task.task_id}"
        return env

    def sandbox_command(self, task: Task, container: Container, command: list[str], env: dict[str, str]) -> list[str]:
        mounts = []
        for point in container.definition.get("mountPoints", []):
            host = self.work / "volumes" / task.task_id / point["sourceVolume"]
            if not host.exists():
                sandbox.make_volume(host, point["containerPath"], self.image)
            mounts.append((host, point["containerPath"], bool(point.get("readOnly"))))
        return sandbox.bwrap_command(
            image=self.image,
            image_home=self.image_home,
            command=command,
            env=env,
            mounts=mounts,
            read_only_root=bool(container.definition.get("readonlyRootFilesystem")),
            hosts_file=self.hosts_file,
            venv=self.venv,
        )

    # --- the task's life --------------------------------------------------------------------------------------

    def _ready(self, task: Task, container: Container) -> bool | None:
        """True when its dependencies allow it to start, None when they never will."""
        for dep in container.definition.get("dependsOn", []):
            other, condition = task.containers[dep["containerName"]], dep["condition"]
            if condition == "START" and other.status == "PENDING":
                return False
            if condition in ("COMPLETE", "SUCCESS") and other.status != "STOPPED":
                return False
            if condition == "SUCCESS" and other.exit_code != 0:
                return None
            if condition == "HEALTHY" and other.health != "HEALTHY":
                return None if other.status == "STOPPED" else False
        return True

    def _start(self, task: Task, container: Container) -> None:
        override = next((o for o in task.overrides.get("containerOverrides", []) if o["name"] == container.name), {})
        command = override.get("command") or container.definition.get("command") or []
        log = self.work / "logs" / task.definition["family"] / container.name / f"{task.task_id}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        container.log = log
        try:
            args = self.sandbox_command(task, container, command, self.environment(task, container))
        except iam.AccessDenied as exc:  # ECS: ResourceInitializationError, the task never starts
            container.status, container.reason = "STOPPED", f"ResourceInitializationError: {exc}"
            return
        with log.open("ab") as out:
            container.process = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        container.status = "RUNNING"
        if container.definition.get("healthCheck"):
            threading.Thread(target=self._health, args=(task, container), daemon=True).start()

    def _health(self, task: Task, container: Container) -> None:
        check = container.definition["healthCheck"]
        command = check["command"][1:] if check["command"][0] == "CMD" else ["sh", "-c", check["command"][-1]]
        started, failures = time.monotonic(), 0
        env = self.environment(task, container)
        while container.status == "RUNNING":
            args = self.sandbox_command(task, container, command, env)
            try:
                ok = subprocess.run(args, capture_output=True, timeout=check.get("timeout", 5) + 20).returncode == 0
            except subprocess.TimeoutExpired:
                ok = False
            if ok:
                container.health, failures = "HEALTHY", 0
            elif time.monotonic() - started > check.get("startPeriod", 0):
                failures += 1
                if failures >= check.get("retries", 3):
                    container.health = "UNHEALTHY"
            time.sleep(min(check.get("interval", 30), 5))

    def _run(self, task: Task) -> None:
        task.status = "RUNNING"
        while task.status == "RUNNING":
            for container in task.containers.values():
                if container.status == "PENDING":
                    ready = self._ready(task, container)
                    if ready is None:
                        container.status, container.reason = "STOPPED", "dependency condition never met"
                    elif ready:
                        self._start(task, container)
                if container.process is not None and container.status == "RUNNING":
                    code = container.process.poll()
                    if code is not None:
                        container.status, container.exit_code = "STOPPED", code
            essential_down = [
                c
                for c in task.containers.values()
                if (c.definition.get("essential", True) and c.status == "STOPPED") or c.health == "UNHEALTHY"
            ]
            if essential_down:
                c = essential_down[0]
                why = "unhealthy" if c.health == "UNHEALTHY" else c.reason or f"exit code {c.exit_code}"
                self._stop(task, "EssentialContainerExited", f"Essential container in task exited ({c.name}: {why})")
            time.sleep(0.5)

    def _stop(self, task: Task, code: str, reason: str) -> None:
        for container in task.containers.values():
            if container.process is not None and container.process.poll() is None:
                try:
                    os.killpg(container.process.pid, signal.SIGTERM)
                    container.process.wait(timeout=30)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    os.killpg(container.process.pid, signal.SIGKILL)
                    container.process.wait()
                container.exit_code = container.process.returncode
            if container.status != "STOPPED":
                container.status = "STOPPED"
        task.stop_code, task.stopped_reason = task.stop_code or code, task.stopped_reason or reason
        task.status = "STOPPED"

    def stop_task(self, task_id: str, reason: str) -> Task:
        task = self.tasks[task_id]
        if task.status != "STOPPED":
            self._stop(task, "UserInitiated", reason or "Task stopped by user")
        return task

    def stop_all(self) -> None:
        for task in list(self.tasks.values()):
            if task.status != "STOPPED":
                self._stop(task, "UserInitiated", "harness shut down")

    def find(self, arn_or_id: str) -> Task | None:
        return self.tasks.get(arn_or_id.rsplit("/", 1)[-1])

    def by_access_key(self, access_key: str) -> Task | None:
        return next((t for t in self.tasks.values() if access_key_of(t) == access_key), None)


def access_key_of(task: Task) -> str:
    """The task role's (pretend) access key id: how ecs_api.py tells which task is calling."""
    return "ASIA" + task.task_id[:16].upper()
