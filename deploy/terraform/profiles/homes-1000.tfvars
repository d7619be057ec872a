# 1,000 homes, each delivering a file of its readings every minute (docs/SCALE.md, "AWS profiles").
#   terraform apply -var-file=profiles/homes-1000.tfvars -var image_tag=$TAG
# About 1.44 million deliveries and 1.44 million rows per table a day; about 220 GB a year in RDS
# (0.22 GB per home-year with indexes, bench/history_benchmark.py).

# RDS: 2 vCPU / 8 GB keeps the current month's partitions (about 18 GB) largely cached; a standby in
# another AZ for a utility's service; storage for about 20 months of history.
db_instance_class       = "db.m7g.large"
db_allocated_storage_gb = 400
db_multi_az             = true
# Connections: the API's Lambdas (reserved concurrency) + Dagster and its runs (about 8 per run task).
db_max_connections          = 200
api_reserved_concurrency    = 60
dagster_db_pool_connections = 80

# Redshift Serverless: the daily load of 1,000 home-days and the re-exported days of late corrections.
redshift_base_rpu                = 8
redshift_max_rpu_hours_per_month = 120

# Landed sources and superseded exports leave the expensive tiers sooner; logs are kept 90 days.
raw_transition_days     = 7
exports_expiration_days = 30
log_retention_days      = 90
