# The lake: the Parquet files under <bucket>/<prefix>/lake/<table>/date=<day>/ (written by the lake_parquet asset),
# described once in the Glue catalog for Athena and Redshift Spectrum.
# - Athena finds the days by partition projection on `date` (no crawler, no MSCK REPAIR);
# - Spectrum does not use projection: the run tasks register each written day as a Glue partition
#   (smarthome_assets/lake/glue.py), and Spectrum reads the lake through its own role (lake prefix + catalog only);
# - the warehouse's migrations create the external schema `lake` over the same database
#   (SMARTHOME_LAKE_GLUE_DATABASE, SMARTHOME_SPECTRUM_IAM_ROLE in ecs.tf).
# The column lists are the Parquet files' (smarthome_assets/lake/layout.py); a test holds them equal.

variable "lake_first_day" {
  description = "First day of the lake's date partitions (Athena's projection range starts here)."
  type        = string
  default     = "2016-01-01"
}

locals {
  lake_location      = "s3://${aws_s3_bucket.data.bucket}/${var.s3_prefix}/lake"
  lake_glue_database = replace("${local.name}_lake", "-", "_")
  lake_keys = [
    { name = "house_id", type = "int" },
    { name = "timeframe", type = "timestamp" },
    { name = "time_raw", type = "bigint" },
  ]
  lake_power = [
    "use_kw", "gen_kw", "house_overall_kw", "dishwasher_kw", "furnace_1_kw", "furnace_2_kw", "home_office_kw",
    "fridge_kw", "wine_cellar_kw", "garage_door_kw", "kitchen_12_kw", "kitchen_14_kw", "kitchen_38_kw", "barn_kw",
    "well_kw", "microwave_kw", "living_room_kw", "solar_kw",
  ]
  lake_weather = [
    "temperature", "icon", "humidity", "visibility", "summary", "apparent_temperature", "pressure", "wind_speed",
    "cloud_cover", "wind_bearing", "precip_intensity", "dew_point", "precip_probability",
  ]
  lake_columns = {
    energy  = concat(local.lake_keys, [for c in local.lake_power : { name = c, type = "double" }])
    weather = concat(local.lake_keys, [for c in local.lake_weather : { name = c, type = contains(["icon", "summary"], c) ? "string" : "double" }])
  }
  glue_arns = {
    catalog  = "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog"
    database = "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${local.lake_glue_database}"
    tables   = "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${local.lake_glue_database}/*"
  }
}

resource "aws_glue_catalog_database" "lake" {
  name        = local.lake_glue_database
  description = "${local.name}: the lake's Parquet tables (energy, weather), partitioned by UTC day"
}

resource "aws_glue_catalog_table" "lake" {
  for_each      = local.lake_columns
  name          = each.key
  database_name = aws_glue_catalog_database.lake.name
  description   = "lake/${each.key}/date=YYYY-MM-DD/part-00000.parquet: one zstd Parquet file per UTC day"
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    EXTERNAL                        = "TRUE"
    classification                  = "parquet"
    "parquet.compression"           = "ZSTD"
    "projection.enabled"            = "true"
    "projection.date.type"          = "date"
    "projection.date.format"        = "yyyy-MM-dd"
    "projection.date.range"         = "${var.lake_first_day},NOW"
    "projection.date.interval"      = "1"
    "projection.date.interval.unit" = "DAYS"
    "storage.location.template"     = "${local.lake_location}/${each.key}/date=$${date}/"
  }

  partition_keys {
    name = "date"
    type = "date"
  }

  storage_descriptor {
    location      = "${local.lake_location}/${each.key}/"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    }
    dynamic "columns" {
      for_each = each.value
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}

# Redshift Spectrum's role: read the lake prefix and the lake's Glue database, nothing else.
resource "aws_iam_role" "spectrum" {
  name = "${local.name}-redshift-spectrum"
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

resource "aws_iam_role_policy" "spectrum" {
  name = "read-lake"
  role = aws_iam_role.spectrum.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadLake"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:GetObjectVersion"]
        Resource = "${aws_s3_bucket.data.arn}/${var.s3_prefix}/lake/*"
      },
      {
        Sid       = "ListLake"
        Effect    = "Allow"
        Action    = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource  = aws_s3_bucket.data.arn
        Condition = { StringLike = { "s3:prefix" = ["${var.s3_prefix}/lake/*"] } }
      },
      {
        Sid      = "ReadLakeCatalog"
        Effect   = "Allow"
        Action   = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition"]
        Resource = values(local.glue_arns)
      },
      { Sid = "DecryptLake", Effect = "Allow", Action = "kms:Decrypt", Resource = aws_kms_key.this.arn },
    ]
  })
}

# The run tasks write the lake (their ObjectStore statement covers <prefix>/*) and register its days in Glue.
resource "aws_iam_role_policy" "run_lake_catalog" {
  name = "register-lake-partitions"
  role = aws_iam_role.run.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "RegisterLakeDays"
      Effect   = "Allow"
      Action   = ["glue:GetTable", "glue:GetPartition", "glue:GetPartitions", "glue:BatchCreatePartition"]
      Resource = values(local.glue_arns)
    }]
  })
}

output "lake_glue_database" {
  description = "The Glue database of the lake's tables (Athena: <database>.energy; Redshift: lake.energy)."
  value       = aws_glue_catalog_database.lake.name
}

output "lake_location" {
  value = "${local.lake_location}/"
}
