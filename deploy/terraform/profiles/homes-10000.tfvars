# 10,000 homes, each delivering a file of its readings every 5 minutes (docs/SCALE.md, "AWS profiles": at one
# file a minute the S3 requests alone would cost about $24,000 a month).
#   terraform apply -var-file=profiles/homes-10000.tfvars -var image_tag=$TAG
# About 2.9 million deliveries and 14.4 million rows per table a day; about 2.2 TB a year in RDS.

# RDS: 8 vCPU / 64 GB for the loads of 10,000 homes and the API's reads of the current month (about 180 GB);
# a standby in another AZ; storage for about 16 months of history (older months detached to the lake).
db_instance_class       = "db.r7g.2xlarge"
db_allocated_storage_gb = 3000
db_multi_az             = true
db_max_connections      = 500
# The API's Lambdas: one connection each.
api_reserved_concurrency    = 200
dagster_db_pool_connections = 200

# Redshift Serverless: 10,000 home-days a day (14.4 million minutes per table) and their corrections.
redshift_base_rpu                = 32
redshift_max_rpu_hours_per_month = 1000

raw_transition_days     = 7
exports_expiration_days = 30
log_retention_days      = 90
