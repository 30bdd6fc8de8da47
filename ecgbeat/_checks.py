"""The checks of a parameter that every module's own validation builds on."""

from __future__ import annotations

import numbers
import sys

import numpy as np


def is_finite_number(value) -> bool:
    """Whether ``value`` is a finite real number, and not a bool.

    Text or None would fail in ``np.isfinite`` with a TypeError that names neither the
    parameter nor the cause; a bool is no rate, count or length.

    Examples
    --------
    >>> [is_finite_number(v) for v in (360, 0.5, float("nan"), "360", None, True, 2**70)]
    [True, True, False, False, False, False, True]
    """
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        return False
    # Every integer is finite; np.isfinite raised a TypeError for one past int64 (2**70), so a
    # check built on this one failed with an error that named neither the parameter nor why.
    return isinstance(value, numbers.Integral) or bool(np.isfinite(value))


def non_finite_rows(values: np.ndarray) -> np.ndarray:
    """The indices of the rows of ``values`` (one per beat) that hold a NaN or infinite value.

    >>> non_finite_rows(np.array([[0.0, 1.0], [np.nan, 0.0], [0.0, np.inf]])).tolist()
    [1, 2]
    """
    return np.flatnonzero(~np.isfinite(values).reshape(len(values), -1).all(axis=1))


def is_real_dtype(dtype) -> bool:
    """Whether ``dtype`` holds real numbers: integers or floats, not bools, complex values,
    text or objects (which a cast to float would read, or half-read, without an error).

    Examples
    --------
    >>> [is_real_dtype(np.dtype(t)) for t in ("int16", "float32", "bool", "complex64", "U3")]
    [True, True, False, False, False]
    """
    return np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)


def is_integer(value) -> bool:
    """Whether ``value`` is an integer (Python's or NumPy's), and not a bool.

    Python counts a bool as an int, so ``isinstance(True, numbers.Integral)`` holds; a bool is no
    count, length or index.

    Examples
    --------
    >>> [is_integer(v) for v in (3, np.int64(3), 3.0, "3", None, True)]
    [True, True, False, False, False, False]
    """
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_flag(value, parameter: str) -> bool:
    """``value`` as a bool, refused unless it is one (Python's or NumPy's).

    Text is truthy: ``quality="no"`` or ``"False"`` turned the option on without a word.

    Raises
    ------
    ValueError
        Naming ``parameter`` and the value given.

    Examples
    --------
    >>> check_flag(np.True_, "quality")
    True
    >>> check_flag("no", "quality")
    Traceback (most recent call last):
    ...
    ValueError: quality must be True or False, got 'no'
    """
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{parameter} must be True or False, got {value!r}")
    return bool(value)


def check_rate(value, parameter: str = "fs") -> float:
    """A sampling frequency as a float, refused unless a finite number of Hz above 0.

    A rate of 0 divides by zero, a negative one puts samples at negative times, NaN makes every
    later step NaN, and text (``"360"``) is no number: each would fail later with an error that
    names neither the parameter nor the cause.

    Raises
    ------
    ValueError
        Naming ``parameter`` and the value given.

    Examples
    --------
    >>> check_rate(360)
    360.0
    >>> check_rate(0, "target_fs")
    Traceback (most recent call last):
    ...
    ValueError: target_fs must be a finite number of Hz > 0, got 0
    """
    if not (is_finite_number(value) and value > 0):
        raise ValueError(f"{parameter} must be a finite number of Hz > 0, got {value!r}")
    return float(value)


def check_seconds(value, parameter: str) -> float:
    """A duration as a float, refused unless a finite number of seconds above 0.

    Raises
    ------
    ValueError
        Naming ``parameter`` and the value given.

    Examples
    --------
    >>> check_seconds(10, "window")
    10.0
    >>> check_seconds(0, "window")
    Traceback (most recent call last):
    ...
    ValueError: window must be a positive number of seconds, got 0
    """
    if not (is_finite_number(value) and value > 0):
        raise ValueError(f"{parameter} must be a positive number of seconds, got {value!r}")
    return float(value)


