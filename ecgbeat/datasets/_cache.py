"""On-disk cache of built beat arrays, keyed by what they were built from.

A cache file is ``<folder>/<prefix>-<key>.npz``. The key hashes the preprocessing parameters, the
cache format version, the package version, a digest of the code that shapes the beats (a
release, or an edited checkout, may cut beats or find R peaks differently, and must not be served
the beats of another), the versions of the libraries that read and filter the records (NumPy,
SciPy, wfdb: another filter design or reader is other beats) and a fingerprint of each source file (PhysioNet's SHA-256 when listed in
``SHA256SUMS.txt``, else the file's own SHA-256, always with its size and modification time so
that an edited file invalidates the entry). The payload stores a SHA-256 of its arrays and of its
own file name (which holds the key): a cut or edited file, or the valid file of another entry
copied over it, fails the check and is rebuilt, never trusted. Files are written atomically.
An entry also keeps the warnings its build raised about the data (a lead read in another's
place, annotations left out...), and they are raised again whenever it is read.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import importlib.metadata
import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ecgbeat._atomic import replacing
from ecgbeat._version import __version__
from ecgbeat._warnings import warn_caller

#: Bump when the layout or the meaning of cached arrays changes.
CACHE_VERSION = 5
_CHECKSUM = "__sha256__"
#: The entry's warnings about its data: rows of (category, message).
_WARNINGS = "__warnings__"


def file_fingerprint(path: Path, known_sha256: str | None = None) -> list:
    """Name, size, mtime and SHA-256 (``known_sha256`` trusted when given) of a source file."""
    stat = path.stat()
    digest = known_sha256
    if digest is None:
        h = hashlib.sha256()
        try:
            with path.open("rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
        except OSError as exc:
            # A failed read (EIO) does not name its file; same error type, with the file named.
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        digest = h.hexdigest()
    return [path.name, stat.st_size, stat.st_mtime_ns, digest]


#: The modules whose code decides what a cached beat array holds (relative to the package).
BEAT_SHAPING_CODE = (
    "beats.py",
    "qrs.py",
    "quality.py",  # the detector holds back peaks in the noise it marks
    "signals.py",
    "rhythm.py",
    "datasets/_records.py",
    "datasets/_mitbih.py",
    "datasets/_ptbdb.py",
)


@functools.cache
def code_digest() -> str:
    """SHA-256 of the source of :data:`BEAT_SHAPING_CODE`: any edit to them changes every key."""
    package = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for name in BEAT_SHAPING_CODE:
        h.update(name.encode() + b"\0" + (package / name).read_bytes())
    return h.hexdigest()


#: The libraries whose code reads the records and shapes the beats with ecgbeat's.
BEAT_SHAPING_LIBRARIES = ("numpy", "scipy", "wfdb")


@functools.cache
def library_versions() -> dict[str, str | None]:
    """The installed version of each of :data:`BEAT_SHAPING_LIBRARIES` (None if absent)."""
    versions: dict[str, str | None] = {}
    for name in BEAT_SHAPING_LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def cache_key(params: dict, fingerprints: list) -> str:
    """Hex key of a cache entry."""
    blob = json.dumps(
        [CACHE_VERSION, __version__, code_digest(), library_versions(), params, fingerprints],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _user_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path("~") / ".cache"
    return Path(base).expanduser() / "ecgbeat"


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK | os.X_OK)


def resolve_cache_dir(cache, data_home: Path) -> Path | None:
    """Folder for cache files: ``cache`` may be True (``<data_home>/cache``), False or a path.

    When the folder cannot be written (a read-only data home), the per-user cache folder is used
    with a warning; when neither can, caching is off, with a warning.
    """
    if cache is False or cache is None:
        return None
    folder = data_home / "cache" if cache is True else Path(cache).expanduser()
    if _writable(folder):
        return folder
    fallback = _user_cache_dir()
    if _writable(fallback):
        warnings.warn(
            f"cannot write the beat cache to {folder}; using {fallback} instead",
            RuntimeWarning,
            stacklevel=3,
        )
        return fallback
    warnings.warn(
        f"cannot write the beat cache to {folder} or {fallback}; caching is off",
        RuntimeWarning,
        stacklevel=3,
    )
    return None


def _checksum(arrays: dict[str, np.ndarray], file_name: str) -> str:
    h = hashlib.sha256()
    # The name holds the key: the sound file of another record copied here must not pass.
    h.update(f"{file_name}|".encode())
    for name in sorted(arrays):
        arr = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{arr.dtype.str}|{arr.shape}|".encode())
        h.update(arr.tobytes())
    return h.hexdigest()


def load(path: Path) -> dict[str, np.ndarray] | None:
    """Arrays of a cache file, or None when it is absent, unreadable or fails its checksum."""
    if not path.is_file():  # absent, or a folder or a FIFO (opening a FIFO would wait forever)
        return None
    try:
        # Our own handle: np.load leaks its file when the archive is damaged.
        with path.open("rb") as f, np.load(f, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        stored = str(arrays.pop(_CHECKSUM))
    except Exception:  # any damage at all means: rebuild
        return None
    return arrays if stored == _checksum(arrays, path.name) else None


def save(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write a cache file atomically; a failure only warns (the cache is an optimisation)."""
    payload = {**arrays, _CHECKSUM: np.array(_checksum(arrays, path.name))}
    try:
        with replacing(path, suffix=".part", into_devices=False) as tmp, tmp.open("wb") as f:
            np.savez(f, **payload)
    except OSError as exc:
        warnings.warn(f"could not write the beat cache {path}: {exc}", RuntimeWarning, stacklevel=2)


