"""The HTTP side of the ECS stand-in, on one loopback port (AWS_ENDPOINT_URL_ECS and friends point here):

- ECS's JSON API: RunTask, DescribeTasks, StopTask, ListTasks are answered by the agent (the data plane this
  harness plays); every other ECS call (DescribeTaskDefinition, DescribeClusters, ...) is relayed to the moto
  server, where Terraform created them;
- Redshift Serverless GetCredentials (moto has no Redshift Serverless): IAM-checked against the caller's task role,
  answering that role's `IAMR:<role>` user and a temporary password of the Redshift stand-in;
- the task metadata endpoint v4 (`/v4/<task>/<container>`, `/task`) and the container credentials endpoint
  (`/creds/<task>`), which botocore in each container uses as on Fargate. A caller is known by its access key id.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from deploy.ecs_local import iam
from deploy.ecs_local.agent import Agent, Task, access_key_of

_ECS_TARGET = "AmazonEC2ContainerServiceV20141113."
_CALLER = re.compile(r"Credential=([A-Z0-9]+)/")


class Redshift:
    """What GetCredentials hands out: set by the harness once the Redshift stand-in's login exists."""

    def __init__(self, workgroup_arn: str, password: str):
        self.workgroup_arn, self.password = workgroup_arn, password


def serve(agent: Agent, moto_endpoint: str, redshift: Redshift) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # the harness prints its own table
            pass

        def _answer(self, status: int, body: dict, content_type: str = "application/x-amz-json-1.1") -> None:
            data = json.dumps(body, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            parts = self.path.strip("/").split("/")
            task = agent.find(parts[1]) if len(parts) > 1 else None
            if task is None:
                return self._answer(404, {"message": "no such task"}, "application/json")
            if parts[0] == "creds":
                expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
                return self._answer(
                    200,
                    {
                        "AccessKeyId": access_key_of(task),
                        "SecretAccessKey": "harness-task-role",
                        "Token": "harness-task-role",
                        "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "RoleArn": task.role_arn,
                    },
                    "application/json",
                )
            if parts[0] == "v4" and len(parts) >= 3:
                if parts[3:] == ["task"]:
                    return self._answer(200, _task_metadata(task), "application/json")
                return self._answer(200, {"Name": parts[2], "DockerName": parts[2]}, "application/json")
            return self._answer(404, {"message": "unknown path"}, "application/json")

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            target = self.headers.get("X-Amz-Target", "")
            caller = _CALLER.search(self.headers.get("Authorization", ""))
            task = agent.by_access_key(caller.group(1)) if caller else None
            role = task.role_arn if task else None
            try:
                if target.startswith(_ECS_TARGET):
                    action = target[len(_ECS_TARGET) :]
                    handled = _ecs(agent, action, json.loads(body or b"{}"), role)
                    if handled is not None:
                        return self._answer(200, handled)
                elif target == "RedshiftServerless.GetCredentials":
                    return self._answer(200, _redshift_credentials(agent, redshift, task))
            except iam.AccessDenied as exc:
                return self._answer(400, {"__type": "AccessDeniedException", "message": str(exc)})
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            relayed = requests.post(moto_endpoint + self.path, data=body, headers=headers, timeout=60)
            self.send_response(relayed.status_code)
            for key, value in relayed.headers.items():
                if key.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(relayed.content)))
            self.end_headers()
            self.wfile.write(relayed.content)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    agent.api_url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, name="ecs-api", daemon=True).start()
    return server


def _task_metadata(task: Task) -> dict:
    family, revision = task.definition["family"], task.definition["revision"]
    return {
        "Cluster": task.cluster,
        "TaskARN": task.arn,
        "Family": family,
        "Revision": str(revision),
        "DesiredStatus": "RUNNING",
        "KnownStatus": task.status,
        "LaunchType": "FARGATE",
        "Containers": [{"Name": c.name, "KnownStatus": c.status} for c in task.containers.values()],
    }


def _ecs(agent: Agent, action: str, body: dict, caller_role: str | None) -> dict | None:
    if action == "RunTask":
        if caller_role is None:
            raise iam.AccessDenied("an unknown caller", iam.Request("ecs:RunTask", body.get("taskDefinition", ""), {}))
        return {"tasks": [agent.run_task(body, caller_role).describe()], "failures": []}
    if action == "DescribeTasks":
        found = [agent.find(arn) for arn in body.get("tasks", [])]
        missing = [arn for arn, task in zip(body.get("tasks", []), found, strict=True) if task is None]
        return {
            "tasks": [t.describe() for t in found if t is not None],
            "failures": [{"arn": arn, "reason": "MISSING"} for arn in missing],
        }
    if action == "StopTask":
        task = agent.find(body["task"])
        if task is None:
            return None
        return {"task": agent.stop_task(task.task_id, body.get("reason", "")).describe()}
    if action == "ListTasks":
        tasks = [t for t in agent.tasks.values() if body.get("startedBy") in (None, t.started_by)]
        wanted = body.get("desiredStatus", "RUNNING")
        return {"taskArns": [t.arn for t in tasks if (t.status == "STOPPED") == (wanted == "STOPPED")]}
    return None


def _redshift_credentials(agent: Agent, redshift: Redshift, task: Task | None) -> dict:
    if task is None:
        raise iam.AccessDenied("an unknown caller", iam.Request("redshift-serverless:GetCredentials", "", {}))
    request = iam.Request("redshift-serverless:GetCredentials", redshift.workgroup_arn, {})
    iam.require(agent.aws.client("iam"), task.role_arn, request)
    expires = time.time() + 900
    return {
        "dbUser": "IAMR:" + task.role_arn.rsplit("/", 1)[-1],
        "dbPassword": redshift.password,
        "expiration": expires,
        "nextRefreshTime": expires,
    }
