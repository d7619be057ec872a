# The code image for Dagster on ECS (deploy/terraform/ecs.tf): the code location's gRPC server, the webserver,
# the daemon and every run task use it. Built from the runtime part of the pinned lock, with hashes, then the project
# itself without dependencies (so the lock is the only source of versions), in place: the code location loads its
# defs/ folder through the project's pyproject.toml ([tool.dg]), so the package stays beside it. A test installs these exact steps into a
# clean venv and loads the code location (smarthome_assets_tests/deploy/test_image.py): Docker does not run there.
#
# The task definitions and the Lambda run on X86_64: build for that platform on any machine (an arm64 Mac included),
# or the tasks stop with "exec format error":
#
#   docker build --platform linux/amd64 -t smarthome:$(git rev-parse --short HEAD) .
FROM python:3.11.14-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_HOME=/opt/dagster/home

WORKDIR /opt/dagster/app

# Dependencies first: this layer changes only when the lock does. The runtime lock only (no test or tool
# packages), every file checked against its sha256 (requirements/runtime-lock.txt); --no-deps because the lock is
# the whole closure (and pip refuses an extra such as gql[requests] asked for by a dependency in hash mode).
COPY requirements/runtime-lock.txt requirements/runtime-lock.txt
RUN python -m pip install --no-cache-dir --require-hashes --no-deps -r requirements/runtime-lock.txt

COPY pyproject.toml README.md LICENSE ./
COPY smarthome_assets smarthome_assets
COPY lambda_api lambda_api
COPY deploy/dagster.aws.yaml deploy/workspace.aws.yaml deploy/
RUN python -m pip install --no-cache-dir --no-deps --no-build-isolation --editable . \
    && useradd --uid 10001 --no-create-home --home-dir /opt/dagster/home dagster \
    && install -d -o 10001 -g 10001 -m 0750 "$DAGSTER_HOME" "$DAGSTER_HOME/storage" \
    && cp deploy/dagster.aws.yaml "$DAGSTER_HOME/dagster.yaml"

# The task definitions mount task volumes here over a read-only root (deploy/terraform/ecs.tf). Fargate gives such
# a mount the image's ownership only where the image declares a VOLUME; otherwise root, 0755, and uid 10001 could
# not write its temp files (the code server's gRPC worker, SMARTHOME_HOME, the compute logs' local_dir).
# /tmp keeps the base image's root 1777; storage/ is the user's, as made above. `make ecs-local` checks both.
VOLUME ["/tmp", "/opt/dagster/home/storage"]

USER 10001

# ECS health checks are set per task definition; the code server, webserver and daemon differ, so none here.
HEALTHCHECK NONE

CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "smarthome_assets.definitions"]
