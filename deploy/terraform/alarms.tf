# Somebody is told: CloudWatch alarms into one SNS topic (encrypted with the deployment's key). Subscribe an address
# with var.alarm_email, or anything SNS delivers to (chat, paging) yourself; docs/DEPLOY.md lists each alarm.
# Dagster's own failure alerts (records in S3, and the webhook when var.alert_webhook is set) go on beside these.
#
# Two alarms read Dagster's logs (the awslogs group of the tasks) through metric filters:
# - failed runs: a run worker writes the RUN_FAILURE event (PIPELINE_FAILURE in older names) when a run fails;
# - the daemon's heartbeat: the daemon's sensor loop logs `Checking for new runs for sensor` every 30 s; none for
#   10 minutes (or no log at all: missing data is breaching) means the daemon is down or stuck.

resource "aws_sns_topic" "alerts" {
  name              = "${local.name}-alerts"
  kms_master_key_id = aws_kms_key.this.arn
}

resource "aws_sns_topic_subscription" "email" {
  count     = var.alarm_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

resource "aws_cloudwatch_log_metric_filter" "dagster" {
  for_each = {
    failed_runs      = "?RUN_FAILURE ?PIPELINE_FAILURE"
    daemon_heartbeat = "\"Checking for new runs for sensor\""
  }
  name           = "${local.name}-${each.key}"
  log_group_name = aws_cloudwatch_log_group.dagster.name
  pattern        = each.value
  metric_transformation {
    name          = each.key
    namespace     = "smarthome/dagster"
    value         = "1"
    default_value = "0"
  }
}

locals {
  # name => metric, statistic, comparison, threshold, period (s), dimensions, and how missing data counts.
  alarms = {
    failed-runs      = { namespace = "smarthome/dagster", metric = "failed_runs", stat = "Sum", op = "GreaterThanOrEqualToThreshold", threshold = 1, period = 300, dims = {}, missing = "notBreaching", what = "a Dagster run failed (details: the run in the UI, alerts/ in the bucket)" }
    daemon-heartbeat = { namespace = "smarthome/dagster", metric = "daemon_heartbeat", stat = "Sum", op = "LessThanThreshold", threshold = 1, period = 600, dims = {}, missing = "breaching", what = "the Dagster daemon logged no sensor tick for 10 minutes: schedules, sensors and the run queue are stopped" }
    rds-storage      = { namespace = "AWS/RDS", metric = "FreeStorageSpace", stat = "Minimum", op = "LessThanThreshold", threshold = var.db_allocated_storage_gb * 0.2 * 1073741824, period = 300, dims = { DBInstanceIdentifier = local.service_endpoints.db_instance_id }, missing = "notBreaching", what = "RDS has less than 20% of its allocated storage free" }
    rds-cpu          = { namespace = "AWS/RDS", metric = "CPUUtilization", stat = "Average", op = "GreaterThanThreshold", threshold = 80, period = 900, dims = { DBInstanceIdentifier = local.service_endpoints.db_instance_id }, missing = "notBreaching", what = "RDS CPU above 80% for 15 minutes" }
    lambda-errors    = { namespace = "AWS/Lambda", metric = "Errors", stat = "Sum", op = "GreaterThanOrEqualToThreshold", threshold = 5, period = 300, dims = { FunctionName = aws_lambda_function.api.function_name }, missing = "notBreaching", what = "the API's Lambda failed 5 times in 5 minutes" }
    lambda-throttles = { namespace = "AWS/Lambda", metric = "Throttles", stat = "Sum", op = "GreaterThanOrEqualToThreshold", threshold = 1, period = 300, dims = { FunctionName = aws_lambda_function.api.function_name }, missing = "notBreaching", what = "the API's Lambda was throttled (concurrency quota or reservation)" }
    api-5xx          = { namespace = "AWS/ApiGateway", metric = "5XXError", stat = "Sum", op = "GreaterThanOrEqualToThreshold", threshold = 5, period = 300, dims = { ApiName = aws_api_gateway_rest_api.this.name, Stage = local.service_endpoints.api_stage }, missing = "notBreaching", what = "the API answered 5xx 5 times in 5 minutes" }
    # Redshift Serverless reports RPU-seconds; more than the soft monthly limit's share in one day is early warning,
    # and the usage limit (redshift.tf, emit-metric) covers the month.
    redshift-usage = { namespace = "AWS/Redshift-Serverless", metric = "ComputeSeconds", stat = "Sum", op = "GreaterThanThreshold", threshold = var.redshift_max_rpu_hours_per_month * 3600 / 30, period = 86400, dims = { Workgroup = local.service_endpoints.redshift_workgroup }, missing = "notBreaching", what = "Redshift used more than a day's share of redshift_max_rpu_hours_per_month" }
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = local.alarms
  alarm_name          = "${local.name}-${each.key}"
  alarm_description   = each.value.what
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  statistic           = each.value.stat
  comparison_operator = each.value.op
  threshold           = each.value.threshold
  period              = each.value.period
  evaluation_periods  = 1
  dimensions          = each.value.dims
  treat_missing_data  = each.value.missing
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]
  depends_on          = [aws_cloudwatch_log_metric_filter.dagster]
}
