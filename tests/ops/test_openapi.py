"""The OpenAPI 3.1 document (issue 15, item 4): valid by a spec validator, served unsigned,
and naming exactly the app's routes (a new endpoint without its description fails here)."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from tests.support import Client
from tidemill.api.app import create_app
from tidemill.api.openapi import document
from tidemill.api.routes import ops
from tidemill.config import Settings
from tidemill.runtime import Runtime

METHODS = {"get", "post", "put", "delete"}


def test_the_document_is_valid_openapi_3_1() -> None:
    doc = document()

    validate(doc)  # raises on any violation of the OpenAPI 3.1 schema

    assert doc["openapi"] == "3.1.0"


def test_the_validator_refuses_a_broken_document() -> None:
    doc = document()
    doc["paths"]["/v2/jobs/{name}"]["get"]["responses"]["200"] = {"content": {}}  # no description

    with pytest.raises(OpenAPIValidationError):
        validate(doc)


def test_served_without_a_signature(client: Client) -> None:
    response = client.http.get("/openapi.json")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == document()


def test_every_route_is_described_and_nothing_else(settings: Settings, runtime: Runtime) -> None:
    app = create_app(settings, runtime)
    served = {
        (method.lower(), route.path)
        for route in app.state.api_routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
        if method.lower() in METHODS
    }
    served |= {("get", path) for path in ops.UNSIGNED}
    doc = document()
    described = {(m, p) for p, item in doc["paths"].items() for m in item if m in METHODS}

    assert described == served


def test_every_error_answer_is_the_pandora_envelope() -> None:
    doc = document()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if op.get("security") == []:
                continue  # the unsigned ops endpoints
            errors = op["responses"]["4XX"]["content"]["application/json"]["schema"]
            assert errors == {"$ref": "#/components/schemas/Error"}, (method, path)
