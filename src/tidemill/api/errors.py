"""The one place where domain errors become HTTP responses, in Pandora's error envelope (§1.5)."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from tidemill.api.wire import error_response
from tidemill.errors import Failure, TidemillError

log = logging.getLogger("tidemill.api")

S = HTTPStatus
# failure -> (HTTP status, seed code, Go SDK code). The seed column is emitted by default
# (spec D-1); TIDEMILL_ERROR_CODES=sdk switches to the SDK column. "" means no code (AUTH).
WIRE_BY_FAILURE: dict[Failure, tuple[HTTPStatus, str, str]] = {
    Failure.AUTH: (S.UNAUTHORIZED, "", ""),
    Failure.ROUTE_NOT_FOUND: (S.NOT_FOUND, "E9001", "E9001"),
    Failure.METHOD_NOT_ALLOWED: (S.METHOD_NOT_ALLOWED, "", ""),
    Failure.REQ_NO_LENGTH: (S.LENGTH_REQUIRED, "E18003", "E18003"),
    Failure.REQ_BAD_LENGTH: (S.BAD_REQUEST, "E18004", "E18004"),
    Failure.REQ_TOO_LARGE: (S.REQUEST_ENTITY_TOO_LARGE, "E18005", "E18005"),
    Failure.REQ_EMPTY: (S.BAD_REQUEST, "E18006", "E18006"),
    Failure.REQ_MALFORMED: (S.BAD_REQUEST, "E18007", "E18007"),
    Failure.REQ_TOO_LONG: (S.BAD_REQUEST, "E18008", "E18008"),
    Failure.QUERY_INVALID: (S.BAD_REQUEST, "E18007", "E18007"),
    Failure.REGION_INVALID: (S.BAD_REQUEST, "E18212", "E18212"),
    Failure.INTERNAL: (S.INTERNAL_SERVER_ERROR, "E9000", "E9000"),
    Failure.NOT_IMPLEMENTED: (S.NOT_IMPLEMENTED, "E9001", "E9001"),
    Failure.REQ_TOO_MANY: (S.TOO_MANY_REQUESTS, "E9000", "E9000"),  # no spec row (decisions)
    Failure.DS_NAME_INVALID: (S.BAD_REQUEST, "E18103", "E18600"),
    Failure.DS_EXISTS: (S.CONFLICT, "E18101", "E18601"),
    Failure.DS_NOT_FOUND: (S.NOT_FOUND, "E18102", "E18602"),
    Failure.DS_TYPE_INVALID: (S.BAD_REQUEST, "E18109", "E18614"),
    Failure.DS_SPEC_INVALID: (S.BAD_REQUEST, "E18109", "E18614"),
    Failure.DS_PATH_ILLEGAL: (S.BAD_REQUEST, "E18109", "E18638"),
    Failure.DS_FILTER_INVALID: (S.BAD_REQUEST, "E18109", "E18019"),
    Failure.SCHEMA_EMPTY: (S.BAD_REQUEST, "E18105", "E18105"),
    Failure.SCHEMA_KEY_INVALID: (S.BAD_REQUEST, "E18106", "E18308"),
    Failure.SCHEMA_KEY_DUP: (S.BAD_REQUEST, "E18106", "E18104"),
    Failure.SCHEMA_TYPE_INVALID: (S.BAD_REQUEST, "E18107", "E18107"),
    Failure.SCHEMA_INCOMPATIBLE_UPDATE: (S.BAD_REQUEST, "E18110", "E18128"),
    Failure.DS_VERIFY_NOT_FOUND: (S.BAD_REQUEST, "E18109", "E18619"),
    Failure.DS_VERIFY_NO_FILES: (S.BAD_REQUEST, "E18109", "E18620"),
    Failure.DS_VERIFY_FORMAT: (S.BAD_REQUEST, "E18110", "E18623"),
    Failure.DS_VERIFY_SCHEMA: (S.BAD_REQUEST, "E18110", "E18615"),
    Failure.DS_CASCADING: (S.BAD_REQUEST, "E18112", "E18603"),
    Failure.JOB_NAME_INVALID: (S.BAD_REQUEST, "E18207", "E18604"),
    Failure.JOB_EXISTS: (S.CONFLICT, "E18201", "E18605"),
    Failure.JOB_NOT_FOUND: (S.NOT_FOUND, "E18202", "E18606"),
    Failure.JOB_SPEC_INVALID: (S.BAD_REQUEST, "E18207", "E18614"),
    Failure.JOB_TABLE_INVALID: (S.BAD_REQUEST, "E18207", "E18614"),
    Failure.JOB_TABLE_DUP: (S.BAD_REQUEST, "E18207", "E18613"),
    Failure.JOB_COMP_TYPE: (S.UNSUPPORTED_MEDIA_TYPE, "E18203", "E18203"),
    Failure.JOB_SQL_INVALID: (S.BAD_REQUEST, "E18209", "E18618"),
    Failure.JOB_SQL_UNDEF_VAR: (S.BAD_REQUEST, "E18209", "E18657"),
    Failure.JOB_CONTAINER_TYPE: (S.BAD_REQUEST, "E18213", "E18213"),
    Failure.JOB_CONTAINER_COUNT: (S.BAD_REQUEST, "E18214", "E18214"),
    Failure.JOB_SCHED_INVALID: (S.BAD_REQUEST, "E18208", "E18614"),
    Failure.JOB_PARAM_INVALID: (S.BAD_REQUEST, "E18207", "E18017"),
    Failure.JOB_START_PARAM: (S.BAD_REQUEST, "E18207", "E18607"),
    Failure.JOB_CASCADING: (S.BAD_REQUEST, "E18112", "E18608"),
    Failure.JOB_START_REFUSED: (S.BAD_REQUEST, "E18644", "E18621"),
    Failure.JOB_STOP_REFUSED: (S.BAD_REQUEST, "E18645", "E18622"),
    Failure.BATCH_NOT_FOUND: (S.NOT_FOUND, "E18202", "E18624"),
    Failure.BATCH_CANNOT_STOP: (S.BAD_REQUEST, "E18645", "E18626"),
    Failure.BATCH_CANNOT_RERUN: (S.BAD_REQUEST, "E18644", "E18649"),
    Failure.EXP_NAME_INVALID: (S.BAD_REQUEST, "E18305", "E18609"),
    Failure.EXP_EXISTS: (S.CONFLICT, "E18301", "E18610"),
    Failure.EXP_NOT_FOUND: (S.NOT_FOUND, "E18302", "E18611"),
    Failure.EXP_TYPE_INVALID: (S.BAD_REQUEST, "E18305", "E18322"),
    Failure.EXP_SPEC_INVALID: (S.BAD_REQUEST, "E18305", "E18305"),
    Failure.EXP_FIELD_NOT_FOUND: (S.NOT_FOUND, "E18111", "E18314"),
    Failure.EXP_FIELD_PREFIX: (S.BAD_REQUEST, "E18305", "E18324"),
    Failure.EXP_TYPES: (S.BAD_REQUEST, "E18305", "E18315"),
    Failure.EXP_DEST_NOT_FOUND: (S.NOT_FOUND, "E18122", "E18326"),
    Failure.EXP_BUCKET_NOT_FOUND: (S.NOT_FOUND, "E18122", "E18323"),  # §8.2 bucket
    Failure.EXP_SUBMIT_FAILED: (S.BAD_REQUEST, "E18303", "E18306"),
    Failure.EXP_DELETE_FAILED: (S.BAD_REQUEST, "E18304", "E18307"),
    Failure.VAR_NAME_INVALID: (S.BAD_REQUEST, "E18106", "E18017"),
    Failure.VAR_TYPE_INVALID: (S.BAD_REQUEST, "E18107", "E18016"),
    Failure.VAR_VALUE_INVALID: (S.BAD_REQUEST, "E18110", "E18018"),
    Failure.VAR_FORMAT_INVALID: (S.BAD_REQUEST, "E18104", "E18658"),
    Failure.VAR_EXISTS: (S.CONFLICT, "E18101", "E18655"),
    Failure.VAR_NOT_FOUND: (S.NOT_FOUND, "E18102", "E18654"),
    Failure.VAR_SYSTEM_CREATE: (S.CONFLICT, "E18101", "E18656"),
    Failure.VAR_SYSTEM_CHANGE: (S.BAD_REQUEST, "E18106", "E18656"),
    Failure.WF_NAME_INVALID: (S.BAD_REQUEST, "E18639", "E18639"),
    Failure.WF_EXISTS: (S.CONFLICT, "E18640", "E18640"),
    Failure.WF_NAME_CLASH: (S.CONFLICT, "E18640", "E18661"),
    Failure.WF_NOT_FOUND: (S.NOT_FOUND, "E18641", "E18641"),
    Failure.WF_SPEC_INVALID: (S.BAD_REQUEST, "E18642", "E18642"),
    Failure.WF_STRUCTURE: (S.BAD_REQUEST, "E18642", "E18646"),
    Failure.WF_STATE: (S.BAD_REQUEST, "E18643", "E18643"),
    Failure.WF_CANNOT_START: (S.BAD_REQUEST, "E18644", "E18644"),
    Failure.WF_CANNOT_STOP: (S.BAD_REQUEST, "E18645", "E18645"),
    Failure.WF_NOT_EMPTY: (S.BAD_REQUEST, "E18112", "E18112"),
    # Finer keys (tidemill.errors.ROW_OF): the row's status and seed code, the SDK's own code.
    Failure.DS_SRC_NOT_FOUND: (S.NOT_FOUND, "E18102", "E18612"),
    Failure.JOB_SRC_NOT_FOUND: (S.NOT_FOUND, "E18202", "E18612"),
    Failure.DS_FILTER_UNDEF_VAR: (S.BAD_REQUEST, "E18109", "E18705"),
    Failure.DS_FILTER_STRING_VAR: (S.BAD_REQUEST, "E18109", "E18704"),
    Failure.JOB_PARAM_VALUE_INVALID: (S.BAD_REQUEST, "E18207", "E18018"),
    Failure.JOB_START_IN_WORKFLOW: (S.BAD_REQUEST, "E18644", "E18663"),
    Failure.JOB_STOP_IN_WORKFLOW: (S.BAD_REQUEST, "E18645", "E18663"),
    Failure.EXP_CSV_DELIMITER: (S.BAD_REQUEST, "E18305", "E18330"),
    Failure.EXP_URL_INVALID: (S.BAD_REQUEST, "E18305", "E18310"),
    Failure.EXP_TYPE_DISABLED: (S.BAD_REQUEST, "E18303", "E18339"),
    Failure.WF_JOBS_COEXIST: (S.BAD_REQUEST, "E18642", "E18653"),
    Failure.WF_NO_EXECUTABLE_JOB: (S.BAD_REQUEST, "E18644", "E18650"),
}


def render(failure: Failure, message: str, reqid: str, *, sdk_codes: bool = False) -> Response:
    status, seed, sdk = WIRE_BY_FAILURE[failure]
    code = sdk if sdk_codes else seed
    if failure is Failure.AUTH:
        text = message if message.startswith("bad token") else "bad token"
    else:
        text = f"{code}: {message}" if code else message
    return error_response(status, text, reqid)


def _reqid(request: Request) -> str:
    return str(getattr(request.state, "reqid", ""))


def _sdk_codes(request: Request) -> bool:
    return bool(getattr(request.app.state, "sdk_codes", False))


async def on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TidemillError)
    return render(exc.failure, exc.message, _reqid(request), sdk_codes=_sdk_codes(request))


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == S.METHOD_NOT_ALLOWED:
        return render(Failure.METHOD_NOT_ALLOWED, "method not allowed", _reqid(request))
    return render(Failure.ROUTE_NOT_FOUND, "no such api", _reqid(request))


async def on_validation_error(request: Request, exc: Exception) -> Response:
    return render(Failure.REQ_MALFORMED, "malformed request", _reqid(request))


async def on_unexpected(request: Request, exc: Exception) -> Response:
    # A bug: log it with its traceback, show the client nothing of our internals.
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return render(Failure.INTERNAL, "internal server error", _reqid(request))


def install_error_handlers(app: FastAPI) -> None:
    # Starlette looks handlers up along the exception's MRO: one entry covers the tree.
    app.add_exception_handler(TidemillError, on_domain_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)
