"""The Source contract: which files a datasource gives a batch (spec §4).

A source turns a datasource (its type, spec and schema), the job src's `fileFilter` and the
batch's moment into the list of input files the batch reads. The planner selects inputs only
this way and records the list in the batch plan (`core.plans.TablePlan.files`); the engine
then reads exactly those files, by URI. Schema inference and create-time verification sample
the same list. `kodo` and `hdfs` are registered (`sources.registry`); `fusion` plugs in beside
them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from tidemill.core.models import AccountScope, Datasource
from tidemill.core.plans import InputFile
from tidemill.core.variables import UserVariable, fill

__all__ = ["InputFile", "Moment", "Source"]


@dataclass(frozen=True, slots=True)
class Moment:
    """The time a batch reads at and the variables its paths may name (spec §3.4, §3.5).

    `time` is the batch time (aware, in the installation's zone; for schema inference, now).
    `user` are the account's variables, `runtime` the values given at start and `params` the
    job's params with those values applied: `render` resolves `$(name)` in that order (§3.4),
    the system variables last. A source that needs a time rather than text (a fusion range)
    evaluates `user` time variables at `time` itself.
    """

    time: datetime
    user: Mapping[str, UserVariable] = field(default_factory=dict)
    runtime: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)

    def render(self, text: str) -> str:
        """`text` with its magic variables put in. JOB_SQL_UNDEF_VAR for an unknown name."""
        return fill(
            text, moment=self.time, user=self.user, runtime=self.runtime, params=self.params
        )


class Source(Protocol):
    """One datasource type's way to its files. Implementations are thread-safe."""

    type: str  # the datasource type it serves (spec §4.1): "kodo", "hdfs", "fusion"

    def list(
        self, datasource: Datasource, file_filter: str, moment: Moment, scope: AccountScope
    ) -> list[InputFile]:
        """The files `datasource` gives a batch at `moment`, in URI order, each once.

        `file_filter` is the job src's fileFilter as written (spec §6.2, "" for none); the
        source renders it, and every path of the spec, through `moment`. Files are read only
        from what `scope` (the account) may use. `InputFile.format` is the spec's fileType in
        lower case; `compression` what the file's name says (core.compression). An empty
        selection is an empty list, not an error: the caller decides (a batch reads no rows,
        inference answers DS_VERIFY_NO_FILES).

        Raises InvalidInputError(DS_VERIFY_NOT_FOUND) naming the place when the storage the
        spec names does not exist for this account (a kodo bucket missing or not granted),
        DS_SPEC_INVALID for a spec it cannot read, JOB_SQL_UNDEF_VAR for an unknown variable;
        BackendError when the storage fails.
        """
        ...
