"""Local stand-ins for AWS services: the embedded PostgreSQL server (for RDS and, locally, Redshift)."""
