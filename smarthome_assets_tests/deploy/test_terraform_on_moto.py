"""`terraform apply` of deploy/terraform against a moto server: every resource moto can create, in the order
Terraform derives from the references, with the UI load balancer (Cognito sign-in), the alert webhook's secret and
the alarms switched on; then what was created is read back over moto's APIs and checked.

Excluded (EXCLUDED in deploy/ecs_local/moto_terraform.py says why) are RDS's instance, Redshift Serverless and the
API stage with what hangs on them, whose addresses reach the tasks through `local.service_endpoints` (replaced
here by stand-in values as `make ecs-local` replaces them), and the API's CloudFront cache (moto has no cache or
response-headers policies). IAM is not evaluated by moto: the control and execution roles'
policies are checked with the harness's evaluator (deploy/ecs_local/iam.py) for the calls the launcher and ECS make.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import boto3
import pytest

from deploy.ecs_local import iam, sandbox
from deploy.ecs_local.moto_terraform import endpoints_override
from smarthome_assets_tests.deploy.conftest import init_copy, stand_in_zip, tf_run
from smarthome_assets_tests.support.deploy_tools import LAKE_QUERIES, REPO, provider_mirror, terraform
from smarthome_assets_tests.support.processes import stop_group

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

#: Planned resources moto cannot create, or that hang on one it cannot.
NOT_ON_MOTO = (
    r"^aws_db_instance\.this$",  # RDS-managed master secret
    r"^aws_redshiftserverless_",  # no Redshift Serverless
    r"^aws_api_gateway_(account|stage|method_settings|usage_plan|usage_plan_key)\.",  # account settings
    # moto's server fails on the log target's policy (a statement whose Principal is the string "*") and the
    # provider retries until its timeout; the target bucket's policy itself is applied and read back.
    r"^aws_s3_bucket_logging\.data$",
    r"^aws_cloudfront_(cache_policy|origin_request_policy|response_headers_policy|distribution)\.",  # no policies
)


def _client(endpoint: str, service: str):
    return boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )  # fmt: skip


MOTO_ON_A_FREE_PORT = """
import threading
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
threading.Event().wait()
"""


@pytest.fixture(scope="module")
def moto_with_managed_policies(tmp_path_factory):
    """A moto server of this module's own, in its own process, that knows AWS's managed policies (the module attaches
    four): the session's in-process server is shared with other tests and is started without them."""
    env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w")
    # The server binds port 0 and prints the port it got: a port probed first and bound later could be taken in
    # between by another test process's server, and this module would then talk to that one.
    server = subprocess.Popen(
        [sys.executable, "-c", MOTO_ON_A_FREE_PORT], env=env, stdout=subprocess.PIPE, stderr=log, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        endpoint = f"http://127.0.0.1:{int(server.stdout.readline())}"
        yield endpoint
    finally:
        stop_group(server, grace_seconds=10)
        log.close()


@pytest.fixture(scope="module")
def applied(tmp_path_factory, moto_with_managed_policies):
    from deploy.ecs_local.moto_terraform import provider_override

    terraform(), provider_mirror()
    endpoint = moto_with_managed_policies
    work = tmp_path_factory.mktemp("tf-apply")
    env = {**init_copy(work), "AWS_EC2_METADATA_DISABLED": "true"}
    master = _client(endpoint, "secretsmanager").create_secret(
        Name="rds!db-test", SecretString=json.dumps({"username": "smarthome_admin", "password": "pw"})
    )["ARN"]
    certificate = _client(endpoint, "acm").request_certificate(DomainName="ui.example.com")["CertificateArn"]
    (work / "moto_override.tf").write_text(provider_override(endpoint))
    (work / "stand_ins_override.tf").write_text(
        endpoints_override(
            {
                "db_instance_id": "smarthome", "api_stage": "prod", "db_host": "db.test", "db_port": 5432,
                "db_admin_user": "smarthome_admin", "db_master_secret_arn": master,
                "api_url": "https://api.test/prod", "redshift_host": "redshift.test", "redshift_workgroup": "smarthome",
                "redshift_workgroup_arn": "arn:aws:redshift-serverless:us-east-1:123456789012:workgroup/smarthome",
            }
        )
    )  # fmt: skip
    # moto's ECS runs no task, so its services never reach a steady state (make ecs-local is the data plane).
    (work / "no_steady_state_override.tf").write_text(
        'resource "aws_ecs_service" "dagster" {\n  wait_for_steady_state = false\n}\n'
    )
    variables = [
        "-var", "region=us-east-1", "-var", f"lambda_zip={stand_in_zip(work)}", "-var", "image_tag=test",
        "-var", "force_destroy_bucket=true", "-var", "deletion_protection=false",
        "-var", f"lake_queries_dir={LAKE_QUERIES}",
        "-var", "ui_load_balancer=internet-facing", "-var", "ui_domain_name=ui.example.com",
        "-var", f"ui_certificate_arn={certificate}",
        "-var", "alert_webhook=true", "-var", "alert_webhook_url=https://hooks.example.com/services/T/B/x",
        "-var", "alarm_email=ops@example.com",
    ]  # fmt: skip
    tf_run([terraform(), "plan", "-input=false", "-no-color", "-out=all.bin", *variables], work, env)
    plan = json.loads(tf_run([terraform(), "show", "-json", "all.bin"], work, env).stdout)
    addresses = [c["address"] for c in plan["resource_changes"] if c["mode"] == "managed"]
    targets = [a for a in addresses if not any(re.search(p, a) for p in NOT_ON_MOTO)]
    args = ["-auto-approve", "-input=false", "-no-color", *variables]
    # No destroy afterwards: the moto server and its resources go with the fixture. A destroy on moto tested
    # moto's own gaps (no DeleteNamedQuery; RevokeSecurityGroupEgress on a rule it had already dropped), not
    # the module, and cost minutes of the suite.
    tf_run([terraform(), "apply", "-parallelism=20", *args, *[f"-target={t}" for t in targets]], work, env, 500)
    state = json.loads(tf_run([terraform(), "show", "-json", "-no-color"], work, env).stdout)
    resources = {r["address"]: r["values"] for r in state["values"]["root_module"]["resources"]}
    return {"endpoint": endpoint, "state": resources, "addresses": addresses, "targets": targets}


def test_everything_but_the_excluded_services_applies(applied):
    excluded = sorted(set(applied["addresses"]) - set(applied["targets"]))
    assert len(applied["targets"]) > 120, len(applied["targets"])
    assert all(re.search(r"db_instance|redshiftserverless|api_gateway|bucket_logging|cloudfront", a) for a in excluded)


def test_the_services_roll_out_one_task_at_a_time_and_stop_failed_rollouts(applied):
    """moto's DescribeServices leaves the deployment configuration out, so it is read from the applied state."""
    for role in ("code", "webserver", "daemon"):
        service = applied["state"][f'aws_ecs_service.dagster["{role}"]']
        assert (service["deployment_maximum_percent"], service["deployment_minimum_healthy_percent"]) == (100, 0)
        assert service["deployment_circuit_breaker"] == [{"enable": True, "rollback": True}]
        assert service["enable_execute_command"] is False  # ECS Exec cannot work with a read-only root
        assert service["wait_for_steady_state"] is False  # the test's override: moto runs no task (ecs.tf: true)
    webserver = applied["state"]['aws_ecs_service.dagster["webserver"]']
    assert webserver["load_balancer"][0]["container_port"] == 3000
    assert "wait_for_steady_state = true" in (REPO / "deploy" / "terraform" / "ecs.tf").read_text()


def test_the_services_wait_for_the_bootstrap_and_every_mount_is_an_image_volume(applied):
    ecs = _client(applied["endpoint"], "ecs")
    volumes = sandbox.read_image().volumes
    for family in ("code", "webserver", "daemon", "run"):
        containers = ecs.describe_task_definition(taskDefinition=f"smarthome-{family}")["taskDefinition"][
            "containerDefinitions"
        ]
        main = next(c for c in containers if c["name"] == family)
        if family == "run":
            assert len(containers) == 1  # the launcher overrides the `run` container only
        else:
            gate = next(c for c in containers if c["name"] == "bootstrap-done")
            assert gate["essential"] is False and "psycopg2.connect" in gate["command"][-1]
            assert main["dependsOn"] == [{"containerName": "bootstrap-done", "condition": "SUCCESS"}]
        for container in containers:
            assert container["readonlyRootFilesystem"] is True
            assert {m["containerPath"] for m in container["mountPoints"]} <= volumes.keys()
            assert "SMARTHOME_ALERT_WEBHOOK_URL" in {s["name"] for s in container["secrets"]}
            assert "SMARTHOME_ALERT_WEBHOOK_URL" not in {e["name"] for e in container["environment"]}


def test_the_roles_allow_what_the_launcher_and_ecs_do(applied):
    """IAM is not evaluated by moto: the harness's evaluator reads the policies Terraform attached."""
    client = _client(applied["endpoint"], "iam")
    ecs = _client(applied["endpoint"], "ecs")
    run = ecs.describe_task_definition(taskDefinition="smarthome-run")["taskDefinition"]
    cluster = ecs.describe_clusters(clusters=["smarthome"])["clusters"][0]["clusterArn"]
    task = cluster.replace(":cluster/", ":task/") + "/0123456789abcdef"
    control = client.get_role(RoleName="smarthome-dagster-control")["Role"]["Arn"]
    iam.require(
        client,
        control,
        iam.Request("ecs:RunTask", run["taskDefinitionArn"], {"ecs:cluster": cluster}),
        iam.Request("ecs:TagResource", task, {"ecs:CreateAction": "RunTask"}),
        iam.Request("ecs:DescribeTasks", task, {"ecs:cluster": cluster}),
        iam.Request("iam:PassRole", run["taskRoleArn"], {}),
        iam.Request("iam:PassRole", run["executionRoleArn"], {}),
    )
    with pytest.raises(iam.AccessDenied):  # tagging anything else stays refused
        iam.require(client, control, iam.Request("ecs:TagResource", task, {}))
    secrets = {":".join(s["valueFrom"].split(":")[:7]) for s in run["containerDefinitions"][0]["secrets"]}
    iam.require(
        client, run["executionRoleArn"], *[iam.Request("secretsmanager:GetSecretValue", arn, {}) for arn in secrets]
    )


def test_alarms_reach_the_topic(applied):
    cloudwatch, sns = _client(applied["endpoint"], "cloudwatch"), _client(applied["endpoint"], "sns")
    alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms(AlarmNamePrefix="smarthome-")["MetricAlarms"]}
    expected = ("failed-runs", "daemon-heartbeat", "rds-storage", "rds-cpu", "lambda-errors", "lambda-throttles")
    assert {f"smarthome-{name}" for name in (*expected, "api-5xx", "redshift-usage")} == alarms.keys()
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":smarthome-alerts"))
    assert all(a["AlarmActions"] == [topic] for a in alarms.values())
    assert alarms["smarthome-daemon-heartbeat"]["TreatMissingData"] == "breaching"
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"].get("KmsMasterKeyId")
    logs = _client(applied["endpoint"], "logs")
    found = logs.describe_metric_filters(logGroupName="/smarthome/dagster")["metricFilters"]
    filters = {f["filterName"]: f for f in found}
    assert "RUN_FAILURE" in filters["smarthome-failed_runs"]["filterPattern"]


