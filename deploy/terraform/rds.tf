# The operational database: RDS PostgreSQL, private, encrypted, TLS forced by the parameter group, the master
# password created and held by RDS in Secrets Manager (manage_master_user_password), automated backups.
# Logins: the master user only for the one-off bootstrap task; `smarthome_app` (pipeline + Dagster storage, owner
# of the `smarthome` and `dagster` databases) and `smarthome_api_reader` (the API, read-only) from secrets.tf.

resource "aws_db_subnet_group" "this" {
  name       = local.name
  subnet_ids = local.subnet_ids
}

resource "aws_security_group" "rds" {
  name        = "${local.name}-rds"
  description = "PostgreSQL from the API Lambda and the Dagster tasks only"
  vpc_id      = local.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "rds_from_lambda" {
  security_group_id            = aws_security_group.rds.id
  description                  = "API Lambda"
  referenced_security_group_id = aws_security_group.lambda.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_vpc_security_group_ingress_rule" "rds_from_dagster" {
  security_group_id            = aws_security_group.rds.id
  description                  = "Dagster webserver, daemon, code server and run tasks"
  referenced_security_group_id = aws_security_group.dagster.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_db_parameter_group" "this" {
  name_prefix = "${local.name}-pg${var.db_engine_version}-"
  family      = "postgres${var.db_engine_version}"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
  parameter {
    name         = "max_connections"
    value        = tostring(var.db_max_connections)
    apply_method = "pending-reboot"
  }
  # rds_tables commits its two concurrent COPYs with two-phase commit (database/loading.py); without
  # prepared transactions it falls back to one transaction, the tables one after the other.
  parameter {
    name         = "max_prepared_transactions"
    value        = "16"
    apply_method = "pending-reboot"
  }
  # Query logging (CKV2_AWS_30): slow statements and every connection, not every statement (the API's reads).
  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }
  parameter {
    name  = "log_connections"
    value = "1"
  }
  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_instance" "this" {
  # checkov:skip=CKV_AWS_157:Multi-AZ doubles the instance cost; it is one variable away (db_multi_az = true) and backups + PITR cover a lost AZ for this batch workload.
  identifier     = local.name
  engine         = "postgres"
  engine_version = var.db_engine_version
  instance_class = var.db_instance_class
  db_name        = "smarthome"
  username       = "smarthome_admin"
  port           = 5432

  manage_master_user_password   = true
  master_user_secret_kms_key_id = aws_kms_key.this.arn

  allocated_storage     = var.db_allocated_storage_gb
  max_allocated_storage = var.db_allocated_storage_gb * 5
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.this.arn

  db_subnet_group_name                = aws_db_subnet_group.this.name
  vpc_security_group_ids              = [aws_security_group.rds.id]
  publicly_accessible                 = false
  parameter_group_name                = aws_db_parameter_group.this.name
  iam_database_authentication_enabled = true
  multi_az                            = var.db_multi_az

  backup_retention_period   = var.db_backup_retention_days
  backup_window             = "03:00-04:00"
  maintenance_window        = "sun:04:30-sun:05:30"
  copy_tags_to_snapshot     = true
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = false
  final_snapshot_identifier = "${local.name}-final"
  delete_automated_backups  = false

  auto_minor_version_upgrade            = true
  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.this.arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.rds_monitoring.arn

  lifecycle {
    precondition {
      condition     = coalesce(var.api_reserved_concurrency, 0) + var.dagster_db_pool_connections + 10 <= var.db_max_connections
      error_message = "api_reserved_concurrency + dagster_db_pool_connections + 10 (admin, bootstrap) must fit in db_max_connections: each Lambda environment holds one connection."
    }
  }
}

resource "aws_iam_role" "rds_monitoring" {
  name = "${local.name}-rds-monitoring"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "monitoring.rds.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy_attachment" "rds_monitoring" {
  role       = aws_iam_role.rds_monitoring.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}
