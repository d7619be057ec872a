"""The deploy tests' Terraform work folders: the module copied with its lock file and initialised from the offline
provider mirror (the repository stays free of .terraform/), then pointed at the session's moto server."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from deploy.ecs_local.moto_terraform import LOCAL_BACKEND, provider_override
from smarthome_assets_tests.support.deploy_tools import (
    LAKE_QUERIES,
    TERRAFORM_DIR,
    provider_mirror,
    terraform,
    terraform_env,
)


def tf_run(args: list[str], cwd: Path, env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(args[:3])} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


def init_copy(work: Path) -> dict[str, str]:
    for source in [*TERRAFORM_DIR.glob("*.tf"), TERRAFORM_DIR / ".terraform.lock.hcl"]:
        shutil.copy(source, work / source.name)
    (work / "backend_override.tf").write_text(LOCAL_BACKEND)  # the module's own backend is S3
    env = terraform_env(work)
    tf_run([terraform(), "init", f"-plugin-dir={provider_mirror()}", "-no-color"], work, env)
    return env


def stand_in_zip(folder: Path) -> Path:
    """The Lambda's zip is built by `make lambda-zip`; the plan only hashes it."""
    zip_path = folder / "lambda_api.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("lambda_api/__init__.py", "")
    return zip_path


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    terraform(), provider_mirror()
    work = tmp_path_factory.mktemp("tf")
    return work, init_copy(work)


@pytest.fixture(scope="module")
def moto_workdir(workdir, moto_s3_endpoint, tmp_path_factory):
    """The initialised module with its provider pointed at the moto server, and a stand-in Lambda zip."""
    work, env = workdir
    (work / "moto_override.tf").write_text(provider_override(moto_s3_endpoint))
    zip_path = stand_in_zip(tmp_path_factory.mktemp("zip"))
    variables = ["-var", "region=us-east-1", "-var", f"lambda_zip={zip_path}", "-var", "image_tag=test"]
    variables += ["-var", f"lake_queries_dir={LAKE_QUERIES}"]  # the copied module cannot reach them by path.module
    return work, {**env, "AWS_EC2_METADATA_DISABLED": "true"}, variables


@pytest.fixture(scope="module")
def plan(moto_workdir) -> dict:
    work, env, variables = moto_workdir
    tf_run([terraform(), "plan", "-input=false", "-no-color", "-out=plan.bin", *variables], work, env)
    return json.loads(tf_run([terraform(), "show", "-json", "plan.bin"], work, env).stdout)


def planned(plan: dict) -> dict[str, dict]:
    return {r["address"]: r.get("values", {}) for r in plan["planned_values"]["root_module"]["resources"]}


def console(moto_workdir, expression: str):
    """Evaluate an expression of the module (`terraform console`): the task definitions' JSON is unknown in a
    plan (it names ARNs), but the names of their variables and secrets are not."""
    work, env, variables = moto_workdir
    done = subprocess.run(
        [terraform(), "console", "-no-color", *variables],
        input=f"jsonencode({expression})\n", cwd=work, env=env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    return json.loads(json.loads(done.stdout.strip().splitlines()[-1]))
