"""deploy/terraform against the real AWS provider schema, offline: init from the local provider mirror and the
committed lock file, validate, fmt, then a full `plan` whose API calls (STS, EC2 zones) go to a moto server on
loopback. checkov (pinned, `make tools`) passes with zero failed checks; hadolint passes on the Dockerfile.
The apply on moto is test_terraform_on_moto.py; the tasks started as ECS starts them, test_ecs_local.py.

What cannot be checked here: that AWS itself accepts every resource (moto does not implement Redshift Serverless,
API Gateway account settings, RDS-managed master secrets and more), IAM policy evaluation by AWS itself, and
Fargate (no Docker engine, no AWS account). docs/DEPLOY.md lists these.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from smarthome_assets_tests.deploy.conftest import console, planned, tf_run
from smarthome_assets_tests.support.deploy_tools import REPO, TERRAFORM_DIR, terraform, terraform_env, tool

pytestmark = pytest.mark.timeout(900)


def test_terraform_validates_against_the_provider_schema(workdir):
    work, env = workdir
    result = json.loads(tf_run([terraform(), "validate", "-json", "-no-color"], work, env).stdout)
    assert result["valid"], result["diagnostics"]
    assert result["error_count"] == 0 and result["warning_count"] == 0, result["diagnostics"]


def test_terraform_files_are_formatted(tmp_path):
    tf_run([terraform(), "fmt", "-check", "-recursive", "-no-color"], TERRAFORM_DIR, terraform_env(tmp_path))


def test_the_plan_secures_storage_and_databases(plan):
    res = planned(plan)
    assert all(
        res["aws_s3_bucket_public_access_block.data"][k] for k in ("block_public_acls", "restrict_public_buckets")
    )
    versioning = res["aws_s3_bucket_versioning.data"]["versioning_configuration"][0]
    assert versioning["status"] == "Enabled"
    rules = {r["id"]: r for r in res["aws_s3_bucket_lifecycle_configuration.data"]["rule"]}
    assert {"raw-to-glacier-ir", "exports-expire"} <= rules.keys()
    assert rules["raw-to-glacier-ir"]["filter"][0]["prefix"] == "smarthome/raw/"
    db = res["aws_db_instance.this"]
    assert db["publicly_accessible"] is False and db["storage_encrypted"] is True
    assert db["manage_master_user_password"] is True and db["backup_retention_period"] >= 7
    params = {p["name"]: p["value"] for p in res["aws_db_parameter_group.this"]["parameter"]}
    assert params["rds.force_ssl"] == "1"
    workgroup = res["aws_redshiftserverless_workgroup.this"]
    assert workgroup["publicly_accessible"] is False and workgroup["enhanced_vpc_routing"] is True
    # Passwords are write-only: neither the plan nor the state holds them.
    for name in ("app", "reader"):
        version = res[f"aws_secretsmanager_secret_version.{name}"]
        assert version.get("secret_string") in (None, "") and version.get("secret_string_wo") is None


def test_the_plan_secures_the_api(plan):
    res = planned(plan)
    methods = {v["http_method"]: v for k, v in res.items() if k.startswith("aws_api_gateway_method.")}
    assert methods["ANY"]["api_key_required"] is True
    assert methods["OPTIONS"]["api_key_required"] is False and methods["OPTIONS"]["authorization"] == "NONE"
    stage = res["aws_api_gateway_stage.prod"]
    assert stage["xray_tracing_enabled"] is True and stage["access_log_settings"]
    function = res["aws_lambda_function.api"]
    # Defect 4: no reservation by default (-1: the unreserved pool), so the apply works within a new account's quota.
    assert function["reserved_concurrent_executions"] == -1 and function["tracing_config"][0]["mode"] == "Active"
    assert function["handler"] == "lambda_api.handler.handler" and function["runtime"] == "python3.12"
    # The values are unknown until apply (they name the secret's ARN): read the names from the source.
    block = (TERRAFORM_DIR / "lambda_api.tf").read_text().split("variables = {", 1)[1].split("}", 1)[0]
    env = set(re.findall(r"^\s*([A-Z_]+)\s*=", block, re.M))
    assert "SMARTHOME_API_DB_SECRET_ARN" in env
    read_by_code = set(
        re.findall(r'"((?:SMARTHOME_API|POWERTOOLS)_[A-Z_]+)"', (REPO / "lambda_api" / "config.py").read_text())
    )
    assert {k for k in env if k.startswith("SMARTHOME_")} <= read_by_code | {"SMARTHOME_API_DB_SECRET_ARN"}
    assert not [k for k in env if re.search("PASSWORD|API_KEY|DATABASE_URL", k)]


def test_the_plan_caches_past_days_in_cloudfront_revalidated_by_etag(plan):
    """CloudFront keyed on the whole query string (and the key, the format, the origin), keeping only what the
    Lambda marks cacheable and revalidating it each time (TTLs of 0): a corrected day is never served stale."""
    res = planned(plan)
    policy = res["aws_cloudfront_cache_policy.api"]
    assert (policy["min_ttl"], policy["default_ttl"]) == (0, 0)
    key = policy["parameters_in_cache_key_and_forwarded_to_origin"][0]
    assert key["query_strings_config"][0]["query_string_behavior"] == "all"
    assert set(key["headers_config"][0]["headers"][0]["items"]) == {"x-api-key", "Accept", "Origin"}
    distribution = res["aws_cloudfront_distribution.api"]
    behavior = distribution["default_cache_behavior"][0]
    assert set(behavior["cached_methods"]) == {"GET", "HEAD"} and behavior["viewer_protocol_policy"] == "https-only"
    assert distribution["origin"][0]["origin_path"] == "/prod"
    assert {e["error_caching_min_ttl"] for e in distribution["custom_error_response"]} == {0}


def test_the_plan_runs_dagster_privately_with_secrets_from_secrets_manager(plan, moto_workdir):
    res = planned(plan)
    for name in ("code", "webserver", "daemon"):
        network = res[f'aws_ecs_service.dagster["{name}"]']["network_configuration"][0]
        assert network["assign_public_ip"] is False
    assert not [k for k in res if k.startswith(("aws_lb.", "aws_lb_listener."))]  # the UI's ALB is opt-in (alb.tf)
    plain = console(moto_workdir, "[for e in local.dagster_environment : e.name]")
    secret = console(moto_workdir, "[for s in local.dagster_secrets : s.name]")
    assert set(secret) == {"DAGSTER_PG_PASSWORD", "PGPASSWORD", "SMARTHOME_API_KEY"}
    assert not [n for n in plain if re.search("PASSWORD|SECRET|API_KEY", n)]
    url_line = next(
        line for line in (TERRAFORM_DIR / "ecs.tf").read_text().splitlines() if "SMARTHOME_DATABASE_URL " in line
    )
    assert "postgresql://smarthome_app@" in url_line  # the password comes from PGPASSWORD (libpq), not the URL
    # Every SMARTHOME_* setting the tasks get is one the code reads (settings.py or a dg.EnvVar).
    code = (REPO / "smarthome_assets" / "settings.py").read_text() + "".join(
        p.read_text() for p in (REPO / "smarthome_assets").rglob("*.py") if "EnvVar" in p.read_text()
    )
    known = set(re.findall(r'"(SMARTHOME_[A-Z0-9_]+|AWS_REGION)"', code))
    assert not [n for n in [*plain, *secret] if n.startswith("SMARTHOME_") and n not in known]


def test_the_plan_puts_athena_and_spectrum_over_the_lake(plan, moto_workdir):
    """Glue tables with partition projection on `date` and the Parquet files' exact columns, the Athena workgroup's
    enforced settings, the named queries as the repository's .sql files, Spectrum's role on the namespace."""
    from smarthome_assets.lake import layout, query

    res = planned(plan)
    for table in layout.SCHEMAS:
        glue = res[f'aws_glue_catalog_table.lake["{table}"]']
        assert [(k["name"], k["type"]) for k in glue["partition_keys"]] == [("date", "date")]
    # the parameters name the bucket, so the plan does not know them yet: read them from the source
    source = (TERRAFORM_DIR / "lake.tf").read_text()
    for line in (
        '"projection.enabled"            = "true"',
        '"projection.date.type"          = "date"',
        '"projection.date.format"        = "yyyy-MM-dd"',
        '"projection.date.interval.unit" = "DAYS"',
        '"storage.location.template"     = "${local.lake_location}/${each.key}/date=$${date}/"',
    ):
        assert line in source, line  # fmt: skip
    columns = console(moto_workdir, "local.lake_columns")
    for table, schema in layout.SCHEMAS.items():
        assert [(c["name"], c["type"]) for c in columns[table]] == [(f.name, layout.glue_type(f.type)) for f in schema]
    workgroup = res["aws_athena_workgroup.lake"]["configuration"][0]
    assert workgroup["enforce_workgroup_configuration"] is True
    assert workgroup["bytes_scanned_cutoff_per_query"] == 10 * 1024**3
    encryption = workgroup["result_configuration"][0]["encryption_configuration"][0]
    assert encryption["encryption_option"] == "SSE_KMS"
    named = {v["name"]: v["query"] for k, v in res.items() if k.startswith("aws_athena_named_query.lake")}
    assert named == {name: q.sql for name, q in query.named_queries().items()}
    spectrum = (TERRAFORM_DIR / "lake.tf").read_text().split('resource "aws_iam_role_policy" "spectrum"', 1)[1]
    spectrum = spectrum.split("\nresource ", 1)[0]
    resources = re.findall(r"Resource\s*=\s*(.+)", spectrum)
    assert all("/lake/*" in r or "glue_arns" in r or "aws_kms_key" in r or r.strip() == "aws_s3_bucket.data.arn"
               for r in resources), resources  # fmt: skip
    assert "aws_iam_role.spectrum.arn" in (TERRAFORM_DIR / "redshift.tf").read_text()


def test_no_output_is_a_secret(plan):
    outputs = plan["planned_values"].get("outputs", {})
    assert "smarthome_settings" in outputs and "api_url" in outputs
    assert not [name for name, o in outputs.items() if o.get("sensitive")]
    assert not [n for n in outputs if re.search("password|api_key$", n) and not n.endswith("_arn")]


# --- checkov and hadolint ------------------------------------------------------------------------------------


def _checkov(*args: str) -> dict:
    """checkov's JSON reports by framework. A scan that finds nothing to check prints a bare summary instead."""
    done = subprocess.run(
        [tool("checkov"), *args, "--output", "json", "--skip-download", "--compact"],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.stdout.lstrip().startswith(("{", "[")), done.stdout[-2000:] + done.stderr[-2000:]
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    return {r["check_type"]: r for r in reports if "check_type" in r}


def _failed(reports: dict) -> list[str]:
    return [
        f"{c['check_id']} {c['resource']} {c['file_path']}:{c['file_line_range']}"
        for report in reports.values()
        for c in report.get("results", {}).get("failed_checks", [])
    ]


def test_checkov_passes_on_deploy_the_lambda_and_the_dockerfile():
    """The Lambda is the Terraform resource (its checks run with deploy/); lambda_api/ gets the secrets scan."""
    reports = {
        **_checkov("-d", "deploy", "--framework", "terraform", "secrets"),
        **{f"{k}-lambda_api": v for k, v in _checkov("-d", "lambda_api", "--framework", "secrets").items()},
        **{f"{k}-image": v for k, v in _checkov("-f", "Dockerfile", "--framework", "dockerfile").items()},
    }
    assert {"terraform", "dockerfile-image"} <= reports.keys()
    assert reports["terraform"]["summary"]["passed"] > 250
    lambda_checks = {
        c["check_id"]
        for c in reports["terraform"]["results"]["passed_checks"]
        if c["resource"] == "aws_lambda_function.api"
    }
    assert {"CKV_AWS_50", "CKV_AWS_117", "CKV_AWS_173"} <= lambda_checks  # X-Ray, VPC, KMS
    skipped = {c["check_id"] for c in reports["terraform"]["results"]["skipped_checks"]}
    assert "CKV_AWS_115" in skipped  # reserved concurrency: opt-in (var.api_reserved_concurrency), justified inline
    assert not _failed(reports), "\n".join(_failed(reports))


def test_every_checkov_skip_says_why():
    skips = [
        (path.name, line.strip())
        for path in [*TERRAFORM_DIR.glob("*.tf"), REPO / "Dockerfile"]
        for line in path.read_text().splitlines()
        if "checkov:skip" in line
    ]
    assert skips, "expected the documented skips"
    unexplained = [s for s in skips if not re.search(r"checkov:skip=CKV2?_[A-Z]+_\d+:\S.{20,}", s[1])]
    assert not unexplained, unexplained


def test_hadolint_passes_on_the_dockerfile():
    done = subprocess.run(
        [tool("hadolint"), "--failure-threshold", "info", "Dockerfile"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
