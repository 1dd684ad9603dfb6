"""A name that is `.` or `..` (`tidemill exports delete myjob ..`, a typo or a script's empty
variable) was sent as a path segment that HTTP normalises away: the request reached another
route (`/v2/jobs/myjob/exports/..` is `/v2/jobs/myjob`) and, as the client had signed the path
it meant, the server answered `401 bad token: signature mismatch` — exit 5, "check your keys",
for a name. The client now sends the dots percent-encoded, so the server sees the name and
refuses it as a name (400, the kind's invalid-name code)."""

from __future__ import annotations

import pytest

from tests.client.accounts import new_account
from tests.served import Served
from tidemill.client import Client, InvalidRequestError
from tidemill.client import _calls as calls


@pytest.mark.parametrize("name", [".", ".."])
def test_a_dot_name_stays_one_segment(name: str) -> None:
    for call in (calls.get_export("j", name), calls.delete_job(name), calls.get_variable(name)):
        assert call.path.rsplit("/", 1)[1] == name.replace(".", "%2E"), call.path


def test_the_server_refuses_a_dot_name_as_a_name(served_api: Served) -> None:
    account = new_account(served_api, "breaker_dots")
    with Client(account.endpoint, account.access_key, account.secret_key, timeout=10) as api:
        for attempt in (
            lambda: api.delete_export("victim", ".."),
            lambda: api.get_job(".."),
            lambda: api.delete_workflow("."),
        ):
            with pytest.raises(InvalidRequestError) as caught:
                attempt()
            assert caught.value.status == 400 and caught.value.code.startswith("E18"), caught.value
