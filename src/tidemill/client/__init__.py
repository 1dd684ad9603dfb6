"""A typed Python client for Tidemill and any Pandora batch API v2 server.

    from tidemill.client import Client

    with Client("http://127.0.0.1:8080", access_key, secret_key) as api:
        api.create_variable("region", {"type": "string", "value": "eu"})
        batch = api.start_and_wait("traffic_per_hour")
        print(batch.status, api.result("traffic_per_hour", batch.run_id).rows)

Bodies are given as the API takes them (a dict) or as the models of `tidemill.client.models`.
Errors: `tidemill.client.errors` (`ApiError.code` is the Pandora code, e.g. `E18202`).
This package imports no server layer: only the pure `tidemill.core.signing`.
"""

from tidemill.client._async import AsyncClient
from tidemill.client._sync import Client
from tidemill.client.errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    TidemillClientError,
    TransportError,
    UnexpectedAnswer,
    WaitTimeout,
)
from tidemill.client.models import TERMINAL_STATUSES

__all__ = [
    "TERMINAL_STATUSES",
    "ApiError",
    "AsyncClient",
    "AuthenticationError",
    "Client",
    "ConflictError",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "ServerError",
    "TidemillClientError",
    "TransportError",
    "UnexpectedAnswer",
    "WaitTimeout",
]
