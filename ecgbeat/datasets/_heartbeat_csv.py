"""Reader of the Kaggle "ECG Heartbeat Categorization" CSV layout."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence

import numpy as np
from sklearn.utils import Bunch

from ecgbeat._checks import is_integer
from ecgbeat.datasets._compressed import decompression_errors, open_text, refuse_archive
from ecgbeat.datasets._mitbih import AAMI_CLASSES
from ecgbeat.datasets._records import first_row, loadtxt_reason, numbered_header
from ecgbeat.exceptions import DataFormatError

__all__ = ["load_heartbeat_csv", "read_beats_csv"]


def load_heartbeat_csv(
    path: str | os.PathLike,
    *,
    beat_length: int = 187,
    target_names: Sequence[str] = AAMI_CLASSES,
    return_X_y: bool = False,
):
    """Load beats stored as in the Kaggle release (``mitbih_*.csv``, ``ptbdb_*.csv``).

    Each row holds ``beat_length`` sample values then the label as a float. A first row of
    column names, or of the column numbers ``0, 1, 2...`` that pandas' ``to_csv`` writes (with
    or without a name for the label column last), is a header and is skipped; under a header
    whose first column has no name, that column (the row numbers that ``to_csv`` writes unless
    ``index=False``) is left out. Lines that start with ``#`` are comments, above the header
    too (NumPy's ``savetxt(..., header=...)`` writes its header as one).

    Parameters
    ----------
    path : str or path-like
        The CSV file; one ending in ``.gz``, ``.bz2`` or ``.xz`` is decompressed.
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
        Wrong column count, non-numeric, missing or infinite values (or values beyond float32's
        range), labels that are not integers in range, a first column that numbers the rows
        (``0, 1, 2...``: the index that ``to_csv(header=False)`` writes).
    FileNotFoundError
        If the file does not exist.
    ValueError
        If ``beat_length`` is not a whole number >= 1, or ``target_names`` is a string or empty.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "beats.csv"
    >>> _ = path.write_text(",".join(["0.5"] * 187 + ["2.0"]) + "\\n")
    >>> X, y = load_heartbeat_csv(path, return_X_y=True)
    >>> X.shape, y.tolist()
    ((1, 187), [2])
    """
    _check_beat_length(beat_length)
    if np.ndim(target_names) != 1 or len(target_names) == 0:
        # A string (ndim 0) is also a sequence, of letters: "normal,abnormal" was 15 classes.
        raise ValueError(
            f"target_names must be a non-empty sequence of class names, got {target_names!r}"
        )
    path = os.fspath(path)
    table = _read_numbers(path)
    if table.shape[1] != beat_length + 1:
        # A Kaggle frame written back with its index (to_csv(header=False)) has one column too
        # many: named as the row numbers it holds, not as a count of columns.
        _refuse_row_numbers(path, table)
        raise DataFormatError(
            f"{path}: expected {beat_length + 1} columns ({beat_length} samples and the label), "
            f"found {table.shape[1]}{_one_column_hint(table)}"
        )
    _refuse_row_numbers(path, table)
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
        # Plain str, not NumPy's np.str_, for names given in an array.
        target_names=[str(n) if isinstance(n, str) else n for n in target_names],
        DESCR=f"Heartbeats read from {path} (Kaggle CSV layout: {beat_length} samples + label).",
    )


def read_beats_csv(path: str | os.PathLike, beat_length: int) -> np.ndarray:
    """Beats to classify from a CSV: one beat of ``beat_length`` samples per row.

    A row may also end in a label, as in the Kaggle files (``beat_length + 1`` columns, the last
    a whole number); the label is left out. A header row is skipped, and a column of row numbers
    under a header cell without a name is left out, and lines that start with ``#`` are comments,
    as in :func:`load_heartbeat_csv`.

    Parameters
    ----------
    path : str or path-like
        The CSV file; one ending in ``.gz``, ``.bz2`` or ``.xz`` is decompressed.
    beat_length : int
        Samples per beat, as the classifier takes them (``n_features_in_``).

    Returns
    -------
    ndarray of shape (n_beats, beat_length), float32

    Raises
    ------
    DataFormatError
        Another number of columns (or ``beat_length + 1`` whose last is not a whole number,
        no label), non-numeric, missing or infinite values (or values beyond float32's range),
        no rows, or a first column that numbers the rows (``0, 1, 2...``: the index that
        ``to_csv(header=False)`` writes).
    FileNotFoundError
        If the file does not exist.
    ValueError
        If ``beat_length`` is not a whole number >= 1.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "beats.csv"
    >>> _ = path.write_text("0,0.5,1\\n1,0.5,0\\n")
    >>> read_beats_csv(path, 3).shape
    (2, 3)
    """
    _check_beat_length(beat_length)
    path = os.fspath(path)
    table = _read_numbers(path)
    if table.shape[1] == beat_length + 1:
        # The Kaggle layout: the last column is the label, a whole number. Another value there
        # is a sample: beats one sample longer than the model's lost it without a word.
        labels = table[:, -1]
        other = np.flatnonzero(labels != np.round(labels))
        if other.size:
            row = int(other[0])
            raise DataFormatError(
                f"{path}: rows have {beat_length + 1} values, and the last is no label "
                f"({labels[row]:g} at row {row + 1} is not a whole number): the model takes "
                f"beats of {beat_length} samples (or {beat_length} samples, then the label)"
            )
        table = table[:, :beat_length]
    elif table.shape[1] != beat_length:
        _refuse_row_numbers(path, table)  # beats and labels written with their index
        raise DataFormatError(
            f"{path}: rows have {table.shape[1]} values; the model takes beats of {beat_length} "
            f"samples (or {beat_length + 1} columns with a label last){_one_column_hint(table)}"
        )
    _refuse_row_numbers(path, table)
    return table.astype(np.float32)


def _one_column_hint(table: np.ndarray) -> str:
    """What a file of one column is, for its error: a beat is a row, and a pandas Series (one
    beat, or one value a beat) written with ``to_csv`` is a column."""
    if table.shape[1] != 1:
        return ""
    return (
        ": the file is one column, a value a row, as a pandas Series writes it; write one beat "
        "a row (a frame of beats, or np.savetxt of a 2-D array)"
    )


def _check_beat_length(beat_length) -> None:
    """Refuse a ``beat_length`` that is no number of samples: 0 read a one-column file as beats
    of no sample (its column taken for the label), text or None failed in an addition."""
    if not is_integer(beat_length) or beat_length < 1:
        raise ValueError(f"beat_length must be a whole number of samples >= 1, got {beat_length!r}")


def _read_numbers(path: str) -> np.ndarray:
    """A CSV of finite numbers within float32's range, at least one row, as a 2-D float64
    array; errors name ``path``."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} not found")
    refuse_archive(path)
    try:
        with decompression_errors(path):
            skiprows, usecols = _header_lines(path)
            with open_text(path) as f, warnings.catch_warnings():
                # An empty file is refused below, in words; NumPy's warning would name its stream.
                warnings.filterwarnings("ignore", "loadtxt: input contained no data")
                # (A field in double quotes is a field: csv.QUOTE_ALL writes numbers so.)
                table = np.loadtxt(
                    f,
                    delimiter=",",
                    dtype=np.float64,
                    ndmin=2,
                    skiprows=skiprows,
                    quotechar='"',
                    usecols=usecols,
                )
    except DataFormatError:
        raise
    except ValueError as exc:
        raise DataFormatError(f"{path}: not a CSV of numbers: {loadtxt_reason(exc)}") from exc
    if table.shape[0] == 0:
        raise DataFormatError(f"{path}: no rows")
    # Columns are named as in the file (as NumPy names them), a column of row numbers left out.
    first = 1 if usecols is None else usecols.start + 1
    bad = ~np.isfinite(table)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise DataFormatError(
            f"{path}: NaN or infinite value at row {row + 1}, column {col + first}"
        )
    # Both readers return float32: a value beyond its range became inf there, silently.
    huge = np.abs(table) > np.finfo(np.float32).max
    if huge.any():
        row, col = np.argwhere(huge)[0]
        raise DataFormatError(
            f"{path}: value {table[row, col]:g} at row {row + 1}, column {col + first} is beyond "
            f"the range of float32 (the beats' type, up to {np.finfo(np.float32).max:.3g})"
        )
    return table


def _refuse_row_numbers(path: str, table: np.ndarray) -> None:
    """Refuse a table whose first column counts the rows, by one from a whole number >= 0 (row
    numbers from 0, from 1, or from a slice's first row).

    ``DataFrame.to_csv(header=False)`` keeps the index: its row numbers were read as each beat's
    first sample, and the beat's last sample as the label (0 for the zero-padded beats of the
    Kaggle layout). From 3 rows: no beat's first sample counts so, scaled to [0, 1] or in ADC
    units, while two beats may start at 0 and 1."""
    column = table[:, 0]
    if (
        column.size >= 3
        and column[0] >= 0
        and column[0] == np.round(column[0])
        and np.all(np.diff(column) == 1)
    ):
        shown = ", ".join(f"{v:g}" for v in column[:3])
        raise DataFormatError(
            f"{path}: the first column numbers the rows ({shown}, ...), as pandas' to_csv "
            "writes the index unless index=False: it is no sample of a beat. Write the file "
            "without it (index=False)"
        )


def _header_lines(path: str) -> tuple[int, range | None]:
    """How many lines to skip before the beats, and the columns to read (None: all).

    The lines: none, or through the first row that is not blank if it names the columns: text,
    or the numbers 0, 1, 2... that pandas' ``to_csv`` writes for unnamed columns (read as a
    beat, it would be an invented one), or those numbers then a name (``0, 1, ..., 186, label``:
    a frame of beats given a label column) or then ``0`` (an unnamed Series of labels beside
    it). A header whose first column has no name
    (``,0,1,...``, or ``,0`` for a Series) heads the row numbers that ``to_csv`` writes by
    default (its index): that column is left out.

    Blank lines before it are counted: NumPy skips them among the rows, yet ``skiprows`` counts
    them, and a header after one was read as a beat. So are comment lines (from a ``#`` on, as
    NumPy reads the rows; ``savetxt(..., header=...)`` writes its header so): the comment was
    taken for the header, and a header under it (``# exported by ...`` above ``0,1,...,187``)
    read as a beat, or refused as "could not convert string 's0'"."""
    with open_text(path) as f:
        before, first = first_row(line.split("#", 1)[0] for line in f)
    if not first:
        return 0, None
    n_lines = before + 1
    # Under the empty cell, even one or two columns numbered 0 (0,1) are a header: a row of
    # samples has none empty (a Series written with to_csv() was "not a CSV of numbers").
    index_header = _is_header(first[1:]) or numbered_header(first[1:], shortest=1)
    if len(first) > 1 and not first[0] and index_header:
        return n_lines, range(1, len(first))
    return (n_lines if _is_header(first) else 0), None


def _is_header(first: list[str]) -> bool:
    """Whether a CSV's first row (its fields) names the columns (see :func:`_header_lines`)."""

    def number(text: str) -> float | None:
        try:
            return float(text)
        except ValueError:
            return None

    if all(number(v) is None for v in first):
        return True  # names; a row of numbers with one bad value is an error, reported later
    if first[-1].strip() and number(first[-1]) is None:
        return numbered_header(first[:-1])  # the numbers, then the label column's name
    # The numbers, then 0: an unnamed Series of labels beside a frame of beats
    # (pd.concat([beats, labels], axis=1)) is column 0 too. Read as a beat, its samples 0, 1,
    # 2... became a beat of class 0.
    return numbered_header(first) or (numbered_header(first[:-1]) and number(first[-1]) == 0)
