# The read API's Lambda (the zip from `make lambda-zip`): in the private subnets, reading RDS as the read-only role
# whose credentials it fetches from Secrets Manager through Powertools' parameters utility (cached, see
# lambda_api/db.py). Its environment holds no secret, only the secret's ARN, and is encrypted with the
# deployment's key. Reserved concurrency caps the RDS connections it can hold (one per execution environment).

resource "aws_security_group" "lambda" {
  name        = "${local.name}-api-lambda"
  description = "API Lambda: out to PostgreSQL and HTTPS (Secrets Manager) only"
  vpc_id      = local.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "lambda_to_rds" {
  security_group_id            = aws_security_group.lambda.id
  description                  = "PostgreSQL"
  referenced_security_group_id = aws_security_group.rds.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_vpc_security_group_egress_rule" "lambda_https" {
  security_group_id = aws_security_group.lambda.id
  description       = "Secrets Manager and X-Ray over HTTPS (through the NAT gateway)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_iam_role" "lambda" {
  name = "${local.name}-api-lambda"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy_attachment" "lambda_vpc" {
  role       = aws_iam_role.lambda.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

resource "aws_iam_role_policy_attachment" "lambda_xray" {
  role       = aws_iam_role.lambda.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

resource "aws_iam_role_policy" "lambda" {
  name = "read-its-secret"
  role = aws_iam_role.lambda.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "secretsmanager:GetSecretValue", Resource = aws_secretsmanager_secret.reader.arn },
      { Effect = "Allow", Action = "kms:Decrypt", Resource = aws_kms_key.this.arn },
    ]
  })
}

resource "aws_cloudwatch_log_group" "lambda" {
  name              = "/aws/lambda/${local.name}-api"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
}

resource "aws_lambda_function" "api" {
  # checkov:skip=CKV_AWS_116:API Gateway invokes synchronously and gets the error itself; a DLQ only applies to asynchronous invocations.
  # checkov:skip=CKV_AWS_115:Reserved concurrency is var.api_reserved_concurrency, null by default: a new account's whole quota can be 10 and then any reservation fails to apply; the usage plan's throttling bounds the API meanwhile (docs/DEPLOY.md).
  # checkov:skip=CKV_AWS_272:The zip is built reproducibly from pinned wheels by `make lambda-zip`; AWS Signer would add a signing profile and a separate upload step.
  function_name                  = "${local.name}-api"
  description                    = "smarthome read API (weather and device usage by timeframe)"
  filename                       = var.lambda_zip
  source_code_hash               = filebase64sha256(var.lambda_zip)
  handler                        = "lambda_api.handler.handler"
  runtime                        = "python3.12"
  architectures                  = ["x86_64"]
  memory_size                    = 512
  timeout                        = 10
  role                           = aws_iam_role.lambda.arn
  reserved_concurrent_executions = var.api_reserved_concurrency
  kms_key_arn                    = aws_kms_key.this.arn

  vpc_config {
    subnet_ids         = local.subnet_ids
    security_group_ids = [aws_security_group.lambda.id]
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.lambda.name
  }

  environment {
    variables = {
      SMARTHOME_API_DB_SECRET_ARN        = aws_secretsmanager_secret.reader.arn
      SMARTHOME_API_CORS_ORIGINS         = join(",", var.api_cors_origins)
      SMARTHOME_API_STATEMENT_TIMEOUT_MS = "5000"
      SMARTHOME_API_CONNECT_TIMEOUT_S    = "3"
      # `next` links: the custom domain when there is one, else API Gateway's own domain from the event.
      SMARTHOME_API_BASE_URL = var.api_base_url
      # Cost limits of /energy/summary (docs/API.md): raw rows per page, pages aggregating at once
      # database-wide (beyond: 429 with Retry-After), and the size under which a page needs no slot.
      SMARTHOME_API_SUMMARY_MAX_ROWS    = "600000"
      SMARTHOME_API_SUMMARY_CONCURRENCY = tostring(var.api_summary_concurrency)
      SMARTHOME_API_SUMMARY_FREE_ROWS   = "10080"
      # How long the parameters utility keeps the secret before asking Secrets Manager again.
      POWERTOOLS_PARAMETERS_MAX_AGE = "300"
      POWERTOOLS_SERVICE_NAME       = "smarthome-api"
    }
  }

  depends_on = [aws_iam_role_policy_attachment.lambda_vpc, aws_cloudwatch_log_group.lambda]
}

resource "aws_lambda_permission" "api_gateway" {
  statement_id  = "AllowApiGateway"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.api.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/*/*/*"
}
