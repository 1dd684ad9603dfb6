"""Bounded calls into hdfs-native, and its errors translated into ours (for storage.hdfs).

hdfs-native's calls cannot be bounded by its own settings: against a refused port it retries for
minutes, and against a namenode that accepts but never answers it waits for ever (measured;
docs/decisions.md, "HDFS storage"). So every call is a coroutine of its `AsyncClient`, run on a
private event loop thread under `asyncio.wait_for`: at the deadline the call is cancelled (the
Rust future is dropped) and the caller gets a BackendError. Callers stay synchronous.

hdfs-native's coroutines are polled on the loop's thread itself (pyo3 `async fn`), so a poll that
blocks would keep the loop's timers from firing: the caller therefore waits at most the call's
timeout plus a grace, then gives that loop up (its thread is left to finish or not) and the next
call gets a new one.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from tidemill.errors import BackendError, Failure, NotFoundError, TidemillError

__all__ = ["CALLS", "CallLoop", "DeadlineExceeded", "reason", "translate"]

T = TypeVar("T")

# Hadoop's RPC errors reach Python as RuntimeError('RPCError("<java class>", "<message>...")'),
# the message followed by the server's Java stack trace.
_RPC_ERROR = re.compile(r'RPCError\("(?P<cls>[\w.$]+)", "(?P<msg>.*)', re.DOTALL)
_UNREACHABLE = ("refused", "unreachable", "reset by peer", "broken pipe", "timed out", "no route")


# Loops a forked child inherited without their threads (CallLoop._get), and loops given up as
# stuck (CallLoop.run): kept, never closed (closing a running loop is refused).
_INHERITED: list[asyncio.AbstractEventLoop] = []


class DeadlineExceeded(TimeoutError):
    """A storage call's overall deadline (`seconds`, TIDEMILL_HDFS__DEADLINE) passed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no answer within the call's deadline of {seconds:g} s")
        self.seconds = seconds


class CallLoop:
    """An event loop in a daemon thread (one per process: a forked child makes its own),
    running calls with a deadline. `grace`: seconds a caller waits past a call's timeout for a
    loop whose thread is blocked before giving it up."""

    def __init__(self, *, grace: float = 5.0) -> None:
        self.grace = grace
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def run(self, call: Coroutine[Any, Any, T], timeout: float) -> T:
        """The result of `call`, or TimeoutError after `timeout` seconds (the call cancelled;
        at most `timeout + grace` when the loop's thread is blocked). Exceptions of the call
        propagate unchanged."""
        loop = self._get()
        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(call, timeout), loop)
        try:
            return future.result(timeout + self.grace)
        except TimeoutError:
            if not future.done():  # the loop's own timer could not fire: its thread is stuck
                future.cancel()
                self._give_up(loop)
            raise

    def _give_up(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            if self._loop is loop:
                _INHERITED.append(loop)
                self._loop = None

    def _get(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():  # none yet, or a forked child's
                if self._loop is not None:
                    _INHERITED.append(self._loop)  # its thread is gone; closing it is no use
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="tidemill-hdfs", daemon=True).start()
                self._loop, self._pid = loop, os.getpid()
            return self._loop


def translate(exc: BaseException, action: str, uri: str, namenode: str) -> TidemillError:
    """Our error for a failure of hdfs-native while doing `action` ("read", "list"...) on `uri`.

    Missing file or directory: NotFoundError(DS_VERIFY_NOT_FOUND). Anything else, including a
    namenode that cannot be reached and a call past its deadline: BackendError(INTERNAL). The
    message names the URI and gives the first line of the cause (never a Java stack trace).
    """
    if isinstance(exc, DeadlineExceeded):
        return BackendError(
            Failure.INTERNAL,
            f"HDFS {action} of {uri} did not finish within its deadline of {exc.seconds:g} s "
            f"(TIDEMILL_HDFS__DEADLINE; {namenode} answered too slowly or not at all); check "
            "that HDFS is running and not overloaded, or raise the deadline for larger files",
            uri=uri,
        )
    if isinstance(exc, TimeoutError):  # before OSError: TimeoutError is one
        return BackendError(
            Failure.INTERNAL,
            f"HDFS {action} of {uri} got no answer from {namenode} in time "
            "(TIDEMILL_HDFS__OPERATION_TIMEOUT); check that HDFS is running and not overloaded",
            uri=uri,
        )
    why = reason(exc)
    if isinstance(exc, FileNotFoundError):
        path = "/" + uri.split("://", 1)[-1].partition("/")[2]
        plain = why in (path, f"File does not exist: {path}")  # nothing the URI does not say
        said = "" if plain else f" ({why})"
        return NotFoundError(Failure.DS_VERIFY_NOT_FOUND, f"No file {uri}{said}", uri=uri)
    if isinstance(exc, OSError) and any(word in why.lower() for word in _UNREACHABLE):
        return BackendError(
            Failure.INTERNAL,
            f"Cannot reach the HDFS namenode {namenode} to {action} {uri}: {why}; check the "
            "URI's host and port and that HDFS is running",
            uri=uri,
        )
    return BackendError(Failure.INTERNAL, f"HDFS {action} of {uri} failed: {why}", uri=uri)


def reason(exc: BaseException) -> str:
    """The first line of an hdfs-native error (the Java class's short name first for RPC errors)."""
    text = str(exc)
    found = _RPC_ERROR.search(text)
    if found:
        message = found["msg"]
        message = message[:-2] if message.endswith('")') else message  # the Debug form's end
        text = f"{found['cls'].rsplit('.', 1)[-1]}: {message}"
    # The first line only: Java traces follow as real or escaped ("\\n\\tat ...") line breaks.
    first = re.split(r"\n|\\n", text, maxsplit=1)[0].strip()
    if not first:
        first = type(exc).__name__
    return first if len(first) <= 300 else first[:297] + "..."


CALLS = CallLoop()  # the one every HdfsFiles of this process uses
