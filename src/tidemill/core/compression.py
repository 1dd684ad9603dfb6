"""What compression a file's name says it holds (spec §4.3: compressed inputs by extension).

Only the last suffix counts, in any letter case: `a.json.gz` is gzip, `part-0.snappy.parquet`
is "" (a Parquet file compresses inside; the file itself is read as it is).
"""

from __future__ import annotations

# suffix → codec name, as InputFile.compression carries it ("" for none).
CODEC_BY_SUFFIX = {
    ".gz": "gzip",
    ".gzip": "gzip",
    ".zst": "zstd",
    ".zstd": "zstd",
    ".bz2": "bzip2",
    ".lz4": "lz4",
    ".snappy": "snappy",
    ".deflate": "deflate",
    ".xz": "xz",
    ".lzma": "lzma",
    ".zip": "zip",
    ".br": "brotli",
    ".lzo": "lzo",
    ".z": "compress",
    ".7z": "7z",
}


def compression_of(name: str) -> str:
    """The codec `name`'s last suffix names ("gzip", "zstd", "bzip2" ...), "" for none.

    `name` is a file name, key or URI; only the text after its last '/' is looked at.
    """
    base = name.rsplit("/", 1)[-1]
    dot = base.rfind(".")
    if dot <= 0:  # no suffix, or a dot file such as ".gz"
        return ""
    return CODEC_BY_SUFFIX.get(base[dot:].lower(), "")
