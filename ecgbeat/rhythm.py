"""Rhythm context of each beat: R-R interval features from the R peaks of a recording.

A beat cut at its own R peak shows its shape but barely its timing, and the timing is what tells a
supraventricular ectopic beat (S) from a normal one: it comes early, after a short R-R interval,
and is often followed by a longer one. These features carry it, for annotated and detected R peaks
alike (de Chazal et al. 2004; Mondéjar-Guerra et al. 2019). Dividing by the recording's own average
R-R interval is what makes them carry across patients, whose heart rates differ.

For R peaks ``p[0] < p[1] < ... < p[n-1]`` (sample indices at ``fs`` Hz), beat ``i`` gets, in
seconds (the columns, in the order of :data:`RR_FEATURE_NAMES`):

``rr_pre``
    ``p[i] - p[i-1]``, the interval before the beat;
``rr_post``
    ``p[i+1] - p[i]``, the interval after it;
``rr_local``
    the mean of the (up to) ``local_beats`` intervals that end at or before ``p[i]``: the rhythm
    just before the beat;
``rr_record``
    the mean of all intervals of the recording;
``rr_pre_norm``, ``rr_post_norm``, ``rr_local_norm``
    the first three divided by ``rr_record``.

Edge rules: the first beat has no interval before it, so its ``rr_pre`` and ``rr_local`` are the
recording's average (a neutral value: 1 after normalisation), and the last beat's ``rr_post`` is the
average too. Fewer than two R peaks give no interval at all: every feature is then NaN, and
:func:`rr_features` raises rather than invent a rhythm.

How early a beat comes matters against how much the patient's rhythm varies: an interval 30 %
short stands out in a steady sinus rhythm, not in atrial fibrillation, whose beats count as
normal. :func:`rr_zscores` gives ``rr_pre`` and ``rr_post`` as z-scores within the recording
(minus its mean interval, over the standard deviation of its intervals), for models that read
them after the template features (``n_rr_features=12``; what they did on DS1 and DS2 is in
docs/results.md).

Examples
--------
>>> import numpy as np
>>> from ecgbeat.rhythm import rr_features
>>> peaks = np.array([0, 360, 720, 936, 1440])  # 1 s, 1 s, then early (0.6 s) and late (1.4 s)
>>> [round(float(v), 3) for v in rr_features(peaks, fs=360)[3]]
[0.6, 1.4, 0.867, 1.0, 0.6, 1.4, 0.867]
"""

from __future__ import annotations

import numpy as np

from ecgbeat._checks import check_rate, check_seconds, is_finite_number, is_real_dtype
from ecgbeat.exceptions import SignalError

__all__ = [
    "N_RR_FEATURES",
    "N_RR_ZSCORES",
    "RR_FEATURE_NAMES",
    "RR_ZSCORE_NAMES",
    "rr_features",
    "rr_zscores",
]

#: Names of the columns of :func:`rr_features`, in order.
RR_FEATURE_NAMES = (
    "rr_pre",
    "rr_post",
    "rr_local",
    "rr_record",
    "rr_pre_norm",
    "rr_post_norm",
    "rr_local_norm",
)
#: Number of columns of :func:`rr_features`.
N_RR_FEATURES = len(RR_FEATURE_NAMES)
#: Names of the columns of :func:`rr_zscores`, in order.
RR_ZSCORE_NAMES = ("rr_pre_z", "rr_post_z")
#: Number of columns of :func:`rr_zscores`.
N_RR_ZSCORES = len(RR_ZSCORE_NAMES)


