"""deploy/terraform applied to a moto server: the task definitions, services, roles and secrets exactly as the module
creates them, so the harness reads its container specs from ECS (moto's) instead of typing them again.

The module is copied into a work folder with two override files (Terraform's `*_override.tf` mechanism):
- the provider pointed at the moto server (custom endpoints, test credentials, skip flags);
- `local.service_endpoints` replaced by the stand-ins' addresses (ecs.tf keeps every reference to RDS, Redshift
  Serverless and API Gateway's stage in that one map, because moto cannot create those; see EXCLUDED).
Nothing else of the module is changed. `terraform init` uses the offline provider mirror (no registry).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO / "deploy" / "terraform"

#: Every AWS service the module talks to, pointed at the moto server.
SERVICES = (
    "apigateway", "athena", "cloudfront", "cloudwatch", "cloudwatchlogs", "cognitoidp", "ec2", "ecr", "ecs", "elbv2",
    "glue", "iam", "kms", "lambda", "rds", "redshiftserverless", "s3", "secretsmanager", "servicediscovery", "sns",
    "sts",
)  # fmt: skip

#: What moto cannot create, and why; the harness stands in for their endpoints (local.service_endpoints).
EXCLUDED = {
    "aws_db_instance.this": "moto's RDS has no RDS-managed master secret (manage_master_user_password)",
    "aws_redshiftserverless_*": "moto has no Redshift Serverless",
    "aws_api_gateway_account.this / aws_api_gateway_stage.prod": "moto has no API Gateway account settings, "
    "which the stage depends on",
}

#: What the harness needs from the module: the services and their task definitions (with the cluster, network,
#: roles, log group and Cloud Map they reference), the one-off bootstrap, the secrets' values, the bucket, the lake's
#: Glue tables.
HARNESS_TARGETS = (
    "aws_ecs_service.dagster",
    "aws_ecs_task_definition.bootstrap",
    "aws_secretsmanager_secret_version.app",
    "aws_secretsmanager_secret_version.reader",
    "aws_secretsmanager_secret_version.api_key",
    "aws_s3_bucket_server_side_encryption_configuration.data",
    "aws_s3_bucket_versioning.data",
    "aws_glue_catalog_table.lake",  # the runs register the lake's day partitions in it
    "aws_iam_role_policy.redshift_copy",
    "aws_iam_role_policy.execution",
    "aws_iam_role_policy.control",
    "aws_iam_role_policy.run",
    "aws_iam_role_policy.bootstrap",
    "aws_iam_role_policy.spectrum",  # the warehouse's external schema over the lake is created with it
)

_MIRROR_GLOBS = (
    "/opt/*/registry.terraform.io/hashicorp/aws/*/linux_amd64/terraform-provider-aws*",
    "/usr/share/terraform/plugins/registry.terraform.io/hashicorp/aws/*/linux_amd64/terraform-provider-aws*",
    str(Path.home() / ".terraform.d/plugins/registry.terraform.io/hashicorp/aws/*/linux_amd64/terraform-provider-aws*"),
)


#: The module's state is in S3 (versions.tf); a work copy keeps its state beside it instead.
LOCAL_BACKEND = 'terraform {\n  backend "local" {}\n}\n'


class TerraformError(RuntimeError):
    pass


def provider_mirror() -> Path | None:
    """The root of a local plugin directory holding hashicorp/aws (what `-plugin-dir` takes), if the machine has one."""
    for pattern in _MIRROR_GLOBS:
        for binary in sorted(glob.glob(pattern)):
            return Path(binary).parents[5]
    return None


def provider_override(endpoint: str) -> str:
    endpoints = "\n".join(f'    {service} = "{endpoint}"' for service in SERVICES)
    return f"""
provider "aws" {{
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  skip_requesting_account_id  = false
  s3_use_path_style           = true
  endpoints {{
{endpoints}
  }}
}}
"""


def endpoints_override(stand_ins: dict[str, str | int]) -> str:
    body = "\n".join(f"    {k} = {json.dumps(v)}" for k, v in stand_ins.items())
    return f"locals {{\n  service_endpoints = {{\n{body}\n  }}\n}}\n"


def environment(workdir: Path) -> dict[str, str]:
    """Terraform without checkpoint calls, user settings, network mirrors or the EC2 metadata service."""
    config = workdir / "terraformrc"
    config.write_text("")
    return {
        **os.environ,
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "TF_CLI_CONFIG_FILE": str(config),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def run(args: list[str], workdir: Path, timeout: int = 900) -> str:
    done = subprocess.run(
        ["terraform", *args], cwd=workdir, env=environment(workdir), capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise TerraformError(f"terraform {args[0]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def prepare(workdir: Path, moto_endpoint: str, stand_ins: dict[str, str | int] | None = None) -> None:
    """Copy the module (and its lock file), write the overrides, and `terraform init` from the offline mirror."""
    mirror = provider_mirror()
    if shutil.which("terraform") is None or mirror is None:
        raise TerraformError("terraform and an offline hashicorp/aws mirror are needed (docs/DEPLOY.md, 'Tests')")
    workdir.mkdir(parents=True, exist_ok=True)
    for source in [*TERRAFORM_DIR.glob("*.tf"), TERRAFORM_DIR / ".terraform.lock.hcl"]:
        if source.exists():
            shutil.copy(source, workdir / source.name)
    (workdir / "moto_provider_override.tf").write_text(provider_override(moto_endpoint))
    (workdir / "backend_override.tf").write_text(LOCAL_BACKEND)
    if stand_ins is not None:
        (workdir / "stand_ins_override.tf").write_text(endpoints_override(stand_ins))
    # moto's ECS runs no task (the harness is the data plane), so the services never reach a steady state there.
    (workdir / "no_steady_state_override.tf").write_text(
        'resource "aws_ecs_service" "dagster" {\n  wait_for_steady_state = false\n}\n'
    )
    run(["init", f"-plugin-dir={mirror}", "-no-color"], workdir)


def apply(workdir: Path, variables: dict[str, str], targets: tuple[str, ...]) -> None:
    args = [f"-var={k}={v}" for k, v in variables.items()] + [f"-target={t}" for t in targets]
    run(["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=20", *args], workdir)
