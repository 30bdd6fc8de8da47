"""Text files read as they are or decompressed, by their suffix (``.csv`` or ``.csv.gz``)."""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import os
import zlib
from collections.abc import Iterator
from typing import IO

from ecgbeat.exceptions import DataFormatError

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


def open_text_to_write(
    path: str | os.PathLike, compress_as: str | os.PathLike | None = None
) -> IO[str]:
    """``path`` opened to write UTF-8 text, compressed as the suffix of ``compress_as`` (by
    default ``path``'s own) says, as :func:`open_text` reads it back.

    ``compress_as``: for a temporary file that will be renamed to the file meant, whose suffix
    it does not have. Lines end as written (``newline=""``, as the csv module needs).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "beats.csv.gz"
    >>> with open_text_to_write(path) as f:
    ...     _ = f.write("0.5,N\\n")
    >>> path.read_bytes()[:2] == b"\\x1f\\x8b", open_text(path).read()
    (True, '0.5,N\\n')
    """
    meant = path if compress_as is None else compress_as
    suffix = os.path.splitext(meant)[1].lower()
    if suffix == ".gz":
        # gzip keeps the name of the file it compresses in its header: that of the temporary
        # file, else, which 7-Zip and ``gunzip -N`` extract to (``.beats.csv.gz.x1y2.tmp``).
        name = os.path.basename(os.fspath(meant))
        binary = _NamedGzipFile(path, name[:-3] if name.lower().endswith(".gz") else name)
        return io.TextIOWrapper(binary, encoding="utf-8", newline="")
    if suffix == ".lzma":
        # lzma.open writes the .xz format by default, which unlzma (xz --format=lzma) refuses.
        return lzma.open(path, "wt", format=lzma.FORMAT_ALONE, encoding="utf-8", newline="")
    return _OPENERS.get(suffix, open)(path, "wt", encoding="utf-8", newline="")


class _NamedGzipFile(gzip.GzipFile):
    """A gzip file written to ``path`` whose header names the file ``name``."""

    def __init__(self, path: str | os.PathLike, name: str) -> None:
        self._raw = open(path, "wb")  # closed with the gzip stream
        try:
            super().__init__(filename=name, mode="wb", fileobj=self._raw)
        except BaseException:
            self._raw.close()
            raise

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


@contextlib.contextmanager
def decompression_errors(path: str | os.PathLike) -> Iterator[None]:
    """Errors of a damaged compressed file read in the block, as a DataFormatError that names it.

    The decompressors name no file, and a file cut short (a partial download) raises
    ``EOFError``, which callers that catch ``ValueError`` or ``OSError`` let through. Errors of
    the system (``PermissionError``...) carry an ``errno`` and pass as they are.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "beats.csv.gz"
    >>> _ = path.write_bytes(b"0.5,1\\n")
    >>> with decompression_errors(path), open_text(path) as f:
    ...     f.read()
    Traceback (most recent call last):
    ...
    ecgbeat.exceptions.DataFormatError: ...beats.csv.gz: cannot decompress it (Not a gzipped file ...
    """
    suffix = os.path.splitext(path)[1]
    if suffix.lower() not in _OPENERS:
        yield
        return
    try:
        yield
    except (EOFError, OSError, lzma.LZMAError, zlib.error) as exc:
        if isinstance(exc, OSError) and exc.errno is not None:
            raise
        raise DataFormatError(
            f"{os.fspath(path)}: cannot decompress it ({exc}): the file is cut short (an "
            f"incomplete download?) or damaged, or is not {suffix} data"
        ) from exc


#: How a ZIP archive starts (an empty one too): also every spreadsheet of Excel or LibreOffice.
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def refuse_archive(path: str | os.PathLike) -> None:
    """Refuse a ZIP archive given as a CSV (``mitbih_test.csv.zip``, as Kaggle serves the file,
    or a workbook ``beats.xlsx`` renamed): read as text, it failed as "'utf-8' codec can't
    decode byte 0x82", which named neither the archive nor what to do.

    Examples
    --------
    >>> import pathlib, tempfile, zipfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "beats.csv.zip"
    >>> with zipfile.ZipFile(path, "w") as archive:
    ...     archive.writestr("beats.csv", "0.5,0\\n")
    >>> refuse_archive(path)
    Traceback (most recent call last):
    ...
    ecgbeat.exceptions.DataFormatError: ...beats.csv.zip is a ZIP archive (a spreadsheet is one too), not a CSV: ...
    """
    try:
        with open(path, "rb") as f:
            start = f.read(4)
    except OSError:
        return  # the reading names what is wrong
    if start in _ZIP_MAGIC:
        raise DataFormatError(
            f"{os.fspath(path)} is a ZIP archive (a spreadsheet is one too), not a CSV: extract "
            "the CSV from it, or save the sheet as CSV (ecgbeat decompresses .gz, .bz2 and .xz "
            "files itself)"
        )


def content_suffix(path: str | os.PathLike) -> str:
    """The suffix that says what a file holds, in lower case: that of ``100.csv.gz`` is
    ``.csv`` (ecgbeat writes its tables compressed when their name says so).

    Examples
    --------
    >>> [content_suffix(p) for p in ("a.CSV", "a.csv.GZ", "a.json.xz", "a.gz", "mitdb/100")]
    ['.csv', '.csv', '.json', '', '']
    """
    stem, suffix = os.path.splitext(os.fspath(path))
    if suffix.lower() in COMPRESSED_SUFFIXES:
        suffix = os.path.splitext(stem)[1]
    return suffix.lower()


def is_csv(path: str | os.PathLike) -> bool:
    """Whether ``path`` names a CSV file, compressed (``beats.csv.gz``) or not, in any case.

    Examples
    --------
    >>> [is_csv(p) for p in ("a.csv", "a.CSV.GZ", "a.csv.bz2", "a.gz", "mitdb/100")]
    [True, True, True, False, False]
    """
    return content_suffix(path) == ".csv"
