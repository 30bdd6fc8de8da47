"""Shape context of each beat: how far it departs from its recording's median beat.

The median beat of a recording is its patient's usual beat. How far a beat departs from it is a
per-patient normalisation of shape, as the R-R features of :mod:`ecgbeat.rhythm` are one of
timing: a wide ventricular beat that would pass for normal in another patient stands out against
this patient's own template. On the DS1 records alone (grouped 4-fold cross-validation, three
seeds; ``experiments/ds1_selection.py``) these three columns after the R-R features raised the
pooled macro-F1 (N, S, V, F) in each seed, mostly through V beats.

For the beats ``b[0], ..., b[n-1]`` of one recording (rows of samples at ``fs`` Hz that start at
their R peaks, as :func:`ecgbeat.beats.segment_beats` cuts them) and their sample-wise median
``m``, beat ``i`` gets (the columns, in the order of :data:`TEMPLATE_FEATURE_NAMES`):

``template_corr_short``
    the Pearson correlation of ``b[i]`` with ``m`` over the first 0.4 s (the QRS complex and the
    ST segment); 0 where either is flat;
``template_corr_long``
    the same over the first 0.75 s (with the T wave);
``template_rmsd_short``
    the root-mean-square difference of ``b[i]`` and ``m`` over the first 0.4 s.

Examples
--------
>>> import numpy as np
>>> from ecgbeat.template import template_features
>>> t = np.arange(187) / 125
>>> usual = np.exp(-((t - 0.05) / 0.02) ** 2)  # a narrow QRS
>>> wide = np.exp(-((t - 0.08) / 0.06) ** 2)  # a wide one
>>> features = template_features(np.array([usual, usual, usual, wide]))
>>> [round(float(v), 2) for v in features[:, 0]]
[1.0, 1.0, 1.0, 0.54]
"""

from __future__ import annotations

import numpy as np

from ecgbeat._checks import check_rate, group_codes, is_real_dtype

__all__ = [
    "COMPARED_SECONDS",
    "N_TEMPLATE_FEATURES",
    "TEMPLATE_FEATURE_NAMES",
    "compare_with_template",
    "template_features",
]

#: Names of the columns of :func:`template_features`, in order.
TEMPLATE_FEATURE_NAMES = ("template_corr_short", "template_corr_long", "template_rmsd_short")
#: Number of columns of :func:`template_features`.
N_TEMPLATE_FEATURES = len(TEMPLATE_FEATURE_NAMES)

#: Length of each beat that the features read, from its R peak, in seconds.
COMPARED_SECONDS = 0.75
_SHORT_SECONDS = 0.4


def template_features(beats, groups=None, *, fs: float = 125.0) -> np.ndarray:
    """Each beat against the median beat of its recording (see the module docstring).

    Parameters
    ----------
    beats : array-like of shape (n_beats, n_samples)
        Beats that start at their R peaks, sampled at ``fs`` (the 187-sample beats of
        :func:`ecgbeat.beats.segment_beats`), without any feature columns after them.
    groups : array-like of shape (n_beats,), optional
        The recording of each beat: each beat is compared with the median beat of its own
        recording. ``None``: all the beats are of one recording.
    fs : float, default=125.0
        Sampling frequency of the beats, in Hz.

    Returns
    -------
    features : ndarray of shape (n_beats, 3), float32
        One row per beat, columns as :data:`TEMPLATE_FEATURE_NAMES`.

    Raises
    ------
    ValueError
        If ``beats`` is not a 2-D array of finite numbers, ``groups`` does not have one entry per
        beat, ``fs`` is not a positive finite number, or the beats are shorter than 0.75 s.

    Examples
    --------
    >>> import numpy as np
    >>> beats = np.tile(np.hanning(187), (4, 1))
    >>> template_features(beats, groups=["a", "a", "b", "b"]).tolist()[0]
    [1.0, 1.0, 0.0]
    """
    x, long = _checked_beats(beats, fs)
    if groups is None:
        groups = np.zeros(len(x), dtype=np.int64)
    groups = np.asarray(groups)
    if groups.shape != (len(x),):
        raise ValueError(f"groups has shape {groups.shape}; expected one entry per beat ({len(x)})")
    features = np.zeros((len(x), N_TEMPLATE_FEATURES))
    if len(x) == 0:
        return features.astype(np.float32)
    # Only the first 0.75 s are compared: the rest of each beat need not be copied or sorted.
    x = x[:, :long].astype(np.float64)
    _, code = group_codes(groups, "recording")
    order = np.argsort(code, kind="stable")
    for rows in np.split(order, np.flatnonzero(np.diff(code[order])) + 1):
        part = x[rows]
        features[rows] = _compared(part, np.median(part, axis=0), fs)
    return features.astype(np.float32)