def rr_features(
    r_peaks, fs: float, *, local_beats: int = 10, average: float | None = None
) -> np.ndarray:
    """R-R interval features of every beat of one recording (see the module docstring).

    Parameters
    ----------
    r_peaks : array-like of int
        Sample indices of all the R peaks of one recording, strictly increasing (beats that will
        not be classified included: they shape their neighbours' intervals).
    fs : float
        Sampling frequency of the indices, in Hz.
    local_beats : int, default=10
        Number of preceding intervals averaged into ``rr_local``.
    average : float, optional
        The recording's average R-R interval in seconds, when ``r_peaks`` are only a stretch of
        it (a stream's latest beats: :class:`ecgbeat.streaming.StreamClassifier`). ``None``: the
        mean interval of ``r_peaks``.

    Returns
    -------
    features : ndarray of shape (n_peaks, 7), float32
        One row per R peak, columns as :data:`RR_FEATURE_NAMES`; times in seconds.

    Raises
    ------
    SignalError
        If there are fewer than two R peaks, or they are not strictly increasing.
    ValueError
        If ``fs`` is not a positive finite number, ``local_beats`` is not an integer >= 1, or
        ``average`` is not a positive finite number.

    Examples
    --------
    >>> import numpy as np
    >>> rr_features(np.arange(0, 2500, 250), fs=250)[:, [0, 3, 4]].mean(axis=0).tolist()
    [1.0, 1.0, 1.0]
    >>> rr_features(np.arange(0, 2500, 250), fs=250, average=0.5)[3, [0, 3, 4]].tolist()
    [1.0, 0.5, 2.0]
    """
    check_rate(fs)
    if not is_finite_number(local_beats) or int(local_beats) != local_beats or local_beats < 1:
        raise ValueError(f"local_beats must be an integer >= 1, got {local_beats!r}")
    if average is not None:
        check_seconds(average, "average")
    peaks = np.asarray(r_peaks)
    if peaks.ndim != 1 or (peaks.size and not is_real_dtype(peaks.dtype)):
        # The dtype too: bools or text in the right shape were refused for their "shape (3,)";
        # complex indices lost their imaginary part in the cast, with a mere ComplexWarning.
        raise SignalError(
            f"r_peaks must be a 1-D array of sample indices, got shape {peaks.shape} of dtype "
            f"{peaks.dtype}"
        )
    if peaks.size < 2:
        raise SignalError(
            f"R-R intervals need at least two R peaks; got {peaks.size}: the recording is too "
            "short or no beat was found"
        )
    if not np.isfinite(peaks).all():
        raise SignalError("r_peaks must be sample indices: they hold NaN or infinite values")
    rr = np.diff(peaks.astype(np.float64)) / fs
    if np.any(rr <= 0):
        raise SignalError("r_peaks must be strictly increasing")
    if average is None:
        average = rr.mean()
    pre = np.concatenate([[average], rr])
    post = np.concatenate([rr, [average]])
    # Mean of the last ``local_beats`` intervals ending at each peak, from a running sum.
    cumulative = np.concatenate([[0.0], np.cumsum(rr)])
    ends = np.arange(1, peaks.size)
    # Bounded by the intervals there are: more reads them all, and a huge count (1e300) raised
    # OverflowError in the int64 subtraction.
    starts = np.maximum(ends - min(int(local_beats), peaks.size), 0)
    local = np.concatenate([[average], (cumulative[ends] - cumulative[starts]) / (ends - starts)])
    record = np.full(peaks.size, average)
    columns = (pre, post, local, record, pre / average, post / average, local / average)
    return np.column_stack(columns).astype(np.float32)


def rr_zscores(rr, *, std: float | None = None) -> np.ndarray:
    """``rr_pre`` and ``rr_post`` of each beat as z-scores within its recording.

    Each is the interval minus the recording's mean interval (``rr_record``), over the standard
    deviation of the recording's intervals (see the module docstring). The edges' intervals are
    the mean, so their z-score is 0; so is every z-score of a recording whose intervals do not
    vary.

    Parameters
    ----------
    rr : array-like of shape (n_beats, 7)
        The :func:`rr_features` of the beats of one recording, as the cut gives them: every beat
        but the last, whose ``rr_post`` column then holds every interval of the recording.
    std : float, optional
        The standard deviation of the recording's intervals, in seconds, when ``rr`` holds only
        some of its beats (a stream's latest: :class:`ecgbeat.streaming.StreamClassifier`).
        ``None``: that of the ``rr_post`` column.

    Returns
    -------
    zscores : ndarray of shape (n_beats, 2), float32
        Columns as :data:`RR_ZSCORE_NAMES`.

    Raises
    ------
    ValueError
        If ``rr`` is not real numbers, does not have the 7 columns of :func:`rr_features` or
        holds NaN or infinite values, or ``std`` is not a finite number >= 0.

    Examples
    --------
    >>> import numpy as np
    >>> peaks = np.array([0, 360, 720, 936, 1440, 1800])  # steady 1 s, then early and late
    >>> rr = rr_features(peaks, fs=360)[:-1]  # the beats a cut gives: all but the last
    >>> rr_zscores(rr).astype(float).round(2).tolist()
    [[0.0, 0.0], [0.0, 0.0], [0.0, -1.58], [-1.58, 1.58], [1.58, 0.0]]
    """
    rr = np.asarray(rr)
    if rr.size and not is_real_dtype(rr.dtype):
        # The cast to float64 read text ("0.8") and bools as numbers, and dropped the imaginary
        # part of complex values with a mere warning.
        raise ValueError(f"rr must be real numbers, got dtype {rr.dtype}")
    rr = rr.astype(np.float64)
    if rr.ndim != 2 or rr.shape[1] != N_RR_FEATURES:
        raise ValueError(
            f"rr must have the {N_RR_FEATURES} columns of rr_features, got shape {rr.shape}"
        )
    if not np.isfinite(rr).all():
        # A NaN made the standard deviation NaN, which is not > 0: every z-score came back 0.
        raise ValueError("rr must be finite numbers; it holds NaN or infinite values")
    if std is None:
        std = float(rr[:, 1].std()) if len(rr) else 0.0
    elif not (is_finite_number(std) and std >= 0):
        raise ValueError(f"std must be a number of seconds >= 0, got {std!r}")
    zscores = np.zeros((len(rr), N_RR_ZSCORES), dtype=np.float32)
    if std > 0:
        zscores[:] = (rr[:, :2] - rr[:, 3:4]) / std
    return zscores
