"""Shared helpers of the dataset loaders: data home, optional imports, progress bars."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ecgbeat._install import import_optional

__all__ = ["get_data_home"]


#: Environment variable naming the default data home.
DATA_HOME_ENV = "ECGBEAT_DATA"


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """Return the folder that holds ecgbeat's databases and beat caches.

    Parameters
    ----------
    data_home : str or path-like, optional
        The folder. When None, the ``ECGBEAT_DATA`` environment variable, else ``~/ecgbeat_data``.
        It is not created here: loaders create what they write into, when they write.

    Returns
    -------
    Path
        The absolute, user-expanded folder.

    Raises
    ------
    ValueError
        If ``data_home`` is an empty text, which would be the current folder.
    TypeError
        If ``data_home`` is neither None, text, bytes nor path-like.

    Examples
    --------
    >>> get_data_home("/tmp/ecg").as_posix()
    '/tmp/ecg'
    """
    if isinstance(data_home, bytes):
        data_home = os.fsdecode(data_home)  # a path as os.listdir(b".") gives it
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or Path("~") / "ecgbeat_data"
    elif not isinstance(data_home, str | os.PathLike):
        # Path() said "expected str, bytes or os.PathLike object, not int", naming nothing.
        raise TypeError(
            f"data_home must be the path of a folder, or None for the default "
            f"(${DATA_HOME_ENV}, else ~/ecgbeat_data), got {data_home!r}"
        )
    elif isinstance(data_home, str) and not data_home.strip():
        # Path("") is the current folder: databases were searched for, and downloaded into,
        # whichever folder the program ran from (an unset shell variable: --data-home "$DIR").
        raise ValueError(
            f"data_home is empty ({data_home!r}): give a folder, or None for the default "
            f"(${DATA_HOME_ENV}, else ~/ecgbeat_data)"
        )
    return Path(data_home).expanduser().absolute()


def record_names(records, database: str) -> list:
    """The records a user named, one or many, as a list: each loader then checks the names.

    One name may stand alone, as text, a path, or anything that is not a list (a number);
    paths become their text with forward slashes, as PhysioNet names the records. Bytes are
    one name too: iterated, ``b"100"`` was the records 49, 48, 48.

    Raises
    ------
    ValueError
        If no record is named; ``database`` names the database in the message.

    Examples
    --------
    >>> record_names(["100", Path("114")], "MIT-BIH")
    ['100', '114']
    >>> record_names(Path("patient001/s0010_re"), "PTB")
    ['patient001/s0010_re']
    """
    if isinstance(records, np.ndarray) and records.ndim == 0:
        records = records.item()  # one record in a 0-d array: NumPy cannot iterate it
    one = isinstance(records, str | bytes | os.PathLike) or not isinstance(records, Iterable)
    names = [records] if one else list(records)
    if not names:
        raise ValueError(f"records is empty: name at least one {database} record, or None for all")
    return [Path(r).as_posix() if isinstance(r, os.PathLike) else r for r in names]


def check_loader_params(
    *,
    lead,
    detector,
    refine_radius,
    cache,
    detector_optional: bool,
    base_url=None,
    **segment_params,
) -> dict:
    """Refuse the loaders' parameters that would only fail once a record is read: before
    anything is downloaded, and even when the beats come from the cache.

    ``segment_params``: the keywords of :func:`ecgbeat.beats.segment_beats` (``target_fs``,
    ``beat_length``...); ``detector_optional``: whether ``detector=None`` (annotated R peaks)
    is allowed. Returns how the beats are cut: ``refine_radius`` and ``segment_params``, the
    keywords of :func:`ecgbeat.beats.cut_beats` (with the rest, the cache's key).
    """
    from ecgbeat.beats import check_refine_radius, check_segment_params
    from ecgbeat.datasets._download import check_base_url
    from ecgbeat.datasets._records import _wanted_leads
    from ecgbeat.qrs import DETECTORS

    check_segment_params(**segment_params)
    if lead is not None:
        _wanted_leads(lead)
    if not (detector is None and detector_optional) and (
        not isinstance(detector, str) or detector not in DETECTORS
    ):
        choices = (["None"] if detector_optional else []) + [repr(d) for d in sorted(DETECTORS)]
        raise ValueError(f"detector must be one of {', '.join(choices)}; got {detector!r}")
    check_refine_radius(refine_radius)
    if cache is not None and not isinstance(cache, bool | str | os.PathLike):
        raise ValueError(f"cache must be True, False or the path of a folder, got {cache!r}")
    if isinstance(cache, str) and not cache.strip():
        # Path("") is the current folder, which took the cache files of every run.
        raise ValueError(
            f"cache is empty ({cache!r}): give a folder, True (<data_home>/cache) or False"
        )
    check_base_url(base_url)
    return {"refine_radius": refine_radius, **segment_params}


def import_wfdb():
    """Import the optional ``wfdb`` package, or say how to install it."""
    return import_optional(
        "wfdb", "reading PhysioNet records needs the optional package 'wfdb'", "data"
    )
