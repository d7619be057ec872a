"""The Terraform profiles for 1,000 and 10,000 homes (deploy/terraform/profiles/, docs/SCALE.md) set only variables
the module declares, with values Terraform accepts: checked by `terraform console` on the initialised module with
each profile (it evaluates the variables, their types and validations offline), and against the connection
budget rds.tf's precondition enforces at plan time."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from smarthome_assets_tests.deploy.conftest import init_copy
from smarthome_assets_tests.support.deploy_tools import TERRAFORM_DIR, provider_mirror, terraform

PROFILES = sorted((TERRAFORM_DIR / "profiles").glob("*.tfvars"))


def _settings(path) -> dict[str, str]:
    return dict(re.findall(r"^(\w+)\s*=\s*(.+?)\s*$", path.read_text(), flags=re.MULTILINE))


def test_there_is_a_profile_for_1000_and_10000_homes():
    assert [p.name for p in PROFILES] == ["homes-1000.tfvars", "homes-10000.tfvars"]


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.stem)
def test_a_profile_sets_declared_variables_within_the_connection_budget(profile):
    declared = set(re.findall(r'^variable "(\w+)"', (TERRAFORM_DIR / "variables.tf").read_text(), flags=re.MULTILINE))
    settings = _settings(profile)
    assert set(settings) <= declared, set(settings) - declared
    connections = int(settings["api_reserved_concurrency"]) + int(settings["dagster_db_pool_connections"]) + 10
    assert connections <= int(settings["db_max_connections"])  # rds.tf's precondition (10: admin, bootstrap)


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """The module initialised as the other deploy tests do it (a local backend instead of its S3 one)."""
    binary = terraform()
    provider_mirror()
    work = tmp_path_factory.mktemp("tf-profiles")
    return binary, work, init_copy(work)


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.stem)
def test_terraform_evaluates_every_setting_of_a_profile(console, profile):
    binary, work, env = console
    settings = _settings(profile)
    expression = "jsonencode({" + ", ".join(f"{name} = var.{name}" for name in settings) + "})"
    done = subprocess.run(
        [binary, "console", f"-var-file={profile}", "-var", "image_tag=test"],
        input=expression + "\n",
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    evaluated = json.loads(json.loads(done.stdout.strip().splitlines()[-1]))
    assert {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in evaluated.items()} == {
        k: v.strip('"') for k, v in settings.items()
    }
