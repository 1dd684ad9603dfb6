"""The web console (issue 15): its static files at `/console`, and the read-only, signed,
account-scoped extension endpoints it needs beyond the Pandora API.

The static files are served without a signature (the page has no secret yet; `auth.is_open`);
everything the page shows comes from signed API calls made in the browser.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, Response

from tidemill.api.deps import answer
from tidemill.api.listing_gate import answer_listing
from tidemill.console import STATIC
from tidemill.core.batches import run_id_text
from tidemill.errors import Failure, NotFoundError
from tidemill.services import console

router = APIRouter()

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}

# No other site may frame the console (its Stop/Rerun buttons: clickjacking), nor a browser
# read its files as another type.
_GUARDS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}


def _asset(name: str) -> Response:
    # Only files that are in the directory, by their plain name: no path leads elsewhere.
    files = {p.name: p for p in STATIC.iterdir() if p.is_file()} if STATIC.is_dir() else {}
    path = files.get(name)
    if path is None or path.suffix not in _TYPES:
        raise NotFoundError(Failure.ROUTE_NOT_FOUND, f"the console has no file {name!r}")
    cache = "no-cache" if name == "index.html" else "max-age=300"
    headers = {"Cache-Control": cache, **_GUARDS}
    return FileResponse(path, media_type=_TYPES[path.suffix], headers=headers)


@router.get("/console")
@router.get("/console/")
async def index() -> Response:
    return _asset("index.html")


@router.get("/console/{name}")
async def asset(name: str) -> Response:
    return _asset(name)


@router.get("/v2/console/datasources/{name}/files")
async def selected_files(request: Request, name: str) -> Response:
    """The files datasource `name` selects now (`services.console.selected_files`). In the
    threadpool, like a write: listing a bucket or a namenode is I/O, never on the loop (a few
    per account at once: api.listing_gate)."""
    return await answer_listing(request, console.selected_files, name)


@router.get("/v2/console/jobs/{job}/history/{run_id}/exports")
async def batch_exports(request: Request, job: str, run_id: str) -> Response:
    """The export outcomes of one batch (`services.console.batch_exports`)."""
    number = run_id_text(run_id, Failure.QUERY_INVALID)
    return await answer(request, console.batch_exports, job, number)
