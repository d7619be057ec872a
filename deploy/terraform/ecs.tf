# Dagster on ECS Fargate, with one image (the repository's Dockerfile) for four task definitions:
# - code: the code location as a gRPC server (`dagster code-server start`), found at code.<namespace>:4000;
# - webserver: the UI, no public IP: reached through an HTTPS load balancer with Cognito or OIDC sign-in when
#   var.ui_load_balancer is set (alb.tf), or from var.webserver_allowed_cidrs (a VPN);
# - daemon: schedules, sensors, the run queue, run monitoring; its EcsRunLauncher starts each run as its own task
#   of the `run` task definition (deploy/dagster.aws.yaml);
# - run: what each run executes (never a service); bootstrap: the one-off database set-up (docs/DEPLOY.md).
# Secrets reach the containers only through `secrets` (Secrets Manager), resolved by ECS at start.

locals {
  # Where docs/DEPLOY.md uploads the Kaggle file unless var.source_files names others.
  source_files  = length(var.source_files) > 0 ? var.source_files : ["s3://${aws_s3_bucket.data.bucket}/${var.s3_prefix}/incoming/HomeC.csv"]
  image         = "${aws_ecr_repository.this.repository_url}:${var.image_tag}"
  dns_namespace = "smarthome.internal" # deploy/workspace.aws.yaml names code.smarthome.internal
  # The services the tasks are told about, in one place: the local ECS harness (deploy/ecs_local, `make
  # ecs-local`) replaces exactly this map with its stand-ins (embedded PostgreSQL behind TLS for RDS, the local API,
  # a Redshift front), because moto cannot create RDS-managed secrets, Redshift Serverless or API Gateway stages.
  # The alarms (alarms.tf) name them from here too.
  service_endpoints = {
    db_instance_id         = aws_db_instance.this.identifier
    db_host                = aws_db_instance.this.address
    db_port                = aws_db_instance.this.port
    db_admin_user          = aws_db_instance.this.username
    db_master_secret_arn   = aws_db_instance.this.master_user_secret[0].secret_arn
    api_url                = aws_api_gateway_stage.prod.invoke_url
    api_stage              = aws_api_gateway_stage.prod.stage_name
    redshift_host          = aws_redshiftserverless_workgroup.this.endpoint[0].address
    redshift_workgroup     = aws_redshiftserverless_workgroup.this.workgroup_name
    redshift_workgroup_arn = aws_redshiftserverless_workgroup.this.arn
  }
  log_options = {
    "awslogs-group"  = aws_cloudwatch_log_group.dagster.name
    "awslogs-region" = local.region
  }
  # Non-secret settings: they become SMARTHOME_* and DAGSTER_* in every Dagster container.
  dagster_environment = [for k, v in {
    DAGSTER_HOME                 = "/opt/dagster/home"
    DAGSTER_PG_HOST              = local.service_endpoints.db_host
    DAGSTER_PG_PORT              = tostring(local.service_endpoints.db_port)
    DAGSTER_PG_USER              = "smarthome_app"
    DAGSTER_PG_DB                = "dagster"
    DAGSTER_CURRENT_IMAGE        = local.image
    DAGSTER_RUN_TASK_DEFINITION  = "${local.name}-run"
    DAGSTER_COMPUTE_LOGS_BUCKET  = aws_s3_bucket.data.bucket
    DAGSTER_COMPUTE_LOGS_PREFIX  = "${var.s3_prefix}/dagster/compute-logs"
    AWS_REGION                   = local.region
    SMARTHOME_ENV                = "aws"
    SMARTHOME_HOME               = "/tmp/smarthome"
    SMARTHOME_S3_BUCKET          = aws_s3_bucket.data.bucket
    SMARTHOME_S3_PREFIX          = var.s3_prefix
    SMARTHOME_SOURCE_FILES       = join(",", local.source_files)
    SMARTHOME_DATABASE_URL       = "postgresql://smarthome_app@${local.service_endpoints.db_host}:${local.service_endpoints.db_port}/smarthome"
    SMARTHOME_DATABASE_SSLMODE   = "require"
    SMARTHOME_API_URL            = local.service_endpoints.api_url
    SMARTHOME_REDSHIFT_HOST      = local.service_endpoints.redshift_host
    SMARTHOME_REDSHIFT_DATABASE  = var.redshift_database
    SMARTHOME_REDSHIFT_WORKGROUP = local.service_endpoints.redshift_workgroup
    SMARTHOME_REDSHIFT_IAM_ROLE  = aws_iam_role.redshift_copy.arn
    SMARTHOME_LAKE_GLUE_DATABASE = aws_glue_catalog_database.lake.name
    SMARTHOME_SPECTRUM_IAM_ROLE  = aws_iam_role.spectrum.arn
  } : { name = k, value = v }]
  # libpq reads PGPASSWORD itself, so SMARTHOME_DATABASE_URL carries no password. The alert webhook's URL is a
  # secret too (a Slack webhook URL is its own credential): present only when var.alert_webhook is set.
  dagster_secrets = concat([
    { name = "DAGSTER_PG_PASSWORD", valueFrom = "${aws_secretsmanager_secret.app.arn}:password::" },
    { name = "PGPASSWORD", valueFrom = "${aws_secretsmanager_secret.app.arn}:password::" },
    { name = "SMARTHOME_API_KEY", valueFrom = aws_secretsmanager_secret.api_key.arn },
    ], var.alert_webhook ? [{ name = "SMARTHOME_ALERT_WEBHOOK_URL", valueFrom = aws_secretsmanager_secret.alert_webhook[0].arn }] : []
  )
  # The services wait for the bootstrap task (docs/DEPLOY.md step 5): this first container of their tasks exits 0
  # once smarthome_app can log in to the `dagster` database, and the Dagster container starts only then
  # (dependsOn SUCCESS). It gives up after 20 minutes; the task then stops and the circuit breaker sees it.
  wait_for_bootstrap = {
    name                   = "bootstrap-done"
    image                  = local.image
    essential              = false
    readonlyRootFilesystem = true
    command = ["python", "-c", join("\n", [
      "import os, sys, time, psycopg2",
      "for attempt in range(240):",
      "    try:",
      "        psycopg2.connect(host=os.environ['DAGSTER_PG_HOST'], port=os.environ['DAGSTER_PG_PORT'], user=os.environ['DAGSTER_PG_USER'], dbname=os.environ['DAGSTER_PG_DB'], password=os.environ['DAGSTER_PG_PASSWORD'], sslmode='require', connect_timeout=5).close()",
      "        sys.exit(0)",
      "    except psycopg2.OperationalError as e:",
      "        print('waiting for the bootstrap task:', str(e).strip().splitlines()[0], flush=True)",
      "        time.sleep(5)",
      "sys.exit(1)",
    ])]
    environment      = local.dagster_environment
    secrets          = local.dagster_secrets
    mountPoints      = local.scratch_mounts
    logConfiguration = { logDriver = "awslogs", options = merge(local.log_options, { "awslogs-stream-prefix" = "bootstrap-done" }) }
  }
  # Read-only root file system; what Dagster and the pipeline write goes to these task-local volumes.
  scratch_mounts = [
    { sourceVolume = "tmp", containerPath = "/tmp", readOnly = false },
    { sourceVolume = "dagster-storage", containerPath = "/opt/dagster/home/storage", readOnly = false },
  ]
  containers = {
    code      = ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "smarthome_assets.definitions", "--location-name", "smarthome"]
    webserver = ["dagster-webserver", "-h", "0.0.0.0", "-p", "3000", "-w", "/opt/dagster/app/deploy/workspace.aws.yaml"]
    daemon    = ["dagster-daemon", "run", "-w", "/opt/dagster/app/deploy/workspace.aws.yaml"]
    run       = ["dagster", "--version"] # replaced by EcsRunLauncher with `dagster api execute_run ...`
  }
  # ECS restarts a container that stops answering (the Dockerfile has no HEALTHCHECK: one image, four roles).
  health = {
    code      = ["CMD", "dagster", "api", "grpc-health-check", "-p", "4000"]
    webserver = ["CMD", "python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:3000/server_info', timeout=5)"]
  }
  sizes = {
    code      = { cpu = 512, memory = 1024, role = aws_iam_role.run.arn }
    webserver = { cpu = 512, memory = 1024, role = aws_iam_role.control.arn }
    daemon    = { cpu = 256, memory = 1024, role = aws_iam_role.control.arn }
    run       = { cpu = 1024, memory = 4096, role = aws_iam_role.run.arn }
  }
}

