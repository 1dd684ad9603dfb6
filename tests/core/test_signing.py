from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tidemill.core.signing import (
    Credentials,
    SignedRequest,
    parse_authorization,
    verify,
)
from tidemill.errors import AuthError

AK = "ak_test_0123456789"
SK = "sk_test_abcdefghijklmnopqrstuvwxyz"
DATE = "Mon, 02 Jan 2006 15:04:05 GMT"
AT_DATE = datetime(2006, 1, 2, 15, 4, 5, tzinfo=UTC)
SKEW = 15 * 60
JSON = "application/json"


def request(method, path, query=(), **headers) -> SignedRequest:
    return SignedRequest(
        method, path, list(query), {k.lower().replace("_", "-"): v for k, v in headers.items()}
    )


# Spec §2.6 vectors A, B (both forms) and C (both header layouts).
SIGNATURE_VECTORS = [
    pytest.param(
        request("POST", "/v2/datasources/my_ds", content_type=JSON, date=DATE),
        "fFMotMoN5uU38v6Z5-W8zKAYFlc=",
        id="A-create-datasource",
    ),
    pytest.param(
        request("GET", "/v2/jobs/my_job/history", [("page", "1"), ("size", "20")], date=DATE),
        "R9V3v7DSCC5Te1fR9cBdDxGOElU=",
        id="B-query-not-signed",
    ),
    pytest.param(
        request("GET", "/v2/jobs/my_job/history", [("page", "1"), ("size", "20")], date=DATE),
        "13wSk428LjdKllUhQONDWxExJb8=",
        id="B-doc-literal-sorted-query",
    ),
    pytest.param(
        request(
            "POST",
            "/v2/batch/actions/rerun",
            content_type=JSON,
            date=DATE,
            x_qiniu_zeta="2",
            x_qiniu_alpha="1",
        ),
        "qSZG9yM6JQSC0UzzO9KNWvIdxSI=",
        id="C-go-header-layout",
    ),
    pytest.param(
        request(
            "POST",
            "/v2/batch/actions/rerun",
            content_type=JSON,
            date=DATE,
            x_qiniu_zeta="2",
            x_qiniu_alpha="1",
        ),
        "daMc7HQV5A-rZeR2eLUlPJfirww=",
        id="C-doc-header-layout",
    ),
]


@pytest.mark.parametrize(("req", "signature"), SIGNATURE_VECTORS)
def test_spec_signature_vectors_verify(req, signature) -> None:
    credentials = parse_authorization(f"Pandora {AK}:{signature}")

    verify(credentials, SK, req, AT_DATE, SKEW)


def test_signature_without_padding_verifies() -> None:
    credentials = parse_authorization(f"Pandora {AK}:fFMotMoN5uU38v6Z5-W8zKAYFlc")

    verify(
        credentials,
        SK,
        request("POST", "/v2/datasources/my_ds", content_type=JSON, date=DATE),
        AT_DATE,
        SKEW,
    )


TOKEN_D = (
    "CW51AZif_tQcdlmXbMbwPgMe_0U=:eyJyZXNvdXJjZSI6Ii92Mi9qb2JzL215X2pvYi9oaXN0b3J5IiwiZXhwaXJlcyI6"
    "NDEwMjQ0NDgwMCwiY29udGVudE1ENSI6IiIsImNvbnRlbnRUeXBlIjoiIiwiaGVhZGVycyI6IiIsIm1ldGhvZCI6IkdFVCJ9"
)
TOKEN_E = (
    "EfhMAM_0P9eAhgbiMhA0SXXijgU=:eyJyZXNvdXJjZSI6Ii92Mi9kYXRhc291cmNlcy9teV9kcyIsImV4cGlyZXMiOjQx"
    "MDI0NDQ4MDAsImNvbnRlbnRNRDUiOiIiLCJjb250ZW50VHlwZSI6ImFwcGxpY2F0aW9uL2pzb24iLCJoZWFkZXJzIjoi"
    "IiwibWV0aG9kIjoiUE9TVCJ9"
)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("token", "req"),
    [
        pytest.param(TOKEN_D, request("GET", "/v2/jobs/my_job/history"), id="D-get-history"),
        pytest.param(
            TOKEN_D, request("GET", "/v2/jobs/my_job/history", [("page", "2")]), id="D-with-query"
        ),
        pytest.param(
            TOKEN_E, request("POST", "/v2/datasources/my_ds", content_type=JSON), id="E-post"
        ),
    ],
)
def test_spec_token_vectors_verify_without_date(token, req) -> None:
    credentials = parse_authorization(f"Pandora {AK}:{token}")

    verify(credentials, SK, req, NOW, SKEW)


