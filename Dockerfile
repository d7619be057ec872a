# The code image for Dagster on ECS (deploy/terraform/ecs.tf): the code location's gRPC server, the webserver,
# the daemon and every run task use it. Built from the same pinned lock as `make venv`, then the project itself
# without dependencies (so the lock is the only source of versions), in place: the code location loads its
# defs/ folder through the project's pyproject.toml ([tool.dg]), so the package stays beside it. A test installs these exact steps into a
# clean venv and loads the code location (smarthome_assets_tests/deploy/test_image.py): Docker does not run there.
#
#   docker build -t smarthome:$(git rev-parse --short HEAD) .
FROM python:3.11.14-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_HOME=/opt/dagster/home

WORKDIR /opt/dagster/app

# Dependencies first: this layer changes only when the lock does.
COPY requirements/lock.txt requirements/lock.txt
RUN python -m pip install --no-cache-dir -r requirements/lock.txt

COPY pyproject.toml README.md LICENSE ./
COPY smarthome_assets smarthome_assets
COPY lambda_api lambda_api
COPY deploy/dagster.aws.yaml deploy/workspace.aws.yaml deploy/
RUN python -m pip install --no-cache-dir --no-deps --editable . \
    && mkdir -p "$DAGSTER_HOME/storage" \
    && cp deploy/dagster.aws.yaml "$DAGSTER_HOME/dagster.yaml" \
    && useradd --uid 10001 --no-create-home --home-dir /opt/dagster/home dagster \
    && chown -R dagster "$DAGSTER_HOME"

USER 10001

# ECS health checks are set per task definition; the code server, webserver and daemon differ, so none here.
HEALTHCHECK NONE

CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "smarthome_assets.definitions"]
