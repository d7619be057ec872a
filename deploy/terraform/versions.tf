# The whole smarthome platform on AWS: network, S3, RDS PostgreSQL, Redshift Serverless, the API (Lambda +
# API Gateway) and Dagster on ECS Fargate. One root module, no third-party modules, one provider (hashicorp/aws),
# so that `terraform init -backend=false -plugin-dir=...` + `terraform validate` work offline (see docs/DEPLOY.md).
#
# Terraform >= 1.11: secrets are written through write-only arguments (`*_wo`) from ephemeral random passwords,
# so no database password is ever stored in the state.
terraform {
  required_version = ">= 1.11"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 6.0"
    }
  }
  # The state lives in an encrypted, versioned S3 bucket of your own (docs/DEPLOY.md, "State"): it holds the
  # API Gateway key's value, which API Gateway generates (it has no write-only form). Partial configuration: the
  # bucket, key and region are given to `terraform init -backend-config=...`. The provider's exact version and
  # hashes are in .terraform.lock.hcl, committed.
  backend "s3" {}
}

provider "aws" {
  region = var.region
  default_tags {
    tags = merge({ Project = "smarthome", ManagedBy = "terraform" }, var.tags)
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  name       = var.name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
}
