"""The smarthome read API: an AWS Lambda function behind API Gateway (REST v1 and HTTP v2 events).

It reads the operational PostgreSQL tables (`home`, `device`, `weather`, `energy_consuming_device`) and
answers JSON or CSV. The package is self-contained on purpose: its deployment zip holds only this folder
and the wheels in `requirements.txt` (Powertools, psycopg2, orjson), never Dagster, pandas or
`smarthome_assets`. The entry point is `lambda_api.handler.handler`.
"""
