"""Connect-time address checks of export requests (issue 9, kind 11): after DNS, on the very
address connected to, against a real HTTP receiver on loopback."""

from __future__ import annotations

import pytest

from tests.exporters.receivers import http_receiver
from tidemill.core.outbound import AddressPolicy
from tidemill.errors import Failure, InvalidInputError
from tidemill.exporters.outbound import OutboundRefusedError, check_host, open_client

NO_LOOPBACK = AddressPolicy.from_strings(["127.0.0.0/8", "::1/128"], [])


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_refused_address_is_never_connected_to(host: str) -> None:
    with http_receiver() as receiver, open_client(NO_LOOPBACK, 5.0) as client:
        port = receiver.url.rsplit(":", 1)[1]

        with pytest.raises(OutboundRefusedError) as caught:
            client.post(f"http://{host}:{port}/x", content=b"row")

        assert receiver.requests == []
    assert "127.0.0.0/8" in caught.value.message


def test_a_name_checked_at_create_is_checked_again_at_connect() -> None:
    # "localhost" names no address at create time that the policy could judge by its text; the
    # connection resolves it and refuses the loopback address it gets (as after DNS rebinding).
    with http_receiver() as receiver, open_client(NO_LOOPBACK, 5.0) as client:
        port = receiver.url.rsplit(":", 1)[1]

        with pytest.raises(OutboundRefusedError):
            client.post(f"http://localhost:{port}/x", content=b"row")


def test_an_allowed_address_is_reached() -> None:
    with http_receiver() as receiver, open_client(AddressPolicy(), 5.0) as client:
        response = client.post(f"http://{receiver.url}/x", content=b"row")

    assert response.status_code == 200
    assert [r.body for r in receiver.requests] == [b"row"]


def test_the_create_check_resolves_names() -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_host(NO_LOOPBACK, "localhost", 80, "spec.host")

    assert caught.value.failure is Failure.EXP_SUBMIT_FAILED
    assert "resolves to a refused address" in caught.value.message


def test_the_create_check_lets_an_unresolvable_name_through_to_connect_time() -> None:
    check_host(NO_LOOPBACK, "no-such-host.invalid", 80, "spec.host")
