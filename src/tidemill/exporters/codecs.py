"""Stream codecs of the row formats (json, csv, text) that DuckDB cannot write itself (§8.8).

The files are the ones Hadoop (and so Spark, which Pandora ran on) writes and reads:

* `bzip2` (`.bz2`) and `gzip` (`.gz`): the standard streams.
* `deflate` (`.deflate`): a zlib stream (Hadoop's DefaultCodec/DeflateCodec).
* `snappy` (`.snappy`) and `lz4` (`.lz4`): Hadoop's block format (BlockCompressorStream): for
  each block of at most 256 KiB, its uncompressed length (4 bytes, big-endian), then one chunk:
  its compressed length (4 bytes, big-endian) and the raw snappy / LZ4 block.
"""

from __future__ import annotations

import bz2
import gzip
import shutil
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

HADOOP_BLOCK = 256 * 1024
_RAW = {"snappy": "snappy", "lz4": "lz4_raw"}
_COPY_CHUNK = 1024 * 1024


def compress_file(source: Path, target: Path, codec: str) -> None:
    """Write `source` compressed with `codec` to `target`."""
    with source.open("rb") as src, target.open("wb") as out:
        if codec in _RAW:
            _hadoop_blocks(src.read, out.write, _RAW[codec])
        elif codec == "bzip2":
            with bz2.BZ2File(out, "wb", compresslevel=6) as packed:
                shutil.copyfileobj(src, packed, _COPY_CHUNK)
        elif codec == "gzip":
            with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6, mtime=0) as packed:
                shutil.copyfileobj(src, packed, _COPY_CHUNK)
        elif codec == "deflate":
            packer = zlib.compressobj(6)
            while chunk := src.read(_COPY_CHUNK):
                out.write(packer.compress(chunk))
            out.write(packer.flush())
        else:
            raise ValueError(f"no stream codec {codec!r}")


def _hadoop_blocks(
    read: Callable[[int], bytes], write: Callable[[bytes], object], raw: str
) -> None:
    while block := read(HADOOP_BLOCK):
        packed = pa.compress(block, codec=raw, asbytes=True)
        write(struct.pack(">II", len(block), len(packed)))
        write(packed)


def decompress(data: bytes, codec: str) -> bytes:
    """The inverse of `compress_file`, for readers and tests."""
    if codec == "none":
        return data
    if codec == "bzip2":
        return bz2.decompress(data)
    if codec == "gzip":
        return gzip.decompress(data)
    if codec == "deflate":
        return zlib.decompress(data)
    if codec not in _RAW:
        raise ValueError(f"no stream codec {codec!r}")
    out = bytearray()
    offset = 0
    while offset < len(data):
        size, packed_size = struct.unpack_from(">II", data, offset)
        offset += 8
        chunk = data[offset : offset + packed_size]
        offset += packed_size
        out += pa.decompress(chunk, decompressed_size=size, codec=_RAW[codec], asbytes=True)
    return bytes(out)
