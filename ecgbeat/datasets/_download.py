"""Verified, atomic downloads of PhysioNet files.

Every file is checked against PhysioNet's ``SHA256SUMS.txt`` and written to a temporary file in the
target folder, then moved into place with :func:`os.replace`; an interrupted or corrupt download
never leaves a file under the final name.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from ecgbeat._atomic import replacing
from ecgbeat.datasets._base import import_wfdb
from ecgbeat.exceptions import DataFormatError, DataNotFoundError

#: Base URL of the PhysioNet files; ``<base>/<database>/<version>/<file>``. Tests point it at a
#: ``file://`` copy; the loaders also take a ``base_url`` argument.
PHYSIONET_URL = "https://physionet.org/files"

CHUNK = 1 << 20
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


#: The URL schemes that urllib opens.
_SCHEMES = ("https", "http", "ftp", "file")


def check_base_url(base_url) -> None:
    """Refuse a ``base_url`` that is no URL urllib can open: a ``Path`` failed with "'PosixPath'
    object has no attribute 'rstrip'", a folder given as text with "unknown url type", and an
    empty text was PhysioNet's URL without a word; each only once a file had to be fetched."""
    if base_url is None:
        return
    scheme = urllib.parse.urlsplit(base_url).scheme if isinstance(base_url, str) else ""
    if scheme.lower() not in _SCHEMES or not base_url.partition(":")[2].strip("/"):
        raise ValueError(
            f"base_url must be the URL of a PhysioNet mirror, such as {PHYSIONET_URL!r} (a "
            f"local folder as a file:// URL: pathlib.Path(folder).as_uri()), got {base_url!r}"
        )


def _url(base_url: str | None, database: str, version: str, name: str) -> str:
    base = (base_url or PHYSIONET_URL).rstrip("/")
    return f"{base}/{database}/{version}/{name}"


