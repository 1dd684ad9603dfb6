"""/metrics stays bounded whatever unsigned clients send: request methods the API does not know
(any token is a valid HTTP method to uvicorn's h11 parser) are one `other` label value, so
nobody can grow the registry (and every scrape) one series per made-up method."""

from __future__ import annotations

import re

from tests.support import Client


def test_made_up_methods_do_not_become_label_values(client: Client) -> None:
    for i in range(40):
        client.http.request(f"BOGUS{i}", "/v2/jobs")
    client.get("/v2/jobs")

    text = client.http.get("/metrics").text
    methods = set(
        re.findall(r'tidemill_http_request_duration_seconds_count\{[^}]*method="([^"]*)"', text)
    )

    assert "BOGUS0" not in text, methods
    assert "GET" in methods and "other" in methods, methods
