"""The checks of a numeric parameter that every module's own validation builds on."""

from __future__ import annotations

import numbers

import numpy as np


def is_finite_number(value) -> bool:
    """Whether ``value`` is a finite real number, and not a bool.

    Text or None would fail in ``np.isfinite`` with a TypeError that names neither the
    parameter nor the cause; a bool is no rate, count or length.

    Examples
    --------
    >>> [is_finite_number(v) for v in (360, 0.5, float("nan"), "360", None, True)]
    [True, True, False, False, False, False]
    """
    return (
        isinstance(value, numbers.Real) and not isinstance(value, bool) and bool(np.isfinite(value))
    )


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
