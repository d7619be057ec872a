"""The ECS harness (deploy/ecs_local): its sandbox keeps Fargate's volume rule, its IAM check refuses what AWS
refuses, and the services of deploy/terraform start in it (`make ecs-local --services-only`).

Real parts: bubblewrap sandboxes with setpriv as uid 10001 (the kernel checks the permissions), Terraform applied to
a moto server, embedded PostgreSQL behind TLS, the real Dagster processes. Fargate and AWS IAM cannot run here: the
volume ownership rule and the policy evaluation are the harness's model of them (AWS documentation, FACTS.md).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from deploy.ecs_local import iam, sandbox
from smarthome_assets_tests.support.deploy_tools import REPO, provider_mirror, terraform

pytestmark = pytest.mark.timeout(900)


def _bwrap():
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed: `make ecs-deps`")


def _writes_as_the_image_user(tmp_path, container_path: str, host) -> bool:
    image = sandbox.read_image()
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n")
    command = sandbox.bwrap_command(
        image=image,
        image_home=sandbox.prepare_image_home(tmp_path / "home", image),
        command=["sh", "-c", f"echo ok > {container_path}/probe"],
        env={},
        mounts=[(host, container_path, False)],
        read_only_root=True,
        hosts_file=hosts,
        venv=REPO / ".venv",
    )
    return subprocess.run(command, capture_output=True, timeout=60).returncode == 0


def test_every_mount_of_the_task_definitions_is_writable_by_uid_10001(tmp_path):
    """Defect 1: Fargate mounts a task volume as root 0755 unless the image declares a VOLUME there."""
    _bwrap()
    ecs_tf = (REPO / "deploy" / "terraform" / "ecs.tf").read_text()
    mounts = sorted(set(re.findall(r'containerPath = "([^"]+)"', ecs_tf)))
    assert {"/tmp", "/opt/dagster/home/storage"} <= set(mounts)
    image = sandbox.read_image()
    for path in mounts:
        host = tmp_path / "vol" / path.strip("/").replace("/", "-")
        sandbox.make_volume(host, path, image)
        assert _writes_as_the_image_user(tmp_path, path, host), f"{path}: not writable as uid {image.user}"
    # The control: a path the image does not declare gets Fargate's root 0755, which uid 10001 cannot write.
    undeclared = tmp_path / "vol" / "undeclared"
    assert sandbox.make_volume(undeclared, "/srv/scratch", image) == (0, 0, 0o755)
    assert not _writes_as_the_image_user(tmp_path, "/srv/scratch", undeclared)


def test_the_root_file_system_stays_read_only(tmp_path):
    """...and the image's Python (the venv) runs for uid 10001, wherever the machine keeps it."""
    _bwrap()
    image = sandbox.read_image()
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n")
    command = sandbox.bwrap_command(
        image=image,
        image_home=sandbox.prepare_image_home(tmp_path / "home", image),
        command=["sh", "-c", "id -u; python -c 'import psycopg2' || exit 4; touch /opt/dagster/app/x || exit 3"],
        env={},
        mounts=[],
        read_only_root=True,
        hosts_file=hosts,
        venv=REPO / ".venv",
    )
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3 and done.stdout.split()[0] == "10001", done.stdout + done.stderr


CONTROL = {
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["ecs:DescribeTasks", "ecs:TagResource"],
            "Resource": "*",
            "Condition": {"ArnEquals": {"ecs:cluster": "arn:aws:ecs:us-east-1:1:cluster/c"}},
        }
    ]
}
TAG_ON_CREATE = iam.Request("ecs:TagResource", "arn:aws:ecs:us-east-1:1:task/c/abc", {"ecs:CreateAction": "RunTask"})


def test_tag_on_create_is_refused_under_a_cluster_condition_and_allowed_by_create_action():
    """Defect 3's rule, as the harness applies it to the policies Terraform created (IAM itself cannot run here)."""
    assert not iam.allowed([CONTROL], TAG_ON_CREATE)
    fixed = {
        "Statement": [
            *CONTROL["Statement"],
            {
                "Effect": "Allow",
                "Action": "ecs:TagResource",
                "Resource": "arn:aws:ecs:us-east-1:1:task/c/*",
                "Condition": {"StringEquals": {"ecs:CreateAction": "RunTask"}},
            },
        ]
    }
    assert iam.allowed([fixed], TAG_ON_CREATE)
    deny = {"Statement": [{"Effect": "Deny", "Action": "ecs:*", "Resource": "*"}]}
    assert not iam.allowed([fixed, deny], TAG_ON_CREATE)


@pytest.mark.slow
def test_the_services_start_as_ecs_starts_them(tmp_path):
    """`python -m deploy.ecs_local --services-only`: Terraform on moto, bootstrap, code server, webserver, daemon,
    the UI answering and the code location loaded through it. On the code before the Dockerfile declared its
    volumes this failed with "container code failed: its code location did not load: ... No usable temporary
    directory"."""
    _bwrap()
    terraform(), provider_mirror()
    done = subprocess.run(
        [sys.executable, "-m", "deploy.ecs_local", "--services-only", "--work", str(tmp_path / "w"),
         "--timeout", "300"],
        cwd=REPO, capture_output=True, text=True, timeout=840,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("ecs-local: OK"), last
    for name in ("bootstrap", "code", "webserver", "daemon"):
        assert any(line.startswith(name + " ") for line in done.stdout.splitlines()), name
