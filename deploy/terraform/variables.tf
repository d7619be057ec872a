# Every input, with defaults sized for one home-year (HomeC.csv, ~0.5 M rows a table). docs/DEPLOY.md lists them.

variable "region" {
  description = "AWS region for everything."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Prefix of every resource name (lower case, digits and dashes)."
  type        = string
  default     = "smarthome"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,20}$", var.name))
    error_message = "name: 3-21 lower-case letters, digits or dashes, starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

# --- network --------------------------------------------------------------------------------------------------

variable "vpc_id" {
  description = "Use this existing VPC instead of creating one (then set private_subnet_ids too)."
  type        = string
  default     = ""
}

variable "private_subnet_ids" {
  description = "With vpc_id: at least three private subnets in three AZs (Redshift Serverless needs three)."
  type        = list(string)
  default     = []
}

variable "vpc_cidr" {
  description = "CIDR of the VPC this module creates (when vpc_id is empty)."
  type        = string
  default     = "10.40.0.0/16"
}

variable "availability_zones" {
  description = "Zones of the created VPC, one private (and one public, for the NAT) subnet each; empty: <region>a, b, c."
  type        = list(string)
  default     = []
  validation {
    condition     = length(var.availability_zones) == 0 || length(var.availability_zones) >= 3
    error_message = "Redshift Serverless needs subnets in at least three availability zones."
  }
}

# --- S3 -------------------------------------------------------------------------------------------------------

variable "s3_prefix" {
  description = "Key prefix of the platform inside the bucket (SMARTHOME_S3_PREFIX)."
  type        = string
  default     = "smarthome"
}

variable "raw_transition_days" {
  description = "Days before raw/ objects (landed source files) move to S3 Glacier Instant Retrieval."
  type        = number
  default     = 30
}

variable "exports_expiration_days" {
  description = "Days before superseded exports/ files expire (the manifests name the current ones)."
  type        = number
  default     = 90
}

variable "force_destroy_bucket" {
  description = "Let `terraform destroy` delete a bucket that still holds objects (teardown of a demo)."
  type        = bool
  default     = false
}

# --- RDS PostgreSQL --------------------------------------------------------------------------------------------

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.small"
}

variable "db_engine_version" {
  description = "PostgreSQL major version (RDS picks the newest minor)."
  type        = string
  default     = "16"
}

variable "db_allocated_storage_gb" {
  description = "gp3 storage in GB (a home-year is about 0.3 GB with indexes)."
  type        = number
  default     = 20
}

variable "db_max_connections" {
  description = "max_connections in the parameter group; the API's reserved concurrency is checked against it."
  type        = number
  default     = 100
}

variable "db_multi_az" {
  description = "A standby in another AZ (doubles the RDS cost)."
  type        = bool
  default     = false
}

variable "db_backup_retention_days" {
  description = "Automated backups kept (point-in-time recovery window)."
  type        = number
  default     = 7
}

variable "deletion_protection" {
  description = "Protect RDS from deletion (set false before `terraform destroy`)."
  type        = bool
  default     = true
}

# --- Redshift Serverless --------------------------------------------------------------------------------------

variable "redshift_base_rpu" {
  description = "Base capacity of the workgroup in RPUs (8 is the minimum)."
  type        = number
  default     = 8
}

variable "redshift_max_rpu_hours_per_month" {
  description = "Usage limit: RPU-hours a month past which an alarm goes to the alerts topic (the loads go on)."
  type        = number
  default     = 30
}

variable "redshift_hard_cap_rpu_hours_per_month" {
  description = "RPU-hours a month past which Redshift refuses queries (the bill's ceiling; the alarm fires first)."
  type        = number
  default     = 60
  validation {
    condition     = var.redshift_hard_cap_rpu_hours_per_month > var.redshift_max_rpu_hours_per_month
    error_message = "The hard cap must be above redshift_max_rpu_hours_per_month, or loads stop before anyone is told."
  }
}

variable "redshift_database" {
  description = "Database of the warehouse."
  type        = string
  default     = "dev"
}

# --- the API --------------------------------------------------------------------------------------------------

variable "lambda_zip" {
  description = "The API's deployment package, built by `make lambda-zip`."
  type        = string
  default     = "../../build/lambda_api.zip"
}

