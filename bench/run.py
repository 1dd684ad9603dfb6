"""`make bench`: Tidemill's performance figures, measured in one run on this machine.

API: `GET /v2/jobs/<name>` throughput and latency, signed requests from the Go load generator
(bench/loadgen) over loopback against `tidemill serve` on embedded defaults (SQLite).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
GOALS = {"rps": 2000.0, "p99_ms": 25.0}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def signed(
    method: str, path: str, ak: str, sk: str, body: dict[str, object] | None, url: str
) -> None:
    from email.utils import formatdate

    from tidemill.core.signing import SignedRequest, candidates, sign

    headers = {"Date": formatdate(usegmt=True)}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    request = SignedRequest(method, path, [], {k.lower(): v for k, v in headers.items()})
    headers["Authorization"] = f"Pandora {ak}:{sign(sk, candidates(request)[0])}"
    with urllib.request.urlopen(
        urllib.request.Request(url + path, data, headers, method=method)
    ) as r:
        assert r.status == 200, r.read()


def wait_until_up(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/v2/jobs", timeout=1)
        except urllib.error.HTTPError:
            return  # 401: it answers
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not come up")


def build_loadgen(work: Path) -> Path:
    binary = work / "loadgen"
    subprocess.run(["go", "build", "-o", str(binary), "."], cwd=ROOT / "bench/loadgen", check=True)
    return binary


def api_throughput(work: Path, connections: int, seconds: int) -> dict[str, float]:
    data = work / "data"
    keys = json.loads(
        subprocess.run(
            [
                str(VENV_BIN / "tidemill"),
                "keys",
                "create",
                "--account",
                "bench",
                "--data-dir",
                str(data),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    ak, sk = keys["accessKey"], keys["secretKey"]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(VENV_BIN / "tidemill"), "serve", "--data-dir", str(data), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(url, time.monotonic() + 30)
        signed(
            "POST",
            "/v2/datasources/logs",
            ak,
            sk,
            {
                "region": "nb",
                "type": "kodo",
                "noVerifySchema": True,
                "spec": {"bucket": "bench-logs", "keyPrefixes": ["cdn/"], "fileType": "json"},
                "schema": [
                    {"key": "url", "valtype": "string"},
                    {"key": "bytes", "valtype": "long"},
                ],
            },
            url,
        )
        signed(
            "POST",
            "/v2/jobs/traffic",
            ak,
            sk,
            {
                "srcs": [
                    {"name": "logs", "type": "DataSource", "tableName": "logs", "fileFilter": ""}
                ],
                "computation": {
                    "type": "sql",
                    "code": "select url, sum(bytes) as total from logs group by url",
                },
                "container": {"type": "1U2G", "count": 1},
                "scheduler": {"type": "crontab", "spec": {"crontab": "0 0 0/1 * *"}},
            },
            url,
        )
        loadgen = build_loadgen(work)
        result = subprocess.run(
            [
                str(loadgen),
                "-url",
                url,
                "-ak",
                ak,
                "-sk",
                sk,
                "-path",
                "/v2/jobs/traffic",
                "-c",
                str(connections),
                "-d",
                f"{seconds}s",
                "-warmup",
                "2s",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        figures: dict[str, float] = json.loads(result.stdout)
        return figures
    finally:
        server.terminate()
        server.wait(timeout=10)


def verdict(value: float, goal: float, higher_is_better: bool) -> str:
    met = value >= goal if higher_is_better else value <= goal
    return "met" if met else "NOT met"


def main() -> None:
    connections = int(os.environ.get("BENCH_CONNECTIONS", "16"))
    seconds = int(os.environ.get("BENCH_SECONDS", "10"))
    work = Path(tempfile.mkdtemp(prefix="tidemill-bench-"))
    try:
        api = api_throughput(work, connections, seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"API GET /v2/jobs/<name>  ({connections} connections, {seconds} s, loopback, 2 cores)")
    print(
        f"  throughput : {api['rps']:8.0f} req/s   goal >= {GOALS['rps']:.0f}   "
        f"{verdict(api['rps'], GOALS['rps'], True)}"
    )
    print(
        f"  latency    : p50 {api['p50_ms']:.1f} ms  p90 {api['p90_ms']:.1f} ms  "
        f"p99 {api['p99_ms']:.1f} ms   goal p99 <= {GOALS['p99_ms']:.0f} ms   "
        f"{verdict(api['p99_ms'], GOALS['p99_ms'], False)}"
    )
    print(f"  requests   : {api['requests']:.0f} ({api['errors']:.0f} errors)")
    print(json.dumps({"api_get_job": api}))


if __name__ == "__main__":
    main()
