"""Deployment files (Terraform, the AWS Dagster instance) and the developer tools that exercise them."""