def _fetch(url: str, target: Path, sha256: str | None) -> None:
    """Stream ``url`` into ``target`` atomically, verifying ``sha256``; None: the file is the
    ``SHA256SUMS.txt`` listing, and must list at least one file."""
    digest = hashlib.sha256()
    received = 0
    with replacing(target, suffix=".part", into_devices=False) as tmp:
        with tmp.open("wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            while chunk := response.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                received += len(chunk)
            expected = response.headers.get("Content-Length")
        if expected is not None and expected.strip().isdigit() and received < int(expected):
            # A connection dropped mid-body ends http.client's reads without an error: the
            # first lines of SHA256SUMS.txt were kept as the listing (every file past the cut
            # then "not listed"), and a data file cut short was called corrupt.
            raise urllib.error.ContentTooShortError(
                f"the download of {url} was cut short: {received} of {expected.strip()} bytes; "
                f"nothing was written to {target}",
                None,
            )
        if sha256 is None and not read_sha256sums(tmp):
            # Kept, a page served in its place (a network's sign-in page, a wrong base_url)
            # would fail every later download, from any server, as "not listed".
            raise DataFormatError(
                f"{url} is not a SHA256SUMS.txt listing (no '<SHA-256> <file>' lines): a "
                f"sign-in page, or the wrong base_url?; nothing was written to {target}"
            )
        if sha256 is not None and digest.hexdigest() != sha256:
            raise DataFormatError(
                f"download of {url} is corrupt: SHA-256 {digest.hexdigest()} differs from "
                f"PhysioNet's SHA256SUMS.txt ({sha256}); nothing was written to {target}"
            )


def missing_data_error(
    database: str, version: str, folder: Path, missing: list[str], why: str
) -> DataNotFoundError:
    """The error for database files that are neither on disk nor fetchable, saying what to do."""
    listed = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
    return DataNotFoundError(
        f"{database} files missing from {folder}: {listed}; {why}. Put the database's files "
        f"there, or point ecgbeat at a folder that holds {database}/: data_home=... in Python, "
        "--data-home on the command line, or the ECGBEAT_DATA environment variable. PhysioNet "
        f"publishes it at https://physionet.org/content/{database}/{version}/"
    )


def read_sha256sums(path: Path) -> dict[str, str]:
    """Parse a ``SHA256SUMS.txt`` file into ``{relative path: hex digest}``."""
    sums = {}
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split(maxsplit=1)
        if len(parts) == 2 and _SHA256.fullmatch(parts[0]):
            sums[parts[1].lstrip("*").strip()] = parts[0].lower()
    return sums


def download_physionet(
    database: str,
    version: str,
    names: Iterable[str],
    target_dir: Path,
    *,
    base_url: str | None = None,
) -> list[Path]:
    """Download files of a PhysioNet database that are not yet in ``target_dir``.

    ``SHA256SUMS.txt`` is fetched first (unless present) and every file is verified against it.

    Parameters
    ----------
    database, version : str
        E.g. ``"mitdb"``, ``"1.0.0"``.
    names : iterable of str
        File paths relative to the database root, e.g. ``"100.dat"``.
    target_dir : Path
        The local database folder.
    base_url : str, optional
        Replaces :data:`PHYSIONET_URL`.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ImportError
        Before anything is fetched, when ``wfdb`` (the ``data`` extra), which reads the files,
        is not installed.
    ValueError
        Before anything is fetched, when ``base_url`` is not an http(s), ftp or file URL.
    """
    check_base_url(base_url)
    # What is fetched is read with wfdb: without it, a whole database (about 100 MB for
    # MIT-BIH) was downloaded before the first read said to install it.
    import_wfdb()
    target_dir = Path(target_dir)
    names = list(names)
    for name in names:
        # Names come from the server's listings (PTB's RECORDS, SHA256SUMS.txt): one that
        # leaves the folder would write a new file anywhere the user may write.
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise DataFormatError(
                f"{name!r} is not a file of PhysioNet's {database}: its path leaves {target_dir}"
            )
    # Folders this call creates, removed again if it fails before writing a file into them.
    created = [p for p in (target_dir, *target_dir.parents) if not p.exists()]
    sums_path = target_dir / "SHA256SUMS.txt"
    written = []
    try:
        fetched = not sums_path.is_file()
        if fetched:
            _fetch(_url(base_url, database, version, "SHA256SUMS.txt"), sums_path, None)
        sums = read_sha256sums(sums_path)
        for name in names:
            target = target_dir / name
            if target.is_file():
                continue
            if not sums:
                raise DataFormatError(
                    f"{sums_path} lists no files (no '<SHA-256> <file>' lines); delete it, "
                    "and it is fetched again"
                )
            if name not in sums and fetched:
                raise DataFormatError(
                    f"{name} is not listed in {sums_path}: not a file of PhysioNet's {database}"
                )
            if name not in sums:
                # A listing that was there (copied with some records, or written by hand) may
                # list part of the database only; it is the user's, and left as it is.
                raise DataFormatError(
                    f"{name} is not listed in {sums_path}, which was there before: if it does "
                    f"not list all of PhysioNet's {database}, delete it, and it is fetched again"
                )
            _fetch(_url(base_url, database, version, name), target, sums[name])
            written.append(target)
    # URLError: no network, no such host, refused, not found. The others: reached, then broken
    # off mid-transfer (reset, timed out, the network lost, a malformed reply), where a bare
    # "Connection reset by peer" named no server and no file, and said nothing of what to do.
    except (OSError, http.client.HTTPException) as exc:
        _remove_empty(created)
        if not _network_error(exc):
            raise  # the disk's (no space left, a folder not writable): it names its file
        missing = [n for n in names if not (target_dir / n).is_file()] or ["SHA256SUMS.txt"]
        url = _url(base_url, database, version, "")
        if isinstance(exc, urllib.error.ContentTooShortError):
            why = f"{exc.reason}: try again"  # reached, but the transfer broke off
        elif isinstance(exc, urllib.error.HTTPError):
            # Reached, and refused one file (a mirror without it, a base_url of another
            # layout): "<base> could not be reached (Not Found)" named neither.
            why = f"{exc.filename} was not served (HTTP {exc.code}: {exc.reason})"
        elif isinstance(exc, urllib.error.URLError):
            why = f"{url} could not be reached ({exc.reason})"
        else:
            why = f"the transfer from {url} broke off ({type(exc).__name__}: {exc}): try again"
        raise missing_data_error(database, version, target_dir, missing, why) from exc
    except BaseException:
        _remove_empty(created)
        raise
    return written


#: The errors of a network lost mid-transfer that Python gives no class of their own (a plain
#: OSError): "[Errno 113] No route to host", naming no server and no file.
_NETWORK_ERRNOS = frozenset(
    getattr(errno, name)
    for name in ("ENETDOWN", "ENETUNREACH", "ENETRESET", "EHOSTDOWN", "EHOSTUNREACH")
    if hasattr(errno, name)
)


def _network_error(exc: BaseException) -> bool:
    """Whether ``exc`` is the network's: a server not reached, or a transfer broken off."""
    if isinstance(
        exc, urllib.error.URLError | ConnectionError | TimeoutError | http.client.HTTPException
    ):
        return True
    return isinstance(exc, OSError) and exc.errno in _NETWORK_ERRNOS


def _remove_empty(folders: list[Path]) -> None:
    """Remove those of ``folders`` (deepest first) that are empty: a failed fetch leaves none."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return
