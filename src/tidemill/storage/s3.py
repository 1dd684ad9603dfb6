"""The S3 Buckets: kodo buckets on an S3-compatible endpoint (Kodo, SeaweedFS, MinIO, AWS)."""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO, cast

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)

from tidemill.core.object_keys import check_key
from tidemill.errors import (
    BackendError,
    ConfigError,
    Failure,
    InvalidInputError,
    NotFoundError,
    TidemillError,
)
from tidemill.storage.base import ObjectInfo

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer
    from botocore.response import StreamingBody
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef, ListObjectsV2OutputTypeDef

MiB = 1024 * 1024
MIN_PART = 5 * MiB  # S3's smallest part but the last
DELETE_BATCH = 1000  # S3's most keys in one DeleteObjects request
PART_THREADS = 4  # parts of one multipart upload in flight at once
Part = dict[str, Any]  # {"PartNumber": n, "ETag": "..."}, as CompleteMultipartUpload takes it
_UNREACHABLE = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
)
_MISSING_BUCKET = {"NoSuchBucket"}
_MISSING_KEY = {"NoSuchKey"}
_NOT_FOUND = {"404", "NotFound"}  # HEAD answers carry no body, so no precise code
_DENIED = {
    "403",
    "AccessDenied",
    "Forbidden",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "InvalidToken",
    "ExpiredToken",
    "AuthorizationHeaderMalformed",
}