def test_the_ui_is_behind_https_and_sign_in(applied):
    elb = _client(applied["endpoint"], "elbv2")
    (lb,) = [b for b in elb.describe_load_balancers()["LoadBalancers"] if b["LoadBalancerName"] == "smarthome-ui"]
    assert applied["state"]["aws_lb.ui[0]"]["internal"] is False  # moto leaves Scheme out of its answer
    assert applied["state"]["aws_lb.ui[0]"]["drop_invalid_header_fields"] is True
    found = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    listeners = {listener["Port"]: listener for listener in found}
    assert listeners[80]["DefaultActions"][0]["Type"] == "redirect"
    https = listeners[443]
    assert https["Protocol"] == "HTTPS" and https["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    actions = sorted(https["DefaultActions"], key=lambda a: a.get("Order", 0))
    assert [a["Type"] for a in actions] == ["authenticate-cognito", "forward"]


def test_new_objects_are_encrypted_with_the_deployments_key(applied):
    """Defect 8: compute logs are put without a ServerSideEncryption of their own, so the bucket's default applies:
    SSE-KMS with the deployment's key (`aws:kms` without a key id would have used the account's aws/s3 key)."""
    import yaml

    from smarthome_assets.settings import project_root

    instance = yaml.safe_load((project_root() / "deploy" / "dagster.aws.yaml").read_text())
    assert "upload_extra_args" not in instance["compute_logs"]["config"]
    s3 = _client(applied["endpoint"], "s3")
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("smarthome-data-"))
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    key = rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]
    assert key.startswith("arn:aws:kms:") and rule["BucketKeyEnabled"] is True
    kms = _client(applied["endpoint"], "kms")
    assert kms.describe_key(KeyId="alias/smarthome")["KeyMetadata"]["Arn"] == key  # the deployment's own key
    # And the bucket policy is in force: moto refuses a PUT over plain HTTP, as S3 does under aws:SecureTransport.
    with pytest.raises(s3.exceptions.ClientError, match=r"Forbidden|AccessDenied"):
        s3.put_object(Bucket=bucket, Key="smarthome/dagster/compute-logs/probe.out", Body=b"x")


def test_the_lambda_reserves_no_concurrency_by_default(applied):
    assert "ReservedConcurrentExecutions" not in _client(applied["endpoint"], "lambda").get_function_concurrency(
        FunctionName="smarthome-api"
    )
