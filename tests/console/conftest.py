"""One real `tidemill serve` and one headless Chromium for the console tests (issue 15).

Chromium is Debian's (`scripts/install-services.sh` installs it); Playwright drives it through
`executable_path`, since `playwright install` cannot download a browser here. Without either,
the console tests are skipped with the reason.
"""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.served import Served

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
SHOTS = Path(__file__).parent / "screenshots"  # gitignored: look at them after a run


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("console")
    logs = root / "data" / "kodo" / "default" / "bkt1" / "cdn"
    logs.mkdir(parents=True)
    (logs / "2026-11-29.json").write_text(
        '{"url": "/a", "bytes": 10}\n{"url": "/b", "bytes": 5}\n{"url": "/a", "bytes": 7}\n'
    )
    (logs / "2026-11-30.json").write_text('{"url": "/c", "bytes": 1}\n')
    served = Served(root / "data")
    # The server starts (tens of seconds on a loaded machine) while Chromium launches:
    # `started` waits for it.
    with ThreadPoolExecutor(1) as pool:
        starting = pool.submit(served.start, 120)
        try:
            yield served
        finally:
            starting.result()
            served.stop()


def started(served: Served) -> Served:
    """`served` once it listens (console_server starts it in the background)."""
    deadline = time.monotonic() + 120
    while True:
        try:
            with socket.create_connection(("127.0.0.1", served.port), timeout=0.2):
                return served
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("tidemill serve did not listen within 120 s") from None
            time.sleep(0.05)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = chromium_path()
    if executable is None:
        pytest.skip("no chromium on PATH: run scripts/install-services.sh")
    SHOTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """On a failed console test, a screenshot of the page it left (tests/console/screenshots)."""
    report = yield
    if report.when == "call" and report.failed:
        page = getattr(item, "funcargs", {}).get("page")
        if page is not None:
            try:
                page.screenshot(path=str(SHOTS / f"FAILED-{item.name}.png"), full_page=True)
            except Exception as exc:  # the browser may be what failed
                report.sections.append(("screenshot", f"none: {exc}"))
    return report