class S3Store:
    """Buckets and objects on one S3-compatible endpoint, addressed path-style.

    A refused or unreachable endpoint fails within about connect_timeout x max_attempts plus
    a second of retry back-off; a server that accepts but never answers, within
    read_timeout x max_attempts.
    """

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        *,
        connect_timeout: float = 2.0,
        read_timeout: float = 15.0,
        max_attempts: int = 2,
        multipart_threshold: int = 64 * MiB,
    ) -> None:
        self.endpoint = endpoint
        self.access_key = access_key
        self.region = region
        config = Config(
            s3={"addressing_style": "path"},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            # "standard" retries connection errors and 5xx; max_attempts counts the first try.
            retries={"mode": "standard", "max_attempts": max_attempts},
            # Many S3-compatible stores reject or mishandle the newer default CRC checksums.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        try:
            self._client: S3Client = boto3.session.Session().client(
                "s3",
                endpoint_url=endpoint,
                aws_access_key_id=access_key,
                aws_secret_access_key=secret_key,
                region_name=region,
                config=config,
            )
        except (ValueError, BotoCoreError) as exc:
            raise ConfigError(
                Failure.INTERNAL,
                f"Cannot use S3 endpoint {endpoint!r}: {exc}; set TIDEMILL_S3__ENDPOINT to a "
                "URL such as http://127.0.0.1:8333",
                endpoint=endpoint,
            ) from exc
        self.part_bytes = max(multipart_threshold, MIN_PART)
        self._transfer = TransferConfig(
            multipart_threshold=multipart_threshold, multipart_chunksize=self.part_bytes
        )

    def can_use(self, bucket: str) -> bool:
        _check(bucket)
        return True  # the endpoint's own permissions decide

    def bucket_uri(self, bucket: str) -> str:
        _check(bucket)
        return f"s3://{bucket}/"

    def bucket_exists(self, bucket: str) -> bool:
        _check(bucket)
        try:
            self._client.head_bucket(Bucket=bucket)
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND | _MISSING_BUCKET:
                return False
            raise self._translate(exc, "check", bucket, None) from exc
        except BotoCoreError as exc:
            raise self._translate(exc, "check", bucket, None) from exc
        return True

    def create_bucket(self, bucket: str) -> None:
        _check(bucket)
        try:
            if self.region in {"", "us-east-1"}:
                self._client.create_bucket(Bucket=bucket)
            else:
                self._client.create_bucket(
                    Bucket=bucket,
                    CreateBucketConfiguration={"LocationConstraint": self.region},  # type: ignore[typeddict-item]
                )
        except ClientError as exc:
            if _code(exc) == "BucketAlreadyOwnedByYou":
                return
            raise self._translate(exc, "create", bucket, None) from exc
        except BotoCoreError as exc:
            raise self._translate(exc, "create", bucket, None) from exc

    def list(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]:
        _check(bucket)
        objects: list[ObjectInfo] = []
        with self._errors("list", bucket, None, prefix):
            paginator = self._client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                objects.extend(_objects(page))
        # S3 promises UTF-8 byte order, but some compatible servers (SeaweedFS) list in
        # directory-walk order ('a/b' before 'a-b'): sort here so every server agrees.
        objects.sort(key=lambda info: info.key)
        return iter(objects)

    def read(self, bucket: str, key: str) -> bytes:
        with self.open_read(bucket, key) as stream:
            return stream.read()

    def stat(self, bucket: str, key: str) -> ObjectInfo | None:
        """Size and time of the object `key`, None when there is none (or no bucket)."""
        _check(bucket, key)
        try:
            head = self._client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND | _MISSING_KEY | _MISSING_BUCKET:
                return None
            raise self._translate(exc, "check", bucket, key) from exc
        except BotoCoreError as exc:
            raise self._translate(exc, "check", bucket, key) from exc
        return ObjectInfo(key, head["ContentLength"], head["LastModified"].astimezone(UTC))

    def read_range(self, bucket: str, key: str, start: int, length: int | None) -> bytes:
        """Bytes [start, start+length) of the object (to its end when `length` is None)."""
        _check(bucket, key)
        if length == 0:
            if self.stat(bucket, key) is None:
                self.read_range(bucket, key, 0, 1)  # raises the NotFoundError of a GET
            return b""
        end = "" if length is None else str(start + length - 1)
        try:
            with self._errors("read", bucket, key):
                try:
                    got = self._client.get_object(
                        Bucket=bucket, Key=key, Range=f"bytes={start}-{end}"
                    )
                except ClientError as exc:
                    if _code(exc) != "InvalidRange":
                        raise
                    if self.stat(bucket, key) is None:
                        raise
                    return b""  # the range starts past the end
                body = got["Body"]
                try:
                    return body.read()
                finally:
                    body.close()
        except OSError as exc:
            raise self._translate(exc, "read", bucket, key) from exc

    def copy(self, bucket: str, source: str, target: str) -> None:
        """Copy object `source` to `target` in `bucket` (multipart beyond the threshold)."""
        _check_new(bucket, target)
        with self._errors("copy", bucket, source):
            self._client.copy(
                {"Bucket": bucket, "Key": source}, bucket, target, Config=self._transfer
            )

    def open_read(self, bucket: str, key: str) -> BinaryIO:
        _check(bucket, key)
        with self._errors("read", bucket, key):
            body = self._client.get_object(Bucket=bucket, Key=key)["Body"]
        return io.BufferedReader(_Body(self, body, bucket, key), buffer_size=MiB)

    def write(self, bucket: str, key: str, data: bytes) -> None:
        _check_new(bucket, key)
        with self._errors("write", bucket, key):
            self._client.put_object(Bucket=bucket, Key=key, Body=data)

    def upload(self, bucket: str, key: str, source: Path, *, move: bool = False) -> None:
        self._upload(bucket, key, source)
        if move:
            source.unlink(missing_ok=True)

    def _upload(self, bucket: str, key: str, source: Path) -> None:
        _check_new(bucket, key)
        if not source.is_file():
            raise BackendError(
                Failure.INTERNAL,
                f"Cannot upload {source} to bucket {bucket!r} key {key!r}: not a readable file",
                bucket=bucket,
                key=key,
            )
        try:
            self._client.upload_file(str(source), bucket, key, Config=self._transfer)
        except S3UploadFailedError as exc:
            # boto3 re-raises the ClientError behind this wrapper: translate the original.
            inner = exc.__context__
            cause = inner if isinstance(inner, ClientError | BotoCoreError) else exc
            raise self._translate(cause, "upload", bucket, key) from exc
        except (ClientError, BotoCoreError) as exc:
            raise self._translate(exc, "upload", bucket, key) from exc
        except OSError as exc:
            raise _unreadable(source, bucket, key, exc) from exc

    # -- multipart uploads whose parts travel before the object is published -----------------

    def start_upload(self, bucket: str, key: str) -> str:
        """Begin a multipart upload of `key` (CreateMultipartUpload); its upload id. Nothing is
        visible at `key` until `complete_upload`."""
        _check_new(bucket, key)
        with self._errors("upload", bucket, key):
            return self._client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]

    def send_parts(self, bucket: str, key: str, upload_id: str, source: Path) -> tuple[Part, ...]:
        """Upload the local file `source` as the parts of upload `upload_id` (each
        `part_bytes` long but the last, at most PART_THREADS at once); the parts to complete
        it with. BackendError naming bucket and key when the endpoint or the file fails
        (NoSuchUpload when the upload was aborted meanwhile)."""
        step = self.part_bytes
        size = self._size(bucket, key, source)
        starts = list(range(0, max(size, 1), step))

        def send(number: int, start: int) -> Part:
            with source.open("rb") as file:
                file.seek(start)
                body = file.read(step)
            with self._errors("upload", bucket, key):
                answer = self._client.upload_part(
                    Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
                )
            return {"PartNumber": number, "ETag": answer["ETag"]}

        try:
            with ThreadPoolExecutor(min(PART_THREADS, len(starts))) as pool:
                return tuple(pool.map(send, range(1, len(starts) + 1), starts))
        except OSError as exc:
            raise _unreadable(source, bucket, key, exc) from exc

    def copy_parts(self, bucket: str, key: str, upload_id: str, source: str) -> tuple[Part, ...]:
        """Copy object `source` of `bucket` into the parts of upload `upload_id` of `key`,
        server-side (UploadPartCopy, `part_bytes` a part but the last, at most PART_THREADS at
        once); the parts to complete it with. NotFoundError naming `source` when it is
        missing, BackendError when the endpoint fails."""
        _check(bucket, source)
        found = self.stat(bucket, source)
        if found is None:
            raise NotFoundError(
                Failure.DS_VERIFY_NOT_FOUND,
                f"No object {source!r} in bucket {bucket!r} to copy to {key!r}",
                bucket=bucket,
                key=source,
            )
        step = self.part_bytes
        starts = list(range(0, max(found.size, 1), step))

        def send(number: int, start: int) -> Part:
            with self._errors("copy", bucket, source):
                if found.size == 0:  # no byte range to copy: an empty part
                    answer = self._client.upload_part(
                        Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=b""
                    )
                    return {"PartNumber": number, "ETag": answer["ETag"]}
                end = min(found.size, start + step) - 1
                copied = self._client.upload_part_copy(
                    Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number,
                    CopySource={"Bucket": bucket, "Key": source},
                    CopySourceRange=f"bytes={start}-{end}",
                )  # fmt: skip
            return {"PartNumber": number, "ETag": copied["CopyPartResult"]["ETag"]}

        with ThreadPoolExecutor(min(PART_THREADS, len(starts))) as pool:
            return tuple(pool.map(send, range(1, len(starts) + 1), starts))

    def complete_upload(self, bucket: str, key: str, upload_id: str, parts: Sequence[Part]) -> None:
        """Publish upload `upload_id` at `key` whole (CompleteMultipartUpload: one short call)."""
        _check(bucket, key)
        with self._errors("upload", bucket, key):
            self._client.complete_multipart_upload(
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": [cast("CompletedPartTypeDef", p) for p in parts]},
            )

    def abort_upload(self, bucket: str, key: str, upload_id: str) -> None:
        """Drop upload `upload_id` and its parts; one already completed or aborted (or a
        missing bucket) is not an error."""
        _check(bucket, key)
        try:
            self._client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except ClientError as exc:
            if _code(exc) in {"NoSuchUpload", *_NOT_FOUND, *_MISSING_BUCKET}:
                return
            raise self._translate(exc, "abort the upload of", bucket, key) from exc
        except BotoCoreError as exc:
            raise self._translate(exc, "abort the upload of", bucket, key) from exc

    def pending_uploads(self, bucket: str, key: str) -> tuple[str, ...]:
        """The ids of the multipart uploads of exactly `key` begun and neither completed nor
        aborted (ListMultipartUploads)."""
        _check(bucket, key)
        found: tuple[str, ...] = ()
        with self._errors("list the uploads of", bucket, key):
            paginator = self._client.get_paginator("list_multipart_uploads")
            for page in paginator.paginate(Bucket=bucket, Prefix=key):
                found += tuple(u["UploadId"] for u in page.get("Uploads", []) if u["Key"] == key)
        return found

    def _size(self, bucket: str, key: str, source: Path) -> int:
        try:
            return source.stat().st_size
        except OSError as exc:
            raise BackendError(
                Failure.INTERNAL,
                f"Cannot upload {source} to bucket {bucket!r} key {key!r}: not a readable file",
                bucket=bucket,
                key=key,
            ) from exc

    def delete(self, bucket: str, key: str) -> None:
        _check(bucket, key)
        with self._errors("delete", bucket, key):
            self._client.delete_object(Bucket=bucket, Key=key)

    def delete_many(self, bucket: str, keys: Sequence[str]) -> None:
        """Delete `keys` (at most DELETE_BATCH) in one DeleteObjects request; a missing one is
        no error. BackendError naming the bucket and the first key the endpoint refused."""
        if not keys:
            return
        if len(keys) > DELETE_BATCH:
            raise ValueError(f"{len(keys)} keys in one DeleteObjects (at most {DELETE_BATCH})")
        for key in keys:
            _check(bucket, key)
        with self._errors("delete", bucket, keys[0]):
            answer = self._client.delete_objects(
                Bucket=bucket,
                Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True},
            )
        refused = answer.get("Errors") or []
        if refused:
            first = refused[0]
            why = f"{first.get('Code')} {first.get('Message', '')}".rstrip()
            raise BackendError(
                Failure.INTERNAL,
                f"Cannot delete {len(refused)} of {len(keys)} objects of bucket {bucket!r}, e.g. "
                f"key {first.get('Key')!r}: {why}",
                bucket=bucket,
                key=first.get("Key", ""),
            )

    def local_path(self, bucket: str, key: str) -> AbstractContextManager[Path]:
        stream = self.open_read(bucket, key)  # a missing object fails here, not on enter
        return _download(stream, PurePosixPath(key))

    # -- internals ---------------------------------------------------------------------------

    @contextmanager
    def _errors(
        self, action: str, bucket: str, key: str | None, prefix: str | None = None
    ) -> Iterator[None]:
        try:
            yield
        except (ClientError, BotoCoreError) as exc:
            raise self._translate(exc, action, bucket, key, prefix) from exc

    def _translate(
        self,
        exc: Exception,
        action: str,
        bucket: str,
        key: str | None,
        prefix: str | None = None,
    ) -> TidemillError:
        if key is not None:
            where = f"key {key!r} in bucket {bucket!r}"
        elif prefix:
            where = f"prefix {prefix!r} in bucket {bucket!r}"
        else:
            where = f"bucket {bucket!r}"
        details = {"bucket": bucket, "key": key, "endpoint": self.endpoint}
        if isinstance(exc, _UNREACHABLE):
            return BackendError(
                Failure.INTERNAL,
                f"Cannot reach the S3 endpoint {self.endpoint} to {action} {where}: {exc}; "
                "check TIDEMILL_S3__ENDPOINT and that the server is running",
                **details,
            )
        if isinstance(exc, ParamValidationError):
            return InvalidInputError(
                Failure.DS_PATH_ILLEGAL, f"Cannot {action} {where}: {exc}", **details
            )
        if not isinstance(exc, ClientError):
            return BackendError(
                Failure.INTERNAL,
                f"S3 {action} of {where} at {self.endpoint} failed: {exc}",
                **details,
            )
        code = _code(exc)
        message = exc.response.get("Error", {}).get("Message", "")
        if code in _NOT_FOUND and key is not None:
            code = "NoSuchKey" if self._bucket_exists_quietly(bucket) else "NoSuchBucket"
        if code in _MISSING_BUCKET or (code in _NOT_FOUND and key is None):
            return NotFoundError(
                Failure.DS_VERIFY_NOT_FOUND,
                f"Bucket {bucket!r} does not exist at S3 endpoint {self.endpoint}; create the "
                "bucket or correct the bucket name",
                **details,
            )
        if code in _MISSING_KEY and key is not None:
            return NotFoundError(
                Failure.DS_VERIFY_NOT_FOUND,
                f"No object {key!r} in bucket {bucket!r} at {self.endpoint}; check the key "
                "(listing the bucket with its prefix shows what exists)",
                **details,
            )
        if code in _DENIED:
            return BackendError(
                Failure.INTERNAL,
                f"S3 endpoint {self.endpoint} refused to {action} {where} for access key "
                f"{self.access_key!r} ({code}: {message}); check TIDEMILL_S3__ACCESS_KEY, "
                "TIDEMILL_S3__SECRET_KEY and the key's permissions",
                **details,
            )
        if code == "InvalidBucketName":
            return InvalidInputError(
                Failure.DS_PATH_ILLEGAL,
                f"Bucket name {bucket!r} is not valid for S3 ({message}): use 3-63 lowercase "
                "letters, digits, '-' or '.'",
                **details,
            )
        if code == "BucketAlreadyExists":
            return BackendError(
                Failure.INTERNAL,
                f"Bucket {bucket!r} at {self.endpoint} belongs to another account; choose "
                "another bucket name",
                **details,
            )
        return BackendError(
            Failure.INTERNAL,
            f"S3 endpoint {self.endpoint} failed to {action} {where}: {code}: {message}",
            **details,
        )

    def _bucket_exists_quietly(self, bucket: str) -> bool:
        try:
            return self.bucket_exists(bucket)
        except TidemillError:
            return True  # cannot tell: report the object as missing