def compare_with_template(beats, template, *, fs: float = 125.0) -> np.ndarray:
    """Beats against a template that the caller keeps: the columns of :func:`template_features`.

    For a caller that keeps its own median beat, e.g. :class:`ecgbeat.streaming.StreamClassifier`
    (the median of the last beats received): ``template_features(beats)`` is
    ``compare_with_template(beats, np.median(beats, axis=0))``.

    Parameters
    ----------
    beats : array-like of shape (n_beats, n_samples)
        Beats that start at their R peaks, sampled at ``fs``, without feature columns.
    template : array-like of shape (n_template_samples,)
        The usual beat, from its R peak, at ``fs``; only its first :data:`COMPARED_SECONDS`
        are read.
    fs : float, default=125.0
        Sampling frequency of the beats and the template, in Hz.

    Returns
    -------
    features : ndarray of shape (n_beats, 3), float32
        One row per beat, columns as :data:`TEMPLATE_FEATURE_NAMES`.

    Raises
    ------
    ValueError
        If ``beats`` is not a 2-D array of finite numbers, ``template`` not a 1-D one, ``fs`` is
        not a positive finite number, or either is shorter than :data:`COMPARED_SECONDS`.

    Examples
    --------
    >>> import numpy as np
    >>> usual = np.hanning(187)
    >>> compare_with_template(np.array([usual, 2 * usual]), usual)[:, 0].tolist()
    [1.0, 1.0]
    """
    x, long = _checked_beats(beats, fs)
    template = np.asarray(template)
    if template.ndim != 1:
        raise ValueError(f"template must be a 1-D array of samples, got shape {template.shape}")
    _check_finite(template, "template")
    if template.size < long:
        raise ValueError(
            f"a template of {template.size} samples is shorter than the {COMPARED_SECONDS} s "
            f"({long} samples at {fs} Hz) that the template features compare"
        )
    part = x[:, :long].astype(np.float64)
    return _compared(part, template[:long].astype(np.float64), fs).astype(np.float32)


def _checked_beats(beats, fs: float) -> tuple[np.ndarray, int]:
    """The beats as an array and the samples of each that the features read (the first
    :data:`COMPARED_SECONDS`); a ValueError naming what is wrong with them or with ``fs``."""
    check_rate(fs)
    if round(_SHORT_SECONDS * fs) < 2:  # a correlation or an RMS of no samples is NaN
        raise ValueError(
            f"fs of {fs} Hz leaves fewer than 2 samples in the {_SHORT_SECONDS} s after R that "
            "the template features compare: give the beats' own rate (125 Hz for segment_beats')"
        )
    x = np.asarray(beats)
    if x.ndim != 2:
        raise ValueError(f"beats must be a 2-D array (n_beats, n_samples), got shape {x.shape}")
    _check_finite(x, "beats")
    long = round(COMPARED_SECONDS * fs)
    if x.shape[1] < long:
        raise ValueError(
            f"beats of {x.shape[1]} samples are shorter than the {COMPARED_SECONDS} s "
            f"({long} samples at {fs} Hz) that the template features compare"
        )
    return x, long


def _check_finite(values: np.ndarray, name: str) -> None:
    # Complex samples too: the cast to float64 dropped their imaginary part with a mere warning.
    if not is_real_dtype(values.dtype) or not np.all(np.isfinite(values)):
        raise ValueError(
            f"{name} must be finite real numbers; they contain NaN, infinite or non-real values"
            f" (dtype {values.dtype})"
        )


def _compared(part: np.ndarray, median: np.ndarray, fs: float) -> np.ndarray:
    """The three columns for beats and a template of the compared length, in float64."""
    short = round(_SHORT_SECONDS * fs)
    rmsd = np.sqrt(((part[:, :short] - median[:short]) ** 2).mean(axis=1))
    return np.column_stack(
        [_correlation(part[:, :short], median[:short]), _correlation(part, median), rmsd]
    )


def _correlation(beats: np.ndarray, template: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row with one template; 0 where either is constant."""
    a = beats - beats.mean(axis=1, keepdims=True)
    b = template - template.mean()
    norm = np.sqrt((a**2).sum(axis=1) * (b**2).sum())
    # Constant by its samples, not by its deviations: a flat row's mean is off its value by a
    # rounding error, and two flat lines (0.3 throughout) were then correlated +1 or -1.
    flat = (beats.max(axis=1) == beats.min(axis=1)) | (template.max() == template.min())
    return np.divide(a @ b, norm, out=np.zeros(len(a)), where=(norm > 0) & ~flat)
