"""`AsyncClient`: the asyncio client over httpx, with the same calls as `Client`."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx

from tidemill.client import _calls as c
from tidemill.client import models as m
from tidemill.client._wire import answer, check_endpoint, signed_headers
from tidemill.client.errors import TransportError, WaitTimeout, missing_batch

P = ParamSpec("P")
T = TypeVar("T")


def _sends(make: Callable[P, c.Call[T]]) -> Callable[Concatenate[AsyncClient, P], Awaitable[T]]:
    async def method(self: AsyncClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self.send(make(*args, **kwargs))

    method.__name__ = make.__name__
    method.__doc__ = make.__doc__
    shown = inspect.signature(make)  # for help(): the builder's parameters after self
    self_parameter = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
    method.__signature__ = shown.replace(  # type: ignore[attr-defined]
        parameters=[self_parameter, *shown.parameters.values()],
        return_annotation=inspect.Signature.empty,
    )
    return method


class AsyncClient:
    """`Client` for asyncio: every call is awaited; `iter_history` is an async iterator."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        *,
        timeout: float = 30.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.endpoint = check_endpoint(endpoint)
        self._access_key = access_key
        self._secret_key = secret_key
        self._http = http or httpx.AsyncClient(timeout=timeout)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def send(self, call: c.Call[T]) -> T:
        """Sign and send one call; its parsed answer."""
        headers, content = signed_headers(self._access_key, self._secret_key, call)
        try:
            response = await self._http.request(
                call.method,
                self.endpoint + call.path,
                params=list(call.query),
                headers=headers,
                content=content,
            )
        except httpx.HTTPError as exc:
            raise TransportError(f"{call.method} {self.endpoint}{call.path}: {exc}") from exc
        reqid = response.headers.get("X-Reqid", "")
        return answer(call, response.status_code, response.content, reqid)

    list_datasources = _sends(c.list_datasources)
    get_datasource = _sends(c.get_datasource)
    datasource_exists = _sends(c.datasource_exists)
    create_datasource = _sends(c.create_datasource)
    update_datasource = _sends(c.update_datasource)
    delete_datasource = _sends(c.delete_datasource)
    infer_schema = _sends(c.infer_schema)

    list_jobs = _sends(c.list_jobs)
    get_job = _sends(c.get_job)
    job_exists = _sends(c.job_exists)
    create_job = _sends(c.create_job)
    update_job = _sends(c.update_job)
    delete_job = _sends(c.delete_job)
    start_job = _sends(c.start_job)
    stop_job = _sends(c.stop_job)

    history = _sends(c.history)
    stop_batch = _sends(c.stop_batch)
    rerun_batch = _sends(c.rerun_batch)
    result = _sends(c.result)
    batch_log = _sends(c.batch_log)
    render_job = _sends(c.render_job)
    backfill_job = _sends(c.backfill_job)
    get_backfill = _sends(c.get_backfill)
    cancel_backfill = _sends(c.cancel_backfill)

    list_exports = _sends(c.list_exports)
    get_export = _sends(c.get_export)
    export_exists = _sends(c.export_exists)
    create_export = _sends(c.create_export)
    update_export = _sends(c.update_export)
    delete_export = _sends(c.delete_export)

    list_variables = _sends(c.list_variables)
    get_variable = _sends(c.get_variable)
    create_variable = _sends(c.create_variable)
    update_variable = _sends(c.update_variable)
    delete_variable = _sends(c.delete_variable)

    list_workflows = _sends(c.list_workflows)
    get_workflow = _sends(c.get_workflow)
    create_workflow = _sends(c.create_workflow)
    update_workflow = _sends(c.update_workflow)
    delete_workflow = _sends(c.delete_workflow)
    workflow_status = _sends(c.workflow_status)
    start_workflow = _sends(c.start_workflow)
    stop_workflow = _sends(c.stop_workflow)

    async def iter_history(
        self, job: str, *, page_size: int = 100, **filters: Any
    ) -> AsyncIterator[m.Batch]:
        """Every batch of `job`, page after page (`filters`: sort_by, status, run_id)."""
        page = 1
        while True:
            found = await self.history(job, page=page, size=page_size, **filters)
            for batch in found.history:
                yield batch
            if not found.history or page * page_size >= found.total:
                return
            page += 1

    async def batch(self, job: str, run_id: int) -> m.Batch | None:
        """Batch `run_id` of `job` (`-1`: the latest), or None when there is none."""
        found = (await self.history(job, run_id=run_id)).history
        return found[0] if found else None

    async def watch(
        self, job: str, run_id: int, *, interval: float = 0.5
    ) -> AsyncIterator[m.Batch]:
        """The batch's state every `interval` seconds, ending with its first terminal state."""
        while True:
            batch = await self.batch(job, run_id)
            if batch is None:
                raise missing_batch(job, run_id)
            yield batch
            if batch.ended:
                return
            await asyncio.sleep(interval)

    async def wait(
        self, job: str, run_id: int, *, timeout: float = 600.0, interval: float = 0.5
    ) -> m.Batch:
        """The batch once Successful, Failed or Canceled; WaitTimeout after `timeout` s."""
        deadline = time.monotonic() + timeout
        last: m.Batch | None = None
        async for last in self.watch(job, run_id, interval=interval):
            if last.ended:
                return last
            if time.monotonic() > deadline:
                break
        raise WaitTimeout(f"batch {run_id} of job {job!r} did not end within {timeout} s", last)

    async def start_and_wait(
        self, job: str, params: Mapping[str, str] | None = None, *, timeout: float = 600.0
    ) -> m.Batch:
        """Start a manual job and wait for the batch the start made."""
        before = await self.batch(job, -1)
        await self.start_job(job, params)
        run_id = await self.await_new_batch(job, before.run_id if before else 0, timeout=timeout)
        return await self.wait(job, run_id, timeout=timeout)

    async def await_new_batch(
        self, job: str, after: int, *, timeout: float = 600.0, interval: float = 0.2
    ) -> int:
        """The runId of the first batch of `job` numbered above `after` (WaitTimeout if none)."""
        deadline = time.monotonic() + timeout
        while True:
            latest = await self.batch(job, -1)
            if latest is not None and latest.run_id > after:
                return latest.run_id
            if time.monotonic() > deadline:
                raise WaitTimeout(f"job {job!r} made no batch within {timeout} s", latest)
            await asyncio.sleep(interval)
