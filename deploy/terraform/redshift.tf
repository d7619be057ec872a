# The warehouse: Redshift Serverless (namespace + workgroup), private, encrypted with the deployment's key, TLS
# required, audit logs exported, a monthly RPU-hour cap. COPY authenticates with its own IAM role, allowed to read
# exactly the exports prefix of the bucket. The pipeline logs in by IAM (redshift-serverless:GetCredentials, see
# smarthome_assets/warehouse/resource.py); the admin password is created and held by Redshift in Secrets Manager.

resource "aws_iam_role" "redshift_copy" {
  name = "${local.name}-redshift-copy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = ["redshift.amazonaws.com", "redshift-serverless.amazonaws.com"] }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
}

resource "aws_iam_role_policy" "redshift_copy" {
  name = "read-exports"
  role = aws_iam_role.redshift_copy.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadExports"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:GetObjectVersion"]
        Resource = "${aws_s3_bucket.data.arn}/${var.s3_prefix}/exports/*"
      },
      {
        Sid       = "ListExports"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = aws_s3_bucket.data.arn
        Condition = { StringLike = { "s3:prefix" = ["${var.s3_prefix}/exports/*"] } }
      },
      {
        Sid      = "DecryptExports"
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = aws_kms_key.this.arn
      },
    ]
  })
}

resource "aws_redshiftserverless_namespace" "this" {
  namespace_name                   = local.name
  db_name                          = var.redshift_database
  admin_username                   = "smarthome_admin"
  manage_admin_password            = true
  admin_password_secret_kms_key_id = aws_kms_key.this.arn
  kms_key_id                       = aws_kms_key.this.arn
  iam_roles                        = [aws_iam_role.redshift_copy.arn, aws_iam_role.spectrum.arn] # spectrum: lake.tf
  default_iam_role_arn             = aws_iam_role.redshift_copy.arn
  log_exports                      = ["userlog", "connectionlog", "useractivitylog"]
}

resource "aws_security_group" "redshift" {
  name        = "${local.name}-redshift"
  description = "Redshift Serverless from the Dagster tasks only"
  vpc_id      = local.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "redshift_from_dagster" {
  security_group_id            = aws_security_group.redshift.id
  description                  = "Dagster run tasks (redshift_tables, dashboard)"
  referenced_security_group_id = aws_security_group.dagster.id
  ip_protocol                  = "tcp"
  from_port                    = 5439
  to_port                      = 5439
}

# Enhanced VPC routing: COPY reads S3 through the VPC (the gateway endpoint), not the internet.
resource "aws_vpc_security_group_egress_rule" "redshift_to_s3" {
  security_group_id = aws_security_group.redshift.id
  description       = "COPY reads the exports over HTTPS (S3 gateway endpoint)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_redshiftserverless_workgroup" "this" {
  namespace_name       = aws_redshiftserverless_namespace.this.namespace_name
  workgroup_name       = local.name
  base_capacity        = var.redshift_base_rpu
  publicly_accessible  = false
  enhanced_vpc_routing = true
  subnet_ids           = local.subnet_ids
  security_group_ids   = [aws_security_group.redshift.id]

  config_parameter {
    parameter_key   = "require_ssl"
    parameter_value = "true"
  }
  config_parameter {
    parameter_key   = "enable_user_activity_logging"
    parameter_value = "true"
  }
}

# Two limits: past the first, Redshift emits a metric and the `redshift-usage` alarm (alarms.tf) tells the alerts
# topic while loads go on; only past the hard cap does it refuse queries, which `deactivate` does silently.
resource "aws_redshiftserverless_usage_limit" "rpu_hours" {
  resource_arn  = aws_redshiftserverless_workgroup.this.arn
  usage_type    = "serverless-compute"
  amount        = var.redshift_max_rpu_hours_per_month
  period        = "monthly"
  breach_action = "emit-metric"
}

resource "aws_redshiftserverless_usage_limit" "rpu_hours_hard_cap" {
  resource_arn  = aws_redshiftserverless_workgroup.this.arn
  usage_type    = "serverless-compute"
  amount        = var.redshift_hard_cap_rpu_hours_per_month
  period        = "monthly"
  breach_action = "deactivate"
}
