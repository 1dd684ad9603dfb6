"""A per-account cap on listing requests in flight (docs/decisions.md, "safety2").

`POST /v2/jobs/{job}/actions/render` and `GET /v2/console/datasources/{name}/files` list every
file a source selects, in the API's threadpool; over a huge bucket one listing takes seconds.
Without a cap, one account's burst of them fills the threadpool and every account's writes
wait. Each account may have `limit` of them in flight (TIDEMILL_API__MAX_LISTINGS_PER_ACCOUNT,
default 2); one more is refused at once with REQ_TOO_MANY (429), never queued.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request
from starlette.responses import Response

from tidemill.api.deps import answer
from tidemill.errors import Failure, StateError

__all__ = ["ListingGate", "answer_listing"]


async def answer_listing(request: Request, service: Callable[..., Any], *args: Any) -> Response:
    """`answer(..., write=True)` (in the threadpool) within one of the account's listing
    slots; REQ_TOO_MANY when the account has the limit in flight already."""
    state = request.app.state
    gate = getattr(state, "listing_gate", None)
    if gate is None:  # made on first use, on the event loop (no race)
        gate = state.listing_gate = ListingGate(state.runtime.settings.api.max_listings_per_account)
    with gate.slot(int(request.state.account_id)):
        return await answer(request, service, *args, write=True)


class ListingGate:
    """Counts each account's listings in flight. Used on the event loop only (entered and left
    around the threadpool call), so the counts need no lock."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held: dict[int, int] = {}

    @contextmanager
    def slot(self, account: int) -> Iterator[None]:
        """Hold one of `account`'s slots for the block; REQ_TOO_MANY when all are held."""
        held = self._held.get(account, 0)
        if held >= self.limit:
            raise StateError(
                Failure.REQ_TOO_MANY,
                f"too many listings in flight for this account ({self.limit} at once: render "
                "and datasource file listings); wait for one to finish and retry",
            )
        self._held[account] = held + 1
        try:
            yield
        finally:
            left = self._held[account] - 1
            if left:
                self._held[account] = left
            else:
                del self._held[account]
