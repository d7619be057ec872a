# What the deployment hands on: the SMARTHOME_* settings (already set in every Dagster task; printed here for a
# laptop or CI that talks to the same platform) and the names the commands in docs/DEPLOY.md need.
# No secret is an output: passwords and the API key stay in Secrets Manager (their ARNs are below).

output "smarthome_settings" {
  description = "The SMARTHOME_* settings of this deployment (secrets excluded: see the *_secret_arn outputs)."
  value       = { for e in local.dagster_environment : e.name => e.value if startswith(e.name, "SMARTHOME_") || e.name == "AWS_REGION" }
}

output "bucket" {
  value = aws_s3_bucket.data.bucket
}

output "ecr_repository_url" {
  value = aws_ecr_repository.this.repository_url
}

output "ecs_cluster" {
  value = aws_ecs_cluster.this.name
}

output "private_subnet_ids" {
  value = local.subnet_ids
}

output "dagster_security_group_id" {
  value = aws_security_group.dagster.id
}

output "api_url" {
  value = aws_api_gateway_stage.prod.invoke_url
}

output "api_key_secret_arn" {
  value = aws_secretsmanager_secret.api_key.arn
}

output "db_app_secret_arn" {
  value = aws_secretsmanager_secret.app.arn
}

output "db_reader_secret_arn" {
  value = aws_secretsmanager_secret.reader.arn
}

output "db_master_secret_arn" {
  value = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "redshift_admin_secret_arn" {
  value = aws_redshiftserverless_namespace.this.admin_password_secret_arn
}

output "redshift_iam_user" {
  description = "The Redshift user the run tasks log in as (grant it its privileges once, docs/DEPLOY.md)."
  value       = "IAMR:${aws_iam_role.run.name}"
}

output "ui_load_balancer_dns_name" {
  description = "Point your ui_domain_name at this (CNAME or alias); empty without a UI load balancer."
  value       = try(aws_lb.ui[0].dns_name, "")
}

output "ui_url" {
  description = "The Dagster UI, behind sign-in; empty without a UI load balancer."
  value       = local.ui_alb ? "https://${var.ui_domain_name}" : ""
}

output "ui_user_pool_id" {
  description = "The Cognito user pool whose users may sign in to the UI (create them with admin-create-user)."
  value       = try(aws_cognito_user_pool.ui[0].id, "")
}

output "alerts_topic_arn" {
  description = "SNS topic of the CloudWatch alarms: subscribe e-mail, chat or paging to it."
  value       = aws_sns_topic.alerts.arn
}

output "api_cache_url" {
  description = "The API through its CloudFront cache (set api_base_url to it for `next` links behind the cache)."
  value       = "https://${aws_cloudfront_distribution.api.domain_name}"
}