@pytest.mark.parametrize(
    ("token", "req", "now"),
    [
        pytest.param(TOKEN_D, request("POST", "/v2/jobs/my_job/history"), NOW, id="other-method"),
        pytest.param(TOKEN_D, request("GET", "/v2/jobs/other/history"), NOW, id="other-resource"),
        pytest.param(
            TOKEN_E,
            request("POST", "/v2/datasources/my_ds", content_type="text/plain"),
            NOW,
            id="other-content-type",
        ),
        pytest.param(
            TOKEN_D,
            request("GET", "/v2/jobs/my_job/history"),
            datetime(2100, 1, 2, tzinfo=UTC),
            id="expired",
        ),
        pytest.param(
            "CW51AZif_tQcdlmXbMbwPgMe_0X=:" + TOKEN_D.split(":")[1],
            request("GET", "/v2/jobs/my_job/history"),
            NOW,
            id="forged-sign",
        ),
        pytest.param(
            "CW51AZif_tQcdlmXbMbwPgMe_0U=:bm90LWpzb24",
            request("GET", "/v2/jobs/my_job/history"),
            NOW,
            id="forged-description",
        ),
    ],
)
def test_token_mismatch_is_refused(token, req, now) -> None:
    credentials = parse_authorization(f"Pandora {AK}:{token}")

    with pytest.raises(AuthError):
        verify(credentials, SK, req, now, SKEW)


@pytest.mark.parametrize(
    ("offset", "ok"),
    [
        (timedelta(0), True),
        (timedelta(minutes=14, seconds=59), True),
        (-timedelta(minutes=15), True),
        (timedelta(minutes=15, seconds=1), False),
        (-timedelta(minutes=16), False),
    ],
)
def test_date_must_be_within_fifteen_minutes(offset, ok) -> None:
    credentials = parse_authorization(f"Pandora {AK}:fFMotMoN5uU38v6Z5-W8zKAYFlc=")
    req = request("POST", "/v2/datasources/my_ds", content_type=JSON, date=DATE)

    if ok:
        verify(credentials, SK, req, AT_DATE + offset, SKEW)
    else:
        with pytest.raises(AuthError, match="15 minutes"):
            verify(credentials, SK, req, AT_DATE + offset, SKEW)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"content_type": JSON}, id="no-date"),
        pytest.param({"content_type": JSON, "date": "yesterday"}, id="bad-date"),
        pytest.param({"content_type": "text/plain", "date": DATE}, id="other-content-type"),
    ],
)
def test_signature_over_other_headers_is_refused(headers) -> None:
    credentials = parse_authorization(f"Pandora {AK}:fFMotMoN5uU38v6Z5-W8zKAYFlc=")

    with pytest.raises(AuthError):
        verify(credentials, SK, request("POST", "/v2/datasources/my_ds", **headers), AT_DATE, SKEW)


def test_wrong_secret_is_refused() -> None:
    credentials = parse_authorization(f"Pandora {AK}:fFMotMoN5uU38v6Z5-W8zKAYFlc=")

    with pytest.raises(AuthError, match="signature"):
        verify(
            credentials,
            "another-secret",
            request("POST", "/v2/datasources/my_ds", content_type=JSON, date=DATE),
            AT_DATE,
            SKEW,
        )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Pandora ak:sig", Credentials("ak", "sig")),
        ("Pandora ak:sig:tok", Credentials("ak", "sig", "tok")),
    ],
)
def test_authorization_forms(header, expected) -> None:
    assert parse_authorization(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Pandora",
        "Pandora ak",
        "Pandora :sig",
        "Pandora ak:",
        "Pandora a:b:c:d",
        "pandora ak:sig",
        "PandoraAdmin su:ak:sig",
        "Bearer xyz",
        "Qiniu ak:sig",
    ],
)
def test_malformed_authorization_is_refused(header) -> None:
    with pytest.raises(AuthError):
        parse_authorization(header)
