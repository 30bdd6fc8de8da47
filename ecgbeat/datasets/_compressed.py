"""Text files read as they are or decompressed, by their suffix (``.csv`` or ``.csv.gz``)."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
from typing import IO

#: How a file with each compressed suffix (in lower case) is opened.
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open, ".lzma": lzma.open}
#: The suffixes of the compressed files that :func:`open_text` decompresses.
COMPRESSED_SUFFIXES = tuple(_OPENERS)


def open_text(path: str | os.PathLike, errors: str = "strict") -> IO[str]:
    """``path`` opened as UTF-8 text, decompressed when its suffix says so, in any case.

    ``utf-8-sig``, since a spreadsheet's "CSV UTF-8" export starts with a byte-order mark;
    ``errors`` as in :func:`open`.

    Examples
    --------
    >>> import gzip, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "lead.CSV.GZ"
    >>> _ = path.write_bytes(gzip.compress(b"\\xef\\xbb\\xbfMLII\\n0.5\\n"))
    >>> with open_text(path) as f:
    ...     f.read().split()
    ['MLII', '0.5']
    """
    opener = _OPENERS.get(os.path.splitext(path)[1].lower(), open)
    return opener(path, "rt", encoding="utf-8-sig", errors=errors)


def is_csv(path: str | os.PathLike) -> bool:
    """Whether ``path`` names a CSV file, compressed (``beats.csv.gz``) or not, in any case.

    Examples
    --------
    >>> [is_csv(p) for p in ("a.csv", "a.CSV.GZ", "a.csv.bz2", "a.gz", "mitdb/100")]
    [True, True, True, False, False]
    """
    stem, suffix = os.path.splitext(os.fspath(path))
    if suffix.lower() in COMPRESSED_SUFFIXES:
        suffix = os.path.splitext(stem)[1]
    return suffix.lower() == ".csv"
