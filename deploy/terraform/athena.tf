# Athena over the lake: one workgroup whose settings every query must use (results under their own prefix of the
# bucket, encrypted with the deployment's key, a per-query cap on bytes scanned), the shared named queries (the
# same .sql files `smarthome query --named` runs on DuckDB) and a policy to attach to whoever queries the lake
# (analysts, QuickSight's role).

variable "athena_bytes_scanned_cutoff" {
  description = "Athena stops a query of the lake workgroup after scanning this many bytes (a year is ~40 MB)."
  type        = number
  default     = 10737418240 # 10 GB
}

variable "lake_queries_dir" {
  description = "Folder of the named queries' .sql files; empty: smarthome_assets/lake/queries of this repository."
  type        = string
  default     = ""
}

locals {
  lake_queries_dir      = var.lake_queries_dir != "" ? var.lake_queries_dir : "${path.module}/../../smarthome_assets/lake/queries"
  athena_results_prefix = "${var.s3_prefix}/athena-results"
}

resource "aws_athena_workgroup" "lake" {
  name          = "${local.name}-lake"
  description   = "Queries of the smarthome lake (Glue database ${local.lake_glue_database})"
  state         = "ENABLED"
  force_destroy = var.force_destroy_bucket

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.athena_bytes_scanned_cutoff
    engine_version {
      selected_engine_version = "Athena engine version 3"
    }
    result_configuration {
      output_location       = "s3://${aws_s3_bucket.data.bucket}/${local.athena_results_prefix}/"
      expected_bucket_owner = local.account_id
      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = aws_kms_key.this.arn
      }
    }
  }
}

resource "aws_athena_named_query" "lake" {
  for_each    = fileset(local.lake_queries_dir, "*.sql")
  name        = trimsuffix(each.value, ".sql")
  description = substr(trimprefix(split("\n", file("${local.lake_queries_dir}/${each.value}"))[0], "-- "), 0, 1024)
  workgroup   = aws_athena_workgroup.lake.id
  database    = aws_glue_catalog_database.lake.name
  query       = file("${local.lake_queries_dir}/${each.value}")
}

# Attach to the people and services that query the lake with Athena: the workgroup, the catalog, the lake (read)
# and the workgroup's results (read and write).
resource "aws_iam_policy" "lake_query" {
  name        = "${local.name}-lake-query"
  description = "Query the smarthome lake with Athena (workgroup ${local.name}-lake)"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "UseTheLakeWorkgroup"
        Effect = "Allow"
        Action = [
          "athena:StartQueryExecution", "athena:StopQueryExecution", "athena:GetQueryExecution",
          "athena:GetQueryResults", "athena:GetWorkGroup", "athena:ListNamedQueries", "athena:GetNamedQuery",
          "athena:BatchGetNamedQuery", "athena:ListQueryExecutions",
        ]
        Resource = aws_athena_workgroup.lake.arn
      },
      {
        Sid      = "ReadLakeCatalog"
        Effect   = "Allow"
        Action   = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition"]
        Resource = values(local.glue_arns)
      },
      {
        Sid      = "ReadLake"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = "${aws_s3_bucket.data.arn}/${var.s3_prefix}/lake/*"
      },
      {
        Sid      = "QueryResults"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
        Resource = "${aws_s3_bucket.data.arn}/${local.athena_results_prefix}/*"
      },
      {
        Sid       = "ListLakeAndResults"
        Effect    = "Allow"
        Action    = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource  = aws_s3_bucket.data.arn
        Condition = { StringLike = { "s3:prefix" = ["${var.s3_prefix}/lake/*", "${local.athena_results_prefix}/*"] } }
      },
      {
        Sid      = "LakeKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = aws_kms_key.this.arn
      },
    ]
  })
}

output "athena_workgroup" {
  value = aws_athena_workgroup.lake.name
}

output "lake_query_policy_arn" {
  description = "Attach to the users, roles or QuickSight service role that query the lake."
  value       = aws_iam_policy.lake_query.arn
}
