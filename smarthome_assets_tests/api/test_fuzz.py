"""Property-based fuzzing of the local API from its own OpenAPI document (schemathesis): no 5xx, and every
response matches the documented status codes, content types, headers and body schemas.

The document is generated at import from the routes (as /openapi.json serves it: a test checks they are
equal) because schemathesis parametrizes tests at collection time. Bounded: a fixed number of examples
per operation, well under a minute on two cores. Schema-valid but semantically wrong input (end before
start, 2016-02-30) is a documented 400, so the check that expects every schema-valid request to succeed
(positive_data_acceptance) is left out; the others all run, including negative_data_rejection.
"""

from __future__ import annotations

import pytest
import requests
import schemathesis
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from lambda_api.config import ApiConfig
from lambda_api.handler import build_resolver, configure, openapi_document
from smarthome_assets.local_api.server import LocalApiServer, start_in_thread
from smarthome_assets_tests.support.api_database import create_api_database, drop_api_database

EXAMPLES_PER_OPERATION = 40
DOCUMENT = openapi_document(build_resolver(APIGatewayHttpResolver, ApiConfig()), ApiConfig())
schema = schemathesis.openapi.from_dict(DOCUMENT)


@pytest.fixture(scope="module")
def fuzz_server(pg_server):
    db = create_api_database(pg_server)
    configure(ApiConfig(database_url=db.reader_url, application_name="test-api-fuzz"))
    server = LocalApiServer(("127.0.0.1", 0))
    start_in_thread(server)
    yield server
    server.shutdown()
    server.server_close()
    drop_api_database(db, pg_server)


def test_the_fuzzed_document_is_the_served_one(fuzz_server):
    assert requests.get(f"{fuzz_server.url}/openapi.json", timeout=10).json() == DOCUMENT


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_keeps_its_openapi_promises(case, fuzz_server):
    case.call_and_validate(base_url=fuzz_server.url, excluded_checks=[positive_data_acceptance], timeout=10)