def group_codes(groups: np.ndarray, what: str = "group") -> tuple[np.ndarray, np.ndarray]:
    """The distinct groups (sorted) and each beat's index among them, as ``np.unique`` gives
    them, refused when a group is missing or the groups cannot be sorted.

    NumPy counts every NaN as one value, so the beats of unknown groups would be taken as one
    group's; and text mixed with numbers (or with None or NaN, as a pandas column with a gap
    gives) failed in its sort as "'<' not supported between instances of 'float' and 'str'".

    Raises
    ------
    ValueError
        Naming ``groups``, the missing entries or the kinds of values mixed; ``what`` is what a
        group stands for (a patient, a recording).

    Examples
    --------
    >>> group_codes(np.array(["b", "a", "b"]))[1].tolist()
    [1, 0, 1]
    >>> group_codes(np.array([1.0, np.nan]), "patient")
    Traceback (most recent call last):
    ...
    ValueError: groups must name a patient for every beat; 1 are missing (NaN)
    """
    try:
        unique, codes = np.unique(groups, return_inverse=True)
    except TypeError:
        kinds = sorted({type(group).__name__ for group in groups.tolist()})
        raise ValueError(
            f"groups must be all numbers or all text, one {what} per beat, with none missing; "
            f"got a mix of {', '.join(kinds)}"
        ) from None
    if groups.dtype.kind in "fc":
        n_missing = int(np.isnan(groups).sum())
    elif groups.dtype.kind == "O":
        # Numbers in an object array (a pandas column cast to object) sort with NaN among them,
        # and np.unique made the beats of unknown groups one group.
        n_missing = sum(
            isinstance(group, float | np.floating) and bool(np.isnan(group))
            for group in groups.tolist()
        )
    else:
        n_missing = 0
    if n_missing:
        raise ValueError(f"groups must name a {what} for every beat; {n_missing} are missing (NaN)")
    return unique, codes


def refuse_repeated_names(names, what: str) -> None:
    """Refuse class names of which two are the same: their classes could not be told apart.

    Tables, reports and metrics are keyed by name: of two classes of one name, one's figures
    would be lost and the other's shown twice.

    Raises
    ------
    ValueError
        If a name is given twice; the message starts with ``what``.

    Examples
    --------
    >>> refuse_repeated_names(["N", "V"], "class_names")
    >>> refuse_repeated_names(["N", "V", "N"], "class_names")
    Traceback (most recent call last):
    ...
    ValueError: class_names ['N', 'V', 'N'] repeat N: each class needs its own
    """
    twice = sorted({str(n) for n in names if list(names).count(n) > 1})
    if twice:
        raise ValueError(
            f"{what} {list(names)} repeat {', '.join(twice)}: each class needs its own"
        )


def refuse_missing_labels(labels, name: str) -> None:
    """Refuse labels of which some are missing: None, NaN or pandas' NA.

    A column of classes read with pandas holds NaN where a class is missing (NA in a "string"
    column): among names, it made NumPy's sort fail ("'<' not supported between instances of
    'float' and 'str'"), among codes it became a class of its own, "nan", and scikit-learn's
    check for NaN failed on NA as "boolean value of NA is ambiguous".

    Raises
    ------
    ValueError
        Naming ``name`` and counting the missing labels.

    Examples
    --------
    >>> refuse_missing_labels(["N", "V"], "y")
    >>> refuse_missing_labels(np.array(["N", None, "V"], dtype=object), "y_true")
    Traceback (most recent call last):
    ...
    ValueError: y_true must name a class for every beat; 1 is missing (None, NaN or pandas' NA)
    """
    labels = np.asarray(labels)
    if labels.dtype.kind == "f":
        missing = int(np.count_nonzero(np.isnan(labels)))
    elif labels.dtype.kind == "O":
        # pandas' NA can only be in the data if pandas was imported: no import of it here.
        pandas = sys.modules.get("pandas")
        missing = sum(
            label is None
            or (pandas is not None and label is pandas.NA)
            or (isinstance(label, float | np.floating) and bool(np.isnan(label)))
            for label in labels.ravel().tolist()
        )
    else:
        return
    if missing:
        raise ValueError(
            f"{name} must name a class for every beat; {missing} "
            f"{'is' if missing == 1 else 'are'} missing (None, NaN or pandas' NA)"
        )