class _Body(io.RawIOBase):
    """An S3 response body as a raw stream whose failures are Tidemill errors."""

    def __init__(self, store: S3Store, body: StreamingBody, bucket: str, key: str) -> None:
        super().__init__()
        self._store = store
        self._body = body
        self._bucket = bucket
        self._key = key

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        try:
            data = self._body.read(len(view))
        except (BotoCoreError, OSError) as exc:
            raise self._store._translate(exc, "read", self._bucket, self._key) from exc
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


@contextmanager
def _download(stream: BinaryIO, key: PurePosixPath) -> Iterator[Path]:
    # Keep the key's suffixes (.csv.gz): engines detect format and compression from them.
    suffix = "".join(key.suffixes)[-40:]
    path: Path | None = None
    try:
        with (
            stream,
            tempfile.NamedTemporaryFile(prefix="tidemill-s3-", suffix=suffix, delete=False) as out,
        ):
            path = Path(out.name)
            shutil.copyfileobj(stream, out, MiB)
        yield path
    finally:
        if path is not None:
            path.unlink(missing_ok=True)


def _objects(page: ListObjectsV2OutputTypeDef) -> Iterator[ObjectInfo]:
    for item in page.get("Contents", []):
        key = item["Key"]
        if key.endswith("/"):  # a console's "folder" marker, not data
            continue
        modified = item["LastModified"].astimezone(UTC)
        yield ObjectInfo(key=key, size=item["Size"], modified=modified)


def _check(bucket: str, key: str | None = None) -> None:
    if not bucket or (key is not None and not key):
        raise InvalidInputError(
            Failure.DS_PATH_ILLEGAL,
            f"Bucket name and key must not be empty (bucket {bucket!r}, key {key!r})",
            bucket=bucket,
            key=key,
        )


def _check_new(bucket: str, key: str) -> None:
    """A key written here must be one every backend could hold (core.object_keys); keys that
    exist already are read and deleted whatever they look like."""
    _check(bucket, key)
    check_key(bucket, key)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _unreadable(source: Path, bucket: str, key: str, exc: OSError) -> BackendError:
    """The error of an upload whose local file `source` failed to read."""
    return BackendError(
        Failure.INTERNAL,
        f"Cannot upload {source} to bucket {bucket!r} key {key!r}: {exc}",
        bucket=bucket,
        key=key,
    )
