"""Shared fixtures: a real embedded PostgreSQL server per test session, fresh databases per test module.

Nothing here is mocked: the server is the same PostgreSQL binary `make run` uses, in a temporary folder.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smarthome_assets.lib.dagster_warnings import quiet_known_warnings
from smarthome_assets.services import embedded_postgres
from smarthome_assets_tests.support.browser import CHROMIUM, LAUNCH_ARGS, require_chromium
from smarthome_assets_tests.support.paths import EXCERPT


def pytest_configure(config):
    """The same warnings are silenced as in the code location and the CLI (lib/dagster_warnings.py); pytest
    keeps filters set here as the base of each test's own."""
    quiet_known_warnings()


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """A real PostgreSQL server for the session; yields its admin URL; stopped at the end."""
    pgdata = tmp_path_factory.mktemp("pg") / "data"
    url = embedded_postgres.server_url(pgdata)
    yield url, pgdata
    embedded_postgres.stop_server(pgdata)


@pytest.fixture
def fresh_database(pg_server):
    """A new empty database on the session server; returns (url, name). Dropped afterwards."""
    _admin_url, pgdata = pg_server
    name = f"t_{uuid.uuid4().hex[:10]}"
    yield embedded_postgres.server_url(pgdata, name), name
    embedded_postgres.drop_database(pgdata, name)


@pytest.fixture
def excerpt_path() -> Path:
    if not EXCERPT.exists():
        pytest.skip("the real HomeC excerpt (../shared/data/HomeC_excerpt.csv) is not present")
    return EXCERPT


@pytest.fixture(scope="session")
def moto_s3_endpoint():
    """A real S3 API over HTTP on loopback (moto's server, in memory); yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)  # a port no other process holds
    server.start()
    yield f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    server.stop()


@pytest.fixture
def s3_bucket(moto_s3_endpoint):
    """A fresh bucket on the moto server; yields (endpoint, bucket name, S3ObjectStore keyword arguments)."""
    from smarthome_assets.storage.object_store import S3ObjectStore

    s3 = {
        "endpoint_url": moto_s3_endpoint,
        "region_name": "us-east-1",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    name = f"smarthome-{uuid.uuid4().hex[:8]}"
    S3ObjectStore(bucket=name, **s3)._c().create_bucket(Bucket=name)
    return moto_s3_endpoint, name, s3


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def api_db(pg_server, request):
    """The API tests' database: synthetic homes loaded, the read-only role, and the Lambda handler configured
    to read it (one per test module, named after it in `application_name`); dropped afterwards."""
    from smarthome_assets_tests.support.api_database import served_api_database

    with served_api_database(pg_server, f"test-{request.module.__name__.rsplit('.', 1)[-1]}") as db:
        yield db
