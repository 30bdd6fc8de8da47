"""Reader of the Kaggle "ECG Heartbeat Categorization" CSV layout."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from sklearn.utils import Bunch

from ecgbeat.datasets._mitbih import AAMI_CLASSES
from ecgbeat.exceptions import DataFormatError

__all__ = ["load_heartbeat_csv"]


def load_heartbeat_csv(
    path: str | os.PathLike,
    *,
    beat_length: int = 187,
    target_names: Sequence[str] = AAMI_CLASSES,
    return_X_y: bool = False,
):
    """Load beats stored as in the Kaggle release (``mitbih_*.csv``, ``ptbdb_*.csv``).

    Each row holds ``beat_length`` sample values then the label as a float; no header.

    Parameters
    ----------
    path : str or path-like
        The CSV file.
    beat_length : int, default=187
        Samples per beat (the file must have ``beat_length + 1`` columns).
    target_names : sequence of str, default=AAMI_CLASSES
        Class names; labels must lie in ``0 .. len(target_names) - 1``. For the PTB files pass
        ``("normal", "abnormal")``.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        ``data`` (n_beats, beat_length) float32, ``target`` (n_beats,) int64, ``target_names``,
        ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    DataFormatError
        Wrong column count, non-numeric or missing values, labels that are not integers in range.
    FileNotFoundError
        If the file does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "beats.csv"
    >>> _ = path.write_text(",".join(["0.5"] * 187 + ["2.0"]) + "\\n")
    >>> X, y = load_heartbeat_csv(path, return_X_y=True)
    >>> X.shape, y.tolist()
    ((1, 187), [2])
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"heartbeat CSV {path} not found")
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise DataFormatError(f"{path}: not a CSV of numbers: {exc}") from exc
    if table.shape[0] == 0:
        raise DataFormatError(f"{path}: no rows")
    if table.shape[1] != beat_length + 1:
        raise DataFormatError(
            f"{path}: expected {beat_length + 1} columns ({beat_length} samples and the label), "
            f"found {table.shape[1]}"
        )
    bad = ~np.isfinite(table)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise DataFormatError(f"{path}: NaN or infinite value at row {row + 1}, column {col + 1}")
    labels = table[:, -1]
    wrong = (labels != np.round(labels)) | (labels < 0) | (labels >= len(target_names))
    if wrong.any():
        row = int(np.flatnonzero(wrong)[0])
        raise DataFormatError(
            f"{path}: label {float(labels[row])!r} at row {row + 1} is not an integer class in "
            f"0..{len(target_names) - 1}"
        )
    data = table[:, :-1].astype(np.float32)
    target = labels.astype(np.int64)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        target_names=list(target_names),
        DESCR=f"Heartbeats read from {path} (Kaggle CSV layout: {beat_length} samples + label).",
    )