variable "api_reserved_concurrency" {
  description = "Lambda reserved concurrency (one RDS connection per environment). null: none reserved, which applies on a new account (whose whole quota can be 10, so any reservation fails); set it once the quota allows."
  type        = number
  default     = null
  validation {
    condition     = var.api_reserved_concurrency == null || try(var.api_reserved_concurrency >= 1, false)
    error_message = "api_reserved_concurrency: null (none reserved) or at least 1."
  }
}

variable "api_cors_origins" {
  description = "Origins allowed by CORS (`*` for any); empty: no CORS headers."
  type        = list(string)
  default     = []
}

variable "api_base_url" {
  description = "Public base URL of the API for `next` links (a custom domain); empty: API Gateway's own domain."
  type        = string
  default     = ""
}

variable "api_summary_concurrency" {
  description = "/energy/summary pages aggregating at once, database-wide; beyond, 429. 0 disables the limit."
  type        = number
  default     = 4
}

variable "api_throttle_rate" {
  description = "Requests per second per API key (usage plan)."
  type        = number
  default     = 50
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention for every log group."
  type        = number
  default     = 365
}

# --- Dagster on ECS -------------------------------------------------------------------------------------------

variable "image_tag" {
  description = "Tag of the code image in the ECR repository this module creates (`docker push`, docs/DEPLOY.md)."
  type        = string
  default     = "latest"
}

variable "source_files" {
  description = "SMARTHOME_SOURCE_FILES: s3:// URIs of the HomeC files, one per home; empty: <bucket>/<prefix>/incoming/HomeC.csv."
  type        = list(string)
  default     = []
}

variable "alarm_email" {
  description = "An address subscribed to the alerts topic (alarms); empty: subscribe something yourself (docs/DEPLOY.md)."
  type        = string
  default     = ""
}

variable "alert_webhook" {
  description = "Route Dagster's failure alerts to a Slack-compatible webhook (SMARTHOME_ALERT_WEBHOOK_URL, a secret)."
  type        = bool
  default     = false
}

variable "alert_webhook_url" {
  description = "The webhook URL, written write-only into Secrets Manager (never in the state); with alert_webhook."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "alert_webhook_url_version" {
  description = "Increment to write a new alert_webhook_url."
  type        = number
  default     = 1
}

variable "webserver_allowed_cidrs" {
  description = "CIDRs (e.g. a VPN) allowed to reach the Dagster webserver on port 3000; empty: VPC only."
  type        = list(string)
  default     = []
}

variable "dagster_db_pool_connections" {
  description = "RDS connections kept for Dagster and the pipeline (webserver, daemon, code server, runs)."
  type        = number
  default     = 40
}

# --- reaching the UI (alb.tf) ---------------------------------------------------------------------------------

variable "ui_load_balancer" {
  description = "Put the Dagster UI behind an HTTPS load balancer with sign-in: \"none\", \"internal\" (a VPN into the VPC) or \"internet-facing\"."
  type        = string
  default     = "none"
  validation {
    condition     = contains(["none", "internal", "internet-facing"], var.ui_load_balancer)
    error_message = "ui_load_balancer: none, internal or internet-facing."
  }
}

variable "ui_certificate_arn" {
  description = "ACM certificate of the UI's domain (HTTPS listener); required with a load balancer."
  type        = string
  default     = ""
}

variable "ui_domain_name" {
  description = "The UI's domain name (a DNS record of yours points it at the load balancer); the sign-in callback."
  type        = string
  default     = ""
}

variable "ui_allowed_cidrs" {
  description = "Networks that may reach the load balancer on 443 (sign-in is still required)."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "ui_public_subnet_ids" {
  description = "With vpc_id and an internet-facing load balancer: public subnets in two or more AZs."
  type        = list(string)
  default     = []
}

variable "ui_auth" {
  description = "Who may sign in to the UI: \"cognito\" (a user pool created here; add users with the AWS CLI) or \"oidc\" (your identity provider)."
  type        = string
  default     = "cognito"
  validation {
    condition     = contains(["cognito", "oidc"], var.ui_auth)
    error_message = "ui_auth: cognito or oidc."
  }
}

variable "ui_oidc" {
  description = "With ui_auth = \"oidc\": issuer, authorization_endpoint, token_endpoint, user_info_endpoint, client_id."
  type        = map(string)
  default     = {}
}

variable "ui_oidc_client_secret" {
  description = "With ui_auth = \"oidc\": the client secret (the load balancer's listener keeps it in the state)."
  type        = string
  default     = ""
  sensitive   = true
}
