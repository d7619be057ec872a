# The object store (SMARTHOME_S3_BUCKET): raw/ (landed HomeC files), staging/, clean/, exports/ (read by Redshift
# COPY), quarantine/, registry/, dashboard/, and Dagster's compute logs under dagster/compute-logs/.
# Versioned, SSE-KMS with the deployment's key, public access blocked, TLS only, lifecycle rules for raw/ and
# exports/, access logs into a second bucket.

resource "aws_s3_bucket" "data" {
  # checkov:skip=CKV_AWS_144:Cross-region replication doubles storage for data that can be rebuilt from raw/; versioning + backups cover mistakes.
  # checkov:skip=CKV2_AWS_62:No consumer of S3 event notifications: Dagster schedules and sensors drive every step.
  bucket_prefix = "${local.name}-data-"
  force_destroy = var.force_destroy_bucket
}

resource "aws_s3_bucket_versioning" "data" {
  bucket = aws_s3_bucket.data.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "data" {
  bucket                  = aws_s3_bucket.data.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "data" {
  bucket = aws_s3_bucket.data.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_policy" "data" {
  bucket     = aws_s3_bucket.data.id
  depends_on = [aws_s3_bucket_public_access_block.data]
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "TlsOnly"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.data.arn, "${aws_s3_bucket.data.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

resource "aws_s3_bucket_lifecycle_configuration" "data" {
  bucket     = aws_s3_bucket.data.id
  depends_on = [aws_s3_bucket_versioning.data]

  rule {
    id     = "raw-to-glacier-ir"
    status = "Enabled"
    filter {
      prefix = "${var.s3_prefix}/raw/"
    }
    transition {
      days          = var.raw_transition_days
      storage_class = "GLACIER_IR"
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
  }

  rule {
    id     = "exports-expire"
    status = "Enabled"
    filter {
      prefix = "${var.s3_prefix}/exports/"
    }
    # Each day's manifest names its current files; re-exports leave older stamped files behind.
    expiration {
      days = var.exports_expiration_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 7
    }
  }

  rule {
    id     = "athena-results-expire"
    status = "Enabled"
    filter {
      prefix = "${var.s3_prefix}/athena-results/"
    }
    expiration {
      days = 7
    }
  }

  rule {
    id     = "everything-tidy"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 2
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
  }
}

resource "aws_s3_bucket_logging" "data" {
  bucket        = aws_s3_bucket.data.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "data/"
  # S3 refuses the logging target until its policy lets the log delivery service write (found by the moto apply).
  depends_on = [aws_s3_bucket_policy.access_logs]
}

# Server access logs of the data bucket. S3 log delivery cannot write with a customer KMS key, so SSE-S3 here.
resource "aws_s3_bucket" "access_logs" {
  # checkov:skip=CKV_AWS_144:Access logs of one bucket; replicating them is not worth doubling the cost.
  # checkov:skip=CKV_AWS_145:S3 server access log delivery only supports SSE-S3 on the target bucket.
  # checkov:skip=CKV_AWS_18:This is the access-log bucket; logging it into itself would loop.
  # checkov:skip=CKV2_AWS_62:No consumer of event notifications for logs.
  bucket_prefix = "${local.name}-access-logs-"
  force_destroy = var.force_destroy_bucket
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket     = aws_s3_bucket.access_logs.id
  depends_on = [aws_s3_bucket_public_access_block.access_logs]
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "TlsOnly"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.access_logs.arn, "${aws_s3_bucket.access_logs.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "S3LogDelivery"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.access_logs.arn}/*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
      {
        # The UI load balancer's access logs (alb.tf): the region's ELB account (older regions) or the log
        # delivery service (newer ones) writes them under ui-alb/.
        Sid       = "UiLoadBalancerLogs"
        Effect    = "Allow"
        Principal = { AWS = data.aws_elb_service_account.this.arn, Service = "logdelivery.elasticloadbalancing.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.access_logs.arn}/ui-alb/AWSLogs/${local.account_id}/*"
      },
    ]
  })
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket     = aws_s3_bucket.access_logs.id
  depends_on = [aws_s3_bucket_versioning.access_logs]
  rule {
    id     = "expire-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = var.log_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 7
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 2
    }
  }
}
