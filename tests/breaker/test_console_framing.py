"""The console's page (with its Stop, Rerun and Delete buttons) cannot be framed by another
site (clickjacking), and its files are not sniffed as another type."""

from __future__ import annotations

from tests.support import Client


def test_the_console_refuses_to_be_framed(client: Client) -> None:
    for path in ("/console", "/console/index.html", "/console/app.js"):
        found = client.http.get(path)

        assert found.status_code == 200, (path, found.text[:200])
        assert found.headers.get("X-Frame-Options") == "DENY", (path, found.headers)
        assert "frame-ancestors 'none'" in found.headers.get("Content-Security-Policy", ""), path
        assert found.headers.get("X-Content-Type-Options") == "nosniff", path
