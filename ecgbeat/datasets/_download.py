"""Verified, atomic downloads of PhysioNet files.

Every file is checked against PhysioNet's ``SHA256SUMS.txt`` and written to a temporary file in the
target folder, then moved into place with :func:`os.replace`; an interrupted or corrupt download
never leaves a file under the final name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from ecgbeat.exceptions import DataFormatError

#: Base URL of the PhysioNet files; ``<base>/<database>/<version>/<file>``. Tests point it at a
#: ``file://`` copy; the loaders also take a ``base_url`` argument.
PHYSIONET_URL = "https://physionet.org/files"

CHUNK = 1 << 20


def _url(base_url: str | None, database: str, version: str, name: str) -> str:
    base = (base_url or PHYSIONET_URL).rstrip("/")
    return f"{base}/{database}/{version}/{name}"


def _fetch(url: str, target: Path, sha256: str | None) -> None:
    """Stream ``url`` into ``target`` atomically, verifying ``sha256`` when given."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            while chunk := response.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if sha256 is not None and digest.hexdigest() != sha256:
            raise DataFormatError(
                f"download of {url} is corrupt: SHA-256 {digest.hexdigest()} differs from "
                f"PhysioNet's SHA256SUMS.txt ({sha256}); nothing was written to {target}"
            )
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_sha256sums(path: Path) -> dict[str, str]:
    """Parse a ``SHA256SUMS.txt`` file into ``{relative path: hex digest}``."""
    sums = {}
    for line in path.read_text().splitlines():
        parts = line.split(maxsplit=1)
        if len(parts) == 2:
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
    """
    target_dir = Path(target_dir)
    sums_path = target_dir / "SHA256SUMS.txt"
    if not sums_path.is_file():
        _fetch(_url(base_url, database, version, "SHA256SUMS.txt"), sums_path, None)
    sums = read_sha256sums(sums_path)
    written = []
    for name in names:
        target = target_dir / name
        if target.is_file():
            continue
        if name not in sums:
            raise DataFormatError(
                f"{name} is not listed in {sums_path}: not a file of PhysioNet's {database}"
            )
        _fetch(_url(base_url, database, version, name), target, sums[name])
        written.append(target)
    return written
