"""How a file export lays out its objects (spec §8.2, §8.8, §8.9, D-21). Pure: no I/O.

The writer asks this module what to call things; it decides nothing itself. Every value comes
from a spec that `core.export_files` already validated, with the defaults applied here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tidemill.core.export_files import (
    DEFAULT_COMPRESSION,
    DEFAULT_FORMAT,
    DEFAULT_SAVE_MODE,
    PATH_VARIABLES,
)
from tidemill.core.timefmt import format_time
from tidemill.core.variables import PLACEHOLDER, SYSTEM_VARIABLES

FORMAT_EXTENSIONS: Mapping[str, str] = {
    "json": ".json",
    "csv": ".csv",
    "text": ".txt",
    "orc": ".orc",
    "parquet": ".parquet",
}
# §8.8: row formats get the codec's extension; orc and parquet compress inside the file.
CODEC_EXTENSIONS: Mapping[str, str] = {
    "none": "",
    "bzip2": ".bz2",
    "gzip": ".gz",
    "lz4": ".lz4",
    "snappy": ".snappy",
    "deflate": ".deflate",
}
COLUMNAR_FORMATS = ("orc", "parquet")
# §8.2: appended to a keyPrefix without magic variables, in the configured zone.
TIMESTAMP_PATTERN = "yyyy-MM-dd-HH-mm-ss"
PART_DIGITS = 5
# A part file of this export, under the target, possibly inside Hive partition directories.
_PART_KEY = re.compile(r"(?:[^/]+=[^/]*/)*part-\d{5}(?:-[0-9a-f]{8})?(?:\.[a-z0-9]+)*")
_DELIMITER_ESCAPES = {"\\t": "\t", "\\\\": "\\"}


@dataclass(frozen=True, slots=True)
class FileLayout:
    """A kodo/hdfs export spec with its defaults applied (§8.2, §8.3)."""

    format: str
    compression: str
    delimiter: str
    header: bool
    partition_by: tuple[str, ...]
    file_count: int
    save_mode: str
    retention_days: int

    @property
    def extension(self) -> str:
        """`.json.gz`, `.txt`, `.parquet` ...: the format's, then the codec's for row formats."""
        if self.format in COLUMNAR_FORMATS:
            return FORMAT_EXTENSIONS[self.format]
        return FORMAT_EXTENSIONS[self.format] + CODEC_EXTENSIONS[self.compression]


def file_layout(spec: Mapping[str, Any]) -> FileLayout:
    """The layout of a validated kodo or hdfs spec, defaults applied (D-9: stored as sent)."""
    delimiter = str(spec.get("delimiter") or ",")
    return FileLayout(
        format=str(spec.get("format") or DEFAULT_FORMAT).lower(),
        compression=str(spec.get("compression") or DEFAULT_COMPRESSION).lower(),
        delimiter=_DELIMITER_ESCAPES.get(delimiter, delimiter),
        header=bool(spec.get("containsHeader", False)),
        partition_by=tuple(spec.get("partitionBy") or ()),
        file_count=int(spec["fileCount"]),
        save_mode=str(spec.get("saveMode") or DEFAULT_SAVE_MODE),
        retention_days=int(spec.get("retention") or 0),
    )


@dataclass(frozen=True, slots=True)
class Target:
    """Where one export run writes.

    `single_key` is the whole object key when the export is one file named by keyPrefix
    (D-21, manual jobs); otherwise `directory` is the prefix that holds the part files
    (empty for the bucket root, else ending in '/').
    """

    single_key: str | None
    directory: str

    def part_key(self, partition: str, index: int, extension: str, unique: str = "") -> str:
        """`<directory><partition>part-00003[-unique]<extension>`; `partition` ends in '/'."""
        if self.single_key is not None:
            return self.single_key
        suffix = f"-{unique}" if unique else ""
        return f"{self.directory}{partition}part-{index:0{PART_DIGITS}d}{suffix}{extension}"

    def owns(self, key: str) -> bool:
        """Whether `key` is a file of this export's target (what saveMode looks at, §8.9).

        Only part files (and the single key) count: other objects under the same prefix are
        the user's and are never overwritten, deleted or taken as "already exists".
        """
        if self.single_key is not None:
            return key == self.single_key
        return key.startswith(self.directory) and bool(
            _PART_KEY.fullmatch(key[len(self.directory) :])
        )


def render_location(template: str, upload_time: datetime) -> str:
    """A keyPrefix or hdfs path with `$(year)` ... `$(sec)` replaced by the upload time (§3.4)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PATH_VARIABLES:  # validation refused these; keep the text if stored
            return match.group(0)
        return format_time(upload_time, SYSTEM_VARIABLES[name])

    return PLACEHOLDER.sub(value, template)


def kodo_target(
    key_prefix: str, upload_time: datetime, *, manual: bool, layout: FileLayout
) -> Target:
    """Object naming of a kodo export (§8.2, D-21).

    * No magic variable in keyPrefix and a scheduled job: the upload time is appended as
      `yyyy-MM-dd-HH-mm-ss` (the timestamp rule); with variables, or for a manual job, not.
    * A manual job with `fileCount == 1` and no `partitionBy`: keyPrefix is the file name. An
      empty keyPrefix, or one ending in '/', names a directory instead, since an object key
      cannot be empty or end in '/'.
    * Otherwise: part files `part-NNNNN<ext>` under `<rendered prefix>[timestamp]/`.

    `upload_time` must already be in the configured zone.
    """
    rendered = render_location(key_prefix, upload_time)
    if not manual and not PLACEHOLDER.search(key_prefix):
        rendered += format_time(upload_time, TIMESTAMP_PATTERN)
    one_file = layout.file_count == 1 and not layout.partition_by
    if manual and one_file and rendered and not rendered.endswith("/"):
        return Target(single_key=rendered, directory="")
    return Target(single_key=None, directory=_as_directory(rendered))


def hdfs_target(path: str, upload_time: datetime) -> tuple[str, Target]:
    """(namenode URL, target) of an hdfs export: part files under the rendered path (§8.3)."""
    rendered = render_location(path, upload_time)
    scheme_end = rendered.index("://") + 3
    slash = rendered.find("/", scheme_end)
    if slash < 0:
        return rendered, Target(None, "")
    return rendered[:slash], Target(None, _as_directory(rendered[slash + 1 :]))


def _as_directory(prefix: str) -> str:
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def partition_path(values: Mapping[str, str]) -> str:
    """`col=value/...` for Hive-style partition directories, in `partitionBy` order."""
    return "".join(f"{name}={value}/" for name, value in values.items())
