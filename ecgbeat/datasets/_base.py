"""Shared helpers of the dataset loaders: data home, optional imports, progress bars."""

from __future__ import annotations

import os
from pathlib import Path

from ecgbeat._install import install_hint

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

    Examples
    --------
    >>> get_data_home("/tmp/ecg").as_posix()
    '/tmp/ecg'
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or Path("~") / "ecgbeat_data"
    return Path(data_home).expanduser().absolute()


def import_wfdb():
    """Import the optional ``wfdb`` package, or say how to install it."""
    try:
        import wfdb
    except ImportError as exc:
        raise ImportError(
            "reading PhysioNet records needs the optional package 'wfdb': " + install_hint("data")
        ) from exc
    return wfdb