resource "aws_ecr_repository" "this" {
  name                 = local.name
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_destroy_bucket
  image_scanning_configuration {
    scan_on_push = true
  }
  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.this.arn
  }
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "keep the 20 newest images"
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 20 }
      action       = { type = "expire" }
    }]
  })
}

resource "aws_cloudwatch_log_group" "dagster" {
  name              = "/${local.name}/dagster"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
}

resource "aws_ecs_cluster" "this" {
  name = local.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
  configuration {
    execute_command_configuration {
      kms_key_id = aws_kms_key.this.arn
      logging    = "OVERRIDE"
      log_configuration {
        cloud_watch_encryption_enabled = true
        cloud_watch_log_group_name     = aws_cloudwatch_log_group.dagster.name
      }
    }
  }
}

resource "aws_security_group" "dagster" {
  name        = "${local.name}-dagster"
  description = "Dagster tasks: gRPC and UI inside the group, out to PostgreSQL, Redshift and HTTPS"
  vpc_id      = local.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "dagster_self" {
  for_each                     = { grpc = 4000, ui = 3000 }
  security_group_id            = aws_security_group.dagster.id
  description                  = "Dagster ${each.key} between its own tasks"
  referenced_security_group_id = aws_security_group.dagster.id
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
}

resource "aws_vpc_security_group_ingress_rule" "webserver_from_cidrs" {
  for_each          = toset(var.webserver_allowed_cidrs)
  security_group_id = aws_security_group.dagster.id
  description       = "Dagster UI from an allowed network"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 3000
  to_port           = 3000
}

resource "aws_vpc_security_group_egress_rule" "dagster" {
  for_each = {
    postgres = { port = 5432, sg = aws_security_group.rds.id }
    redshift = { port = 5439, sg = aws_security_group.redshift.id }
    grpc     = { port = 4000, sg = aws_security_group.dagster.id }
  }
  security_group_id            = aws_security_group.dagster.id
  description                  = "to ${each.key}"
  referenced_security_group_id = each.value.sg
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
}

resource "aws_vpc_security_group_egress_rule" "dagster_https" {
  security_group_id = aws_security_group.dagster.id
  description       = "HTTPS: S3, ECR, ECS, Secrets Manager, Redshift credentials, the API"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_ecs_task_definition" "dagster" {
  for_each                 = local.containers
  family                   = "${local.name}-${each.key}"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = local.sizes[each.key].cpu
  memory                   = local.sizes[each.key].memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = local.sizes[each.key].role
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
  volume {
    name = "tmp"
  }
  volume {
    name = "dagster-storage"
  }
  container_definitions = jsonencode(concat(each.key == "run" ? [] : [local.wait_for_bootstrap], [merge({
    name                   = each.key
    image                  = local.image
    essential              = true
    command                = each.value
    readonlyRootFilesystem = true
    environment            = local.dagster_environment
    secrets                = local.dagster_secrets
    mountPoints            = local.scratch_mounts
    portMappings           = each.key == "code" ? [{ containerPort = 4000 }] : each.key == "webserver" ? [{ containerPort = 3000 }] : []
    logConfiguration       = { logDriver = "awslogs", options = merge(local.log_options, { "awslogs-stream-prefix" = each.key }) }
    healthCheck            = contains(keys(local.health), each.key) ? { command = local.health[each.key], interval = 30, timeout = 10, retries = 3, startPeriod = 120 } : null
  }, each.key == "run" ? {} : { dependsOn = [{ containerName = "bootstrap-done", condition = "SUCCESS" }] })]))
}

resource "aws_service_discovery_private_dns_namespace" "this" {
  name = local.dns_namespace
  vpc  = local.vpc_id
}

resource "aws_service_discovery_service" "this" {
  for_each = toset(["code", "webserver"])
  name     = each.key
  dns_config {
    namespace_id = aws_service_discovery_private_dns_namespace.this.id
    dns_records {
      type = "A"
      ttl  = 10
    }
  }
  health_check_custom_config {
    failure_threshold = 1
  }
}

resource "aws_ecs_service" "dagster" {
  for_each        = toset(["code", "webserver", "daemon"])
  name            = "${local.name}-${each.key}"
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.dagster[each.key].arn
  desired_count   = 1
  launch_type     = "FARGATE"
  propagate_tags  = "SERVICE"
  # ECS Exec does not work with a read-only root file system: the UI is reached through the load balancer (alb.tf).
  enable_execute_command = false
  # One task of each at a time, also during a rollout: two code servers would answer the same name with different
  # code, two daemons would run every schedule twice. A new task starts only after the old one stopped.
  deployment_maximum_percent         = 100
  deployment_minimum_healthy_percent = 0
  # A rollout whose tasks keep failing (the bootstrap never ran, the image does not start) stops and rolls back,
  # and `terraform apply` waits for the services to be steady, so it fails instead of reporting success.
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  wait_for_steady_state = true
  network_configuration {
    subnets          = local.subnet_ids
    security_groups  = [aws_security_group.dagster.id]
    assign_public_ip = false
  }
  dynamic "load_balancer" {
    for_each = each.key == "webserver" && local.ui_alb ? [1] : []
    content {
      target_group_arn = aws_lb_target_group.ui[0].arn
      container_name   = "webserver"
      container_port   = 3000
    }
  }
  # The roles' policies exist before a task can start (their grants: secrets, RunTask, the bucket).
  depends_on = [aws_iam_role_policy.execution, aws_iam_role_policy.control, aws_iam_role_policy.run]
  dynamic "service_registries" {
    for_each = contains(["code", "webserver"], each.key) ? [aws_service_discovery_service.this[each.key].arn] : []
    content {
      registry_arn = service_registries.value
    }
  }
}

# One-off: `aws ecs run-task --task-definition <name>-bootstrap ...` (docs/DEPLOY.md) creates the logins and the
# `dagster` database as the RDS master user, whose password ECS injects from the RDS-managed secret.
resource "aws_ecs_task_definition" "bootstrap" {
  family                   = "${local.name}-bootstrap"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.bootstrap.arn
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([{
    name                   = "bootstrap"
    image                  = local.image
    essential              = true
    readonlyRootFilesystem = true
    command = [
      "python", "-m", "smarthome_assets.database.aws_bootstrap",
      "--host", local.service_endpoints.db_host, "--port", tostring(local.service_endpoints.db_port),
      "--admin-user", local.service_endpoints.db_admin_user,
      "--app-secret", aws_secretsmanager_secret.app.arn, "--reader-secret", aws_secretsmanager_secret.reader.arn,
    ]
    environment      = [{ name = "AWS_REGION", value = local.region }]
    secrets          = [{ name = "PGPASSWORD", valueFrom = "${local.service_endpoints.db_master_secret_arn}:password::" }]
    mountPoints      = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    logConfiguration = { logDriver = "awslogs", options = merge(local.log_options, { "awslogs-stream-prefix" = "bootstrap" }) }
  }])
}