def load_or_build(path: Path | None, build: Callable[[], dict[str, np.ndarray]]) -> dict:
    """The arrays of the cache entry at ``path``, or ``build()``'s, saved there (``path`` None:
    no cache).

    A build's warnings about the data (the :class:`UserWarning` family, ecgbeat's) are kept
    with the entry and raised again on every read: the same data served from the cache came
    without a word of the lead read in another's place or the annotations left out. The
    others (a library's deprecations) are shown once, as the build raised them.
    """
    arrays = load(path) if path is not None else None
    if arrays is not None:
        told = arrays.pop(_WARNINGS, np.zeros((0, 2), dtype=str))
        for category, message in told.tolist():
            warn_caller(message, _warning_category(category))
        return arrays
    with _keeping_warnings() as told:
        arrays = build()
    arrays[_WARNINGS] = np.array(told, dtype=str).reshape(-1, 2)
    if path is not None:
        save(path, arrays)
    del arrays[_WARNINGS]
    return arrays


@contextlib.contextmanager
def _keeping_warnings():
    """Collect the (category, message) of each :class:`UserWarning` raised inside, and raise
    every warning again after it (the user's filters then act on them, an error one too)."""
    told: list[tuple[str, str]] = []
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            # Recorded even where a filter ignores them now: the entry serves later calls too.
            warnings.simplefilter("always", UserWarning)
            yield told
    finally:  # a build that failed raises its warnings too, as it did before
        for w in caught:
            if issubclass(w.category, UserWarning):
                told.append((f"{w.category.__module__}.{w.category.__qualname__}", str(w.message)))
                warn_caller(str(w.message), w.category)
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno, w.file, w.line)


def _warning_category(name: str) -> type[Warning]:
    """The warning class stored as ``module.qualname``: Python's or ecgbeat's, else
    :class:`UserWarning` (no other module is imported for a name read from a file)."""
    module, _, qualname = name.rpartition(".")
    if module in ("builtins", "ecgbeat.exceptions"):
        category = getattr(importlib.import_module(module), qualname, None)
        if isinstance(category, type) and issubclass(category, UserWarning):
            return category
    return UserWarning
