# IAM for Dagster on ECS, one role per job (the anchor example gives every task s3:* and Resource "*"):
# - execution: pull the image, write logs, resolve the task's `secrets` (only the secrets it names);
# - control (webserver + daemon): launch, watch and stop run tasks of the run task definition (EcsRunLauncher),
#   read compute logs;
# - run: the pipeline itself: the bucket's prefix, the key, Redshift Serverless credentials by IAM;
# - bootstrap: read the two database secrets it writes into PostgreSQL as role passwords.

locals {
  ecs_assume = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  bucket_prefix_arn = "${aws_s3_bucket.data.arn}/${var.s3_prefix}"
}

resource "aws_iam_role" "execution" {
  name               = "${local.name}-ecs-execution"
  assume_role_policy = local.ecs_assume
}

resource "aws_iam_role_policy" "execution" {
  name = "pull-log-secrets"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "ecr:GetAuthorizationToken", Resource = "*" },
      {
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
        Resource = aws_ecr_repository.this.arn
      },
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.dagster.arn}:*"
      },
      {
        Effect = "Allow"
        Action = "secretsmanager:GetSecretValue"
        Resource = concat([
          aws_secretsmanager_secret.app.arn, aws_secretsmanager_secret.api_key.arn,
          local.service_endpoints.db_master_secret_arn,
        ], aws_secretsmanager_secret.alert_webhook[*].arn)
      },
      { Effect = "Allow", Action = "kms:Decrypt", Resource = aws_kms_key.this.arn },
    ]
  })
}

resource "aws_iam_role" "control" {
  name               = "${local.name}-dagster-control"
  assume_role_policy = local.ecs_assume
}

resource "aws_iam_role_policy" "control" {
  name = "launch-runs"
  role = aws_iam_role.control.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "RunTasksOfTheRunFamily"
        Effect   = "Allow"
        Action   = ["ecs:RunTask"]
        Resource = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:task-definition/${local.name}-run:*"
      },
      {
        Sid       = "WatchAndStopRunTasks"
        Effect    = "Allow"
        Action    = ["ecs:DescribeTasks", "ecs:StopTask", "ecs:ListTasks"]
        Resource  = "*"
        Condition = { ArnEquals = { "ecs:cluster" = aws_ecs_cluster.this.arn } }
      },
      {
        # The launcher tags RunTask (dagster/run_id, dagster/job_name): tag-on-create is authorised as
        # ecs:TagResource with the key ecs:CreateAction, and carries no ecs:cluster key.
        Sid       = "TagRunTasksOnCreate"
        Effect    = "Allow"
        Action    = "ecs:TagResource"
        Resource  = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:task/${aws_ecs_cluster.this.name}/*"
        Condition = { StringEquals = { "ecs:CreateAction" = "RunTask" } }
      },
      {
        Sid      = "ReadOnlyDescribes"
        Effect   = "Allow"
        Action   = ["ecs:DescribeTaskDefinition", "ec2:DescribeNetworkInterfaces"]
        Resource = "*"
      },
      {
        Sid      = "PassTheRunRoles"
        Effect   = "Allow"
        Action   = "iam:PassRole"
        Resource = [aws_iam_role.run.arn, aws_iam_role.execution.arn]
      },
      {
        Sid      = "ComputeLogs"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = "${local.bucket_prefix_arn}/dagster/compute-logs/*"
      },
      {
        Sid       = "ListComputeLogs"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = aws_s3_bucket.data.arn
        Condition = { StringLike = { "s3:prefix" = ["${var.s3_prefix}/dagster/compute-logs/*"] } }
      },
      { Effect = "Allow", Action = ["kms:Decrypt", "kms:GenerateDataKey"], Resource = aws_kms_key.this.arn },
    ]
  })
}

resource "aws_iam_role" "run" {
  name               = "${local.name}-dagster-run"
  assume_role_policy = local.ecs_assume
}

resource "aws_iam_role_policy" "run" {
  name = "pipeline"
  role = aws_iam_role.run.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ObjectStore"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = "${local.bucket_prefix_arn}/*"
      },
      {
        Sid       = "ListObjectStore"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = aws_s3_bucket.data.arn
        Condition = { StringLike = { "s3:prefix" = ["${var.s3_prefix}/*"] } }
      },
      { Effect = "Allow", Action = ["kms:Decrypt", "kms:GenerateDataKey"], Resource = aws_kms_key.this.arn },
      {
        Sid      = "RedshiftByIam"
        Effect   = "Allow"
        Action   = "redshift-serverless:GetCredentials"
        Resource = local.service_endpoints.redshift_workgroup_arn
      },
    ]
  })
}

resource "aws_iam_role" "bootstrap" {
  name               = "${local.name}-db-bootstrap"
  assume_role_policy = local.ecs_assume
}

resource "aws_iam_role_policy" "bootstrap" {
  name = "read-role-secrets"
  role = aws_iam_role.bootstrap.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = [aws_secretsmanager_secret.app.arn, aws_secretsmanager_secret.reader.arn]
      },
      { Effect = "Allow", Action = "kms:Decrypt", Resource = aws_kms_key.this.arn },
    ]
  })
}
