"""A strict stand-in for the Fusion log-list API, serving log files from a local directory.

Files are `<root>/<domain>/<name>` with names as Fusion gives them
(`<domain>_<yyyy-MM-dd-HH>_part-<n>.gz`). It answers only:

* `POST /v2/tune/log/list` with a JSON object of exactly `{"day": "yyyy-MM-dd", "domains":
  "a.com;b.com"}` → `{"code": 200, "data": {"a.com": [{"name", "size", "mtime", "url"}]}}`
  (the files of each domain whose name holds that day);
* `GET`/`HEAD /files/<domain>/<name>` → the file's bytes.

Anything else (another path or method, a body of another shape, a bad day) is refused with
400/404/405, and recorded in `refused` so a test can assert nothing odd was asked.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        return

    def _refuse(self, status: int, why: str) -> None:
        self.server.refused.append(f"{self.command} {self.path}: {why}")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        body = json.dumps({"code": status, "error": why}).encode()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        if self.path != "/v2/tune/log/list":
            return self._refuse(404, "no such endpoint")
        if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
            return self._refuse(400, "Content-Type must be application/json")
        length = int(self.headers.get("Content-Length", "0"))
        try:
            body = json.loads(self.rfile.read(length))
        except json.JSONDecodeError:
            return self._refuse(400, "not JSON")
        if not isinstance(body, dict) or set(body) != {"day", "domains"}:
            return self._refuse(400, "the body must be exactly {day, domains}")
        day, domains = body["day"], body["domains"]
        if not isinstance(day, str) or not DAY.fullmatch(day):
            return self._refuse(400, "day must be yyyy-MM-dd")
        if not isinstance(domains, str) or not domains:
            return self._refuse(400, "domains must be a non-empty string")
        self.server.asked.append((day, domains))
        data = {}
        for domain in domains.split(";"):
            folder = self.server.root / domain
            files = sorted(folder.iterdir()) if folder.is_dir() else []
            data[domain] = [
                {
                    "name": f.name,
                    "size": f.stat().st_size,
                    "mtime": int(f.stat().st_mtime),
                    "url": f"{self.server.base}/files/{quote(domain)}/{quote(f.name)}",
                }
                for f in files
                if f"_{day}-" in f.name
            ]
        out = json.dumps({"code": 200, "data": data}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
        return None

    def _file(self) -> Path | None:
        parts = self.path.split("/")
        if len(parts) != 4 or parts[1] != "files" or "?" in self.path:
            return None
        domain, name = unquote(parts[2]), unquote(parts[3])
        if "/" in domain + name or domain.startswith(".") or name.startswith("."):
            return None
        path = self.server.root / domain / name
        return path if path.is_file() else None

    def do_GET(self) -> None:
        self._send_file(with_body=True)

    def do_HEAD(self) -> None:
        self._send_file(with_body=False)

    def _send_file(self, *, with_body: bool) -> None:
        path = self._file()
        if path is None:
            return self._refuse(404, "no such file")
        data = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if with_body:
            self.wfile.write(data)
        return None

    def do_PUT(self) -> None:
        self._refuse(405, "method not allowed")

    do_DELETE = do_PUT


class _Server(ThreadingHTTPServer):
    root: Path
    base: str
    refused: list[str]
    asked: list[tuple[str, str]]


@contextmanager
def log_list_api(root: Path) -> Iterator[_Server]:
    """The stand-in, on a free loopback port, serving `root`; `server.base` is its URL."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.root = root
    server.base = f"http://127.0.0.1:{server.server_address[1]}"
    server.refused = []
    server.asked = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def api_name(path: str) -> tuple[str, str]:
    """(domain, Fusion file name) for a corpus path `<domain>/<yyyy-MM-dd>/<HH>/<name>`."""
    domain, day, hour, name = path.split("/")
    return domain, f"{domain}_{day}-{hour}_{name}"
