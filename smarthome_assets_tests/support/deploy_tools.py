"""Finding the infrastructure tools for the deploy tests, and skipping with the way to get them when absent.

terraform and its AWS provider come from the machine (the provider from an offline plugin mirror: no registry
is reached); checkov and hadolint from `.venv-tools` (`make tools`, requirements/tools-lock.txt), because
checkov's pins cannot live in the project's own lock.
"""

from __future__ import annotations

import glob
import shutil
from pathlib import Path

import pytest

from deploy.ecs_local import moto_terraform
from smarthome_assets_tests.support.paths import REPO

TERRAFORM_DIR = REPO / "deploy" / "terraform"
#: The lake's named queries, which a copy of the module must be told where to find.
LAKE_QUERIES = REPO / "smarthome_assets" / "lake" / "queries"
TOOLS_BIN = REPO / ".venv-tools" / "bin"
_MIRROR_GLOBS = (
    "/opt/*/registry.terraform.io/hashicorp/aws/*/linux_amd64/terraform-provider-aws*",
    "/usr/share/terraform/plugins/registry.terraform.io/hashicorp/aws/*/linux_amd64/terraform-provider-aws*",
    str(Path.home() / ".terraform.d/plugins/registry.terraform.io/hashicorp/aws/*/linux_amd64/terraform-provider-aws*"),
)


def terraform() -> str:
    found = shutil.which("terraform")
    if not found:
        pytest.skip(
            "terraform is not on PATH: install Terraform >= 1.11 (https://developer.hashicorp.com/terraform/install) "
            "to validate deploy/terraform"
        )
    return found


def provider_mirror() -> Path:
    """The root of a local plugin directory holding hashicorp/aws (what `-plugin-dir` takes)."""
    for pattern in _MIRROR_GLOBS:
        for binary in sorted(glob.glob(pattern)):
            # <root>/registry.terraform.io/hashicorp/aws/<version>/<os_arch>/<binary>
            return Path(binary).parents[5]
    pytest.skip(
        "no offline hashicorp/aws provider mirror found; with network access run "
        "`terraform providers mirror /opt/tf-plugins` in deploy/terraform once"
    )


def terraform_env(tmp_path: Path) -> dict[str, str]:
    """No checkpoint calls, and an empty CLI configuration (no user settings, no network mirrors): the ECS
    harness's environment for Terraform."""
    return moto_terraform.environment(tmp_path)


def tool(name: str) -> str:
    for candidate in (TOOLS_BIN / name, shutil.which(name)):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    pytest.skip(f"{name} is not installed: run `make tools` (requirements/tools-lock.txt)")
