# The API's front door: one REST API (payload 1.0 events, which the handler reads), a {proxy+} resource for every
# route. Every method but OPTIONS requires an API key (usage plan: throttling and a daily quota); OPTIONS (CORS
# preflight, which browsers send without custom headers) is open and answered by the handler's CORS settings.
# Access logs in an encrypted log group, X-Ray tracing, execution logging at INFO without request bodies.
# The SAM template of earlier versions is gone: this is the only definition of the API.

resource "aws_api_gateway_rest_api" "this" {
  name        = "${local.name}-api"
  description = "smarthome read API (Lambda proxy, API key required)"
  endpoint_configuration {
    types = ["REGIONAL"]
  }
  lifecycle {
    create_before_destroy = true
  }
}

# Checks that the query string parameters declared on a method are present; the handler validates their values.
resource "aws_api_gateway_request_validator" "this" {
  name                        = "parameters"
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  validate_request_parameters = true
  validate_request_body       = false
}

resource "aws_api_gateway_resource" "proxy" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "{proxy+}"
}

resource "aws_api_gateway_method" "proxy" {
  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = aws_api_gateway_resource.proxy.id
  http_method          = "ANY"
  authorization        = "NONE"
  api_key_required     = true
  request_validator_id = aws_api_gateway_request_validator.this.id
}

resource "aws_api_gateway_integration" "proxy" {
  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_resource.proxy.id
  http_method             = aws_api_gateway_method.proxy.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.api.invoke_arn
}

resource "aws_api_gateway_method" "preflight" {
  # checkov:skip=CKV2_AWS_70:CORS preflight carries no credentials by design (browsers never send x-api-key on OPTIONS); the handler only answers CORS headers to it.
  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = aws_api_gateway_resource.proxy.id
  http_method          = "OPTIONS"
  authorization        = "NONE"
  api_key_required     = false
  request_validator_id = aws_api_gateway_request_validator.this.id
}

resource "aws_api_gateway_integration" "preflight" {
  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_resource.proxy.id
  http_method             = aws_api_gateway_method.preflight.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.api.invoke_arn
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  triggers = {
    redeploy = sha1(jsonencode([
      aws_api_gateway_resource.proxy, aws_api_gateway_method.proxy, aws_api_gateway_integration.proxy,
      aws_api_gateway_method.preflight, aws_api_gateway_integration.preflight,
    ]))
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "api_access" {
  name              = "/${local.name}/api-gateway/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
}

resource "aws_api_gateway_stage" "prod" {
  # checkov:skip=CKV_AWS_120:Responses depend on every query parameter and change after each load; a cache would serve stale days.
  # checkov:skip=CKV2_AWS_51:Client certificates authenticate API Gateway to an HTTP backend; the backend here is a Lambda proxy.
  # checkov:skip=CKV2_AWS_29:No WAF by default (cost); the API key and the usage plan's throttling and quota bound abuse (reserved concurrency too, once set). Attach a web ACL to this stage's ARN if it is exposed widely.
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = "prod"
  xray_tracing_enabled = true
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      requestId = "$context.requestId", ip = "$context.identity.sourceIp", method = "$context.httpMethod",
      path      = "$context.resourcePath", status = "$context.status", latencyMs = "$context.responseLatency",
      apiKeyId  = "$context.identity.apiKeyId", error = "$context.error.message"
    })
  }
  depends_on = [aws_api_gateway_account.this]
}

resource "aws_api_gateway_method_settings" "all" {
  # checkov:skip=CKV_AWS_225:No cache is enabled (see the stage), so there is nothing to encrypt.
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.prod.stage_name
  method_path = "*/*"
  settings {
    metrics_enabled        = true
    logging_level          = "INFO"
    data_trace_enabled     = false
    throttling_burst_limit = 2 * var.api_throttle_rate
    throttling_rate_limit  = var.api_throttle_rate
  }
}

resource "aws_api_gateway_usage_plan" "this" {
  name = "${local.name}-api"
  api_stages {
    api_id = aws_api_gateway_rest_api.this.id
    stage  = aws_api_gateway_stage.prod.stage_name
  }
  throttle_settings {
    burst_limit = 2 * var.api_throttle_rate
    rate_limit  = var.api_throttle_rate
  }
  quota_settings {
    limit  = 200000
    period = "DAY"
  }
}

resource "aws_api_gateway_api_key" "dagster" {
  name        = "${local.name}-dagster"
  description = "Dagster's daily_exports (value in Secrets Manager: aws_secretsmanager_secret.api_key)"
}

resource "aws_api_gateway_usage_plan_key" "dagster" {
  key_id        = aws_api_gateway_api_key.dagster.id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.this.id
}

# API Gateway writes execution and access logs through one role per account and region (an account setting:
# if another stack already manages it, `terraform import aws_api_gateway_account.this api-gateway-account`).
resource "aws_api_gateway_account" "this" {
  cloudwatch_role_arn = aws_iam_role.api_gateway_logs.arn
}

resource "aws_iam_role" "api_gateway_logs" {
  name = "${local.name}-api-gateway-logs"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "apigateway.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy_attachment" "api_gateway_logs" {
  role       = aws_iam_role.api_gateway_logs.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}
