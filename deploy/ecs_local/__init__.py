"""`make ecs-local`: the platform started as ECS Fargate would start it, on this machine.

The task definitions come from deploy/terraform itself, applied to a moto server (moto_terraform.py); each
container runs in a bubblewrap sandbox with a read-only root, only its declared volumes writable with the ownership
Fargate gives them, as uid 10001 (sandbox.py); an ECS stand-in starts the tasks, resolves their secrets and answers
the EcsRunLauncher's RunTask (agent.py); embedded PostgreSQL behind TLS stands in for RDS and, with Redshift SQL
translated, for Redshift (postgres_front.py). __main__.py runs the scenario and prints one table.
"""
