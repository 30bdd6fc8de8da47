"""Heartbeat segmentation of Kachuee et al. (2018, arXiv:1805.00794, §III.A).

A raw single-lead ECG at any sampling frequency becomes fixed-length beats:

1. resample to ``target_fs`` (125 Hz) with a polyphase anti-aliasing filter;
2. split into windows of ``window_seconds`` (10 s); scale each window to [0, 1];
3. take the R peaks (the caller's reference annotations, or a detector from :mod:`ecgbeat.qrs`);
4. ``T`` = median R-R interval of the window; from each R peak take ``segment_factor * T``
   (1.2 T) samples, zero-padded (or truncated) to ``beat_length`` (187).

Choices the paper leaves open, made here and kept stable:

* **Window edges.** A beat may run past the end of its window. Its samples are taken from the
  continuous signal, and each window's [0, 1] scaling is computed over the window *plus the tails
  of the beats that start in it*, so beats never jump at a window edge and stay inside [0, 1].
* **Last partial window.** The signal's tail shorter than a window is a window of its own.
* **Windows with fewer than two R peaks** use the median R-R interval of the whole signal (a
  signal with fewer than two R peaks has no beats: its one R peak is the last, dropped below).
* **R peaks on one sample** at ``target_fs`` (closer than a sample: one beat marked twice) keep a
  beat each, the later one a copy of the earlier one's, with a warning; their intervals of 0 are
  left out of the median R-R intervals.
* **The last R peak** of the signal is dropped: it has no following R-R interval and its segment
  is usually cut by the end of the recording. This reproduces the Kaggle release exactly in
  count: its 109,446 beats are the 109,494 MIT-BIH beat annotations less the last one of each of
  the 48 records (N -42, S -2, Q -4).
* **Short signals.** A signal shorter than one window is one partial window; a signal shorter than
  ``beat_length`` samples at ``target_fs`` (1.5 s by default) raises :class:`SignalError`.

Examples
--------
>>> import numpy as np
>>> from ecgbeat.beats import segment_beats
>>> fs = 360
>>> t = np.arange(30 * fs) / fs
>>> r = np.arange(180, t.size - 100, 288)  # 75 bpm
>>> ecg = np.exp(-(((t[:, None] - r / fs) / 0.01) ** 2)).sum(axis=1)
>>> seg = segment_beats(ecg, fs, r_peaks=r)
>>> seg.beats.shape, seg.beats.dtype, bool(seg.beats.min() >= 0 and seg.beats.max() <= 1)
((36, 187), dtype('float32'), True)
>>> bool((seg.r_peaks == r[:-1]).all())
True
"""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import NamedTuple

import numpy as np
from scipy.signal import firwin, resample_poly

from ecgbeat._checks import check_flag, check_rate, is_finite_number, is_integer, is_real_dtype
from ecgbeat._warnings import warn_caller
from ecgbeat.exceptions import SignalError
from ecgbeat.qrs import detect_r_peaks, refine_r_peaks
from ecgbeat.rhythm import N_RR_FEATURES, rr_features, rr_zscores
from ecgbeat.signals import (
    check_r_peaks,
    check_signal,
    samples_up_to,
    unit_scale,
    window_medians,
)
from ecgbeat.template import template_features

__all__ = [
    "BeatSegments",
    "check_feature_layout",
    "check_segment_params",
    "cut_beats",
    "feature_rows",
    "resample",
    "segment_beats",
]


class BeatSegments(NamedTuple):
    """Result of :func:`segment_beats`.

    Attributes
    ----------
    beats : ndarray of shape (n_beats, beat_length), float32
        The beats, each starting at its R peak, scaled to [0, 1] and zero-padded.
    r_peaks : ndarray of shape (n_beats,), int64
        Sample index of each beat's R peak in the original signal (at the original rate).
    windows : ndarray of shape (n_beats,), int64
        Index of the ``window_seconds`` window each beat's R peak lies in.

    Examples
    --------
    >>> import numpy as np
    >>> seg = BeatSegments(np.zeros((0, 187), np.float32), np.zeros(0, np.int64),
    ...                    np.zeros(0, np.int64))
    >>> len(seg.beats)
    0
    """

    beats: np.ndarray
    r_peaks: np.ndarray
    windows: np.ndarray


def rate_ratio(fs: float, target_fs: float) -> Fraction:
    """``target_fs / fs`` as the fraction that :func:`resample` resamples by.

    Its denominator is how many input samples map onto a whole number of output samples: a
    stretch of signal resampled from a multiple of it lies on the whole signal's output grid.

    Examples
    --------
    >>> rate_ratio(360, 125)
    Fraction(25, 72)
    """
    # As Python floats: NumPy 2 keeps float32 / float in float32, which Fraction refuses.
    return Fraction(float(target_fs) / float(fs)).limit_denominator(1000)


def resample(signal, fs: float, target_fs: float) -> np.ndarray:
    """Resample a signal with a polyphase anti-aliasing filter.

    The rate ratio is approximated by a fraction with a denominator of at most 1000
    (exact for the usual ECG rates: 360 -> 125 Hz is 25/72).

    Parameters
    ----------
    signal : array-like of shape (n_samples,)
        The signal.
    fs : float
        Its sampling frequency in Hz.
    target_fs : float
        The wanted sampling frequency in Hz.

    Returns
    -------
    resampled : ndarray of shape (ceil(n_samples * up / down),), float64
        The resampled signal.

    Raises
    ------
    ValueError
        If ``signal`` is not a 1-D array of real numbers, ``fs`` or ``target_fs`` is not a finite
        number > 0, or ``target_fs`` is under a 2000th of ``fs`` (a ratio that rounds to 0).

    Examples
    --------
    >>> import numpy as np
    >>> resample(np.ones(360), 360, 125).shape
    (125,)
    """
    x = np.asarray(signal)
    if x.ndim != 1 or not is_real_dtype(x.dtype):
        # resample_poly resamples along the first axis: a (2, n) array of two leads came back as
        # one row of n samples, without an error; complex samples lost their imaginary part.
        raise ValueError(
            f"signal must be a 1-D array of real numbers, got shape {x.shape} of dtype {x.dtype}"
        )
    x = x.astype(np.float64, copy=False)
    # Checked here, as resample is public: a rate of 0 divided by zero, a negative one reached
    # resample_poly as "up and down must be >= 1", and NaN "cannot convert NaN to integer ratio".
    check_rate(fs)
    check_rate(target_fs, "target_fs")
    ratio = rate_ratio(fs, target_fs)
    if ratio == 0:
        raise ValueError(
            f"target_fs of {target_fs:g} Hz is too low a rate for a signal at {fs:g} Hz: the "
            "ratio rounds to 0"
        )
    if ratio == 1:
        return x.copy()
    # Pad with the edge values so that the filter does not pull the signal's ends toward zero.
    # The line through one sample is its value: scipy's line fit divides by n - 1, and one
    # sample came back NaN.
    return resample_poly(
        x,
        ratio.numerator,
        ratio.denominator,
        window=_anti_aliasing_filter(ratio.numerator, ratio.denominator),
        padtype="line" if x.size > 1 else "edge",
    )


@functools.lru_cache(maxsize=32)
def _anti_aliasing_filter(up: int, down: int) -> np.ndarray:
    """The filter that ``resample_poly`` designs by default for ``up / down``, designed once:
    the design costs more than resampling one beat's stretch, which a stream does every hop."""
    max_rate = max(up, down)
    taps = firwin(2 * 10 * max_rate + 1, 1.0 / max_rate, window=("kaiser", 5.0))
    taps.setflags(write=False)  # shared by every call; resample_poly copies it before use
    return taps


def _to_target_rate(r_peaks: np.ndarray, fs: float, target_fs: float, n: int) -> np.ndarray:
    # The resampled signal's rate is fs times the rounded ratio, not target_fs: the R peaks
    # move by that ratio too, or they drift away from their beats over a long recording at a
    # rate whose ratio needs a denominator over 1000 (499.7 Hz: 3 samples a minute).
    return np.minimum(np.rint(r_peaks * float(rate_ratio(fs, target_fs))).astype(np.int64), n - 1)


def segment_beats(
    signal,
    fs: float,
    r_peaks=None,
    *,
    detector: str = "pan-tompkins",
    target_fs: float = 125.0,
    beat_length: int = 187,
    window_seconds: float = 10.0,
    segment_factor: float = 1.2,
    before_r: float = 0.0,
    name: str = "signal",
) -> BeatSegments:
    """Cut a single-lead ECG into fixed-length, [0, 1]-scaled beats (Kachuee et al. 2018).

    See the module docstring for the recipe and its edge rules.

    Parameters
    ----------
    signal : array-like of shape (n_samples,)
        One raw ECG lead, any unit; integer ADC values are accepted.
    fs : float
        Sampling frequency of ``signal`` in Hz (any rate, 40 Hz or more).
    r_peaks : array-like of int, optional
        Reference R-peak sample indices at the original rate (e.g. from annotations). When
        omitted, R peaks are found by ``detector`` on the original signal.
    detector : {"pan-tompkins", "threshold"}, default="pan-tompkins"
        R-peak detector used when ``r_peaks`` is None, see :func:`ecgbeat.qrs.detect_r_peaks`;
        another than the default beside ``r_peaks``, which give the R peaks, is refused.
    target_fs : float, default=125.0
        Sampling frequency of the beats.
    beat_length : int, default=187
        Samples per beat.
    window_seconds : float, default=10.0
        Length of the scaling windows.
    segment_factor : float, default=1.2
        Each beat spans ``segment_factor`` times the window's median R-R interval.
    before_r : float, default=0.0
        Start each beat this many seconds before its R peak, so that it shows what precedes
        the QRS complex (the P wave: absent or abnormal in many supraventricular ectopic beats).
        The beat keeps ``beat_length`` samples in all: the part before the R peak, then up to
        ``segment_factor`` R-R intervals from it; a beat whose R peak lies less than
        ``before_r`` after the signal's start repeats the signal's first sample before it.
        ``0`` is the paper's segmentation.
    name : str, default="signal"
        How error messages name the signal (e.g. ``"record 100"``).

    Returns
    -------
    BeatSegments
        Named tuple ``(beats, r_peaks, windows)``: float32 beats of shape
        ``(n_beats, beat_length)`` in [0, 1], the R peak of each beat as a sample index of the
        original signal, and the window index of each beat.

    Raises
    ------
    SignalError
        For NaN/inf, a non-1-D signal, a bad ``fs``, a signal shorter than ``beat_length`` samples
        at ``target_fs``, or R peaks outside the signal / not increasing.
    ValueError
        For a segment parameter out of its range, or a ``detector`` other than the default
        beside ``r_peaks``.

    Warns
    -----
    UserWarning
        For R peaks that fall on the same sample at ``target_fs`` as the peak before them.

    Examples
    --------
    >>> import numpy as np
    >>> fs = 1000
    >>> t = np.arange(12 * fs) / fs
    >>> ecg = sum(np.exp(-(((t - c) / 0.01) ** 2)) for c in np.arange(0.3, 12, 1.0))
    >>> seg = segment_beats(ecg, fs)
    >>> seg.beats.shape, seg.r_peaks[:3].tolist(), seg.windows.tolist()[-3:]
    ((11, 187), [300, 1300, 2300], [0, 0, 1])
    >>> # 1.2 s at 125 Hz from the R peak (scaled to 1), then zero padding
    >>> float(seg.beats[0, 0]), bool(seg.beats[0, 150:].any())
    (1.0, False)
    """
    x, fs = check_signal(signal, fs, name=name)
    before = check_segment_params(
        target_fs=target_fs,
        beat_length=beat_length,
        window_seconds=window_seconds,
        segment_factor=segment_factor,
        before_r=before_r,
    )
    if r_peaks is not None:
        refuse_detector_beside_r_peaks(detector, "r_peaks", name)
    if x.size * target_fs / fs < beat_length:
        raise SignalError(
            f"{name}: too short to segment: {x.size} samples at {fs:g} Hz "
            f"({x.size / fs:.2f} s); at least {beat_length / target_fs:.2f} s is needed"
        )
    if r_peaks is None:
        r_orig = detect_r_peaks(x, fs, method=detector)
    else:
        r_orig = check_r_peaks(r_peaks, x.size, name)
    empty = BeatSegments(
        np.zeros((0, beat_length), np.float32), np.zeros(0, np.int64), np.zeros(0, np.int64)
    )
    if r_orig.size < 2:
        return empty

    # Windows are rescaled to [0, 1] anyway; this keeps window spans of extreme signals finite.
    y = resample(unit_scale(x), fs, target_fs)
    n = y.size
    r_all = _to_target_rate(r_orig, fs, target_fs, n)
    # One past the end is the whole signal: 1e308 s, an infinite number of samples, raised
    # OverflowError.
    win = max(1, samples_up_to(window_seconds, target_fs, n))
    win_all = r_all // win
    n_windows = -(-n // win)

    rr = np.diff(r_all).astype(np.float64)
    # R peaks closer than a sample at target_fs (a double detection, or peaks of a 1 kHz record
    # 3 ms apart) meet on one sample: their intervals of 0 made the median 0 wherever they were
    # half of a window's, and every beat of that window (of the record, at worst) all zeros.
    meets = rr == 0
    if meets.all():
        _warn_meeting_peaks(r_orig, meets, target_fs, name, all_meet=True)
        return empty
    if meets.any():
        _warn_meeting_peaks(r_orig, meets, target_fs, name)
    # Median R-R interval per window, from consecutive R peaks that both lie in the window.
    same = (win_all[1:] == win_all[:-1]) & ~meets
    # All windows at once: a np.median call per window cost more than the rest of the cut.
    last = np.cumsum(np.bincount(win_all[1:][same], minlength=n_windows))
    rr_median = window_medians(rr[same], np.r_[0, last[:-1]], last)  # in window order already
    rr_median[np.isnan(rr_median)] = np.median(rr[~meets])  # a window with no interval of its own

    # The last R peak is dropped (see the module docstring).
    r, w_idx, r_keep = r_all[:-1], win_all[:-1], r_orig[:-1]
    # Bounded before the cast: a huge segment_factor (1e17) is past int64, which the cast
    # turned into a negative length, and every beat into zeros.
    length = np.minimum(segment_factor * rr_median[w_idx], beat_length - before)
    length = np.minimum(np.rint(length).astype(np.int64), n - r)

    # Each window is scaled over itself and the tails of its beats, so no beat leaves [0, 1].
    starts = np.arange(n_windows) * win
    ends = np.minimum(starts + win, n)
    np.maximum.at(ends, w_idx, r + length)
    if before:  # the windows reach back to the starts of their beats too
        np.minimum.at(starts, w_idx, np.maximum(r - before, 0))
    lo = np.array([y[s:e].min() for s, e in zip(starts, ends, strict=True)])
    span = np.array([np.ptp(y[s:e]) for s, e in zip(starts, ends, strict=True)])
    span[span == 0] = 1.0  # a flat window scales to zeros rather than dividing by zero

    offsets = np.arange(beat_length)
    idx = np.clip(r[:, None] - before + offsets, 0, n - 1)
    values = (y[idx] - lo[w_idx, None]) / span[w_idx, None]
    beats = np.where(offsets < before + length[:, None], values, 0.0).astype(np.float32)
    # Rounding in the division can leave a hair outside [0, 1].
    np.clip(beats, 0.0, 1.0, out=beats)
    return BeatSegments(beats, r_keep, w_idx.astype(np.int64))


def _warn_meeting_peaks(
    r_peaks: np.ndarray, meets: np.ndarray, target_fs: float, name: str, *, all_meet: bool = False
) -> None:
    """Say which R peaks fall on the sample of the one before at ``target_fs`` (``meets``: of
    each interval) and what their beats are."""
    first = int(r_peaks[1:][meets][0])
    where = (
        f"{int(meets.sum())} R peak(s) fall on the same sample at {target_fs:g} Hz as the peak "
        f"before them (the first at sample {first})"
    )
    if all_meet:
        what = "so there is one R peak only at that rate, and no beat"
    else:
        what = (
            "each one's beat is a copy of that peak's beat, and their intervals of 0 are left "
            "out of the beats' lengths"
        )
    warn_caller(
        f"{name}: {where}: {what}. Peaks this close are one beat marked twice: give one R peak "
        "per beat",
        UserWarning,
    )


def cut_beats(
    signal,
    fs: float,
    r_peaks=None,
    *,
    detector: str = "pan-tompkins",
    refine_radius: float | None = None,
    name: str = "signal",
    **segment_params,
) -> tuple[BeatSegments, np.ndarray]:
    """The beats of a recording and their rhythm: R peaks, refined, segmented, R-R features.

    The one path from a raw lead to a model's rows, for annotated and detected R peaks alike:
    the peaks (given, or found by ``detector``) are moved to their dominant extremum within
    ``refine_radius`` seconds (:func:`ecgbeat.qrs.refine_r_peaks`; ``None`` keeps them), the
    beats are cut at them by :func:`segment_beats`, and each beat gets the R-R interval features
    of :func:`ecgbeat.rhythm.rr_features`, computed over all the peaks (the last one included,
    though :func:`segment_beats` drops its beat).

    Parameters
    ----------
    signal, fs, r_peaks, detector, name
        As for :func:`segment_beats`.
    refine_radius : float or None, default=None
        Search radius of the peak refinement, in seconds; ``None`` uses the peaks as they are
        (as the Kaggle release and the models trained on it did).
    **segment_params
        ``target_fs``, ``beat_length``, ``window_seconds``, ``segment_factor``, ``before_r`` of
        :func:`segment_beats`.

    Returns
    -------
    segments : BeatSegments
        As :func:`segment_beats` returns them; ``r_peaks`` are the refined peaks.
    rr : ndarray of shape (n_beats, 7), float32
        The R-R interval features of each beat, columns as
        :data:`ecgbeat.rhythm.RR_FEATURE_NAMES`.

    Raises
    ------
    ValueError
        If ``refine_radius`` is neither None nor a number of seconds >= 0 or a segment
        parameter is out of its range (both before any R peak is detected), or ``detector`` is
        other than the default beside ``r_peaks``.
    TypeError
        If ``segment_params`` names a parameter that :func:`segment_beats` does not take.

    Examples
    --------
    >>> import numpy as np
    >>> fs = 360
    >>> t = np.arange(30 * fs) / fs
    >>> r = np.arange(180, t.size - 100, 288)
    >>> ecg = np.exp(-(((t[:, None] - r / fs) / 0.01) ** 2)).sum(axis=1)
    >>> seg, rr = cut_beats(ecg, fs, r + 5, refine_radius=0.12)
    >>> bool((seg.r_peaks == r[:-1]).all()), rr.shape, round(float(rr[3, 0]), 3)
    (True, (36, 7), 0.8)
    """
    x, fs = check_signal(signal, fs, name=name)
    if r_peaks is not None:
        refuse_detector_beside_r_peaks(detector, "r_peaks", name)
    check_refine_radius(refine_radius)
    # Checked before any R peak is found too: a bad one was refused only after the detector and
    # the refinement had gone through the whole record.
    unknown = sorted(set(segment_params) - _SEGMENT_PARAMS)
    if unknown:
        raise TypeError(f"cut_beats() got an unexpected keyword argument {unknown[0]!r}")
    check_segment_params(**segment_params)
    if r_peaks is None:
        r_peaks = detect_r_peaks(x, fs, method=detector)
    else:
        r_peaks = check_r_peaks(r_peaks, x.size, name)
    if refine_radius is not None:
        r_peaks = refine_r_peaks(x, fs, r_peaks, radius=refine_radius)
    segments = segment_beats(x, fs, r_peaks, name=name, **segment_params)
    if len(segments.beats) == 0:
        return segments, np.zeros((0, N_RR_FEATURES), np.float32)
    return segments, rr_features(r_peaks, fs)[:-1]


_SEGMENT_PARAMS = frozenset(
    {"target_fs", "beat_length", "window_seconds", "segment_factor", "before_r"}
)


def refuse_detector_beside_r_peaks(detector, given: str, name: str | None = None) -> None:
    """Refuse a ``detector`` other than the default where the R peaks are given (``given``
    names them): it was ignored without a word, an unknown name too, and the user believed the
    beats cut at its peaks."""
    if detector != "pan-tompkins":
        where = f"{name}: " if name is not None else ""
        raise ValueError(
            f"{where}detector {detector!r} finds the R peaks that {given} gives: give one of them"
        )


def check_refine_radius(refine_radius, *, model: bool = False) -> None:
    """Refuse a ``refine_radius`` that is neither None nor a number of seconds >= 0, under its
    own name and before any R peak is found: :func:`ecgbeat.qrs.refine_r_peaks` refused it only
    after the detector had searched the whole record, as "radius", a parameter no one passed.

    With ``model``, ``"model"`` is taken too (:mod:`ecgbeat.records`: the radius that the
    classifier's training beats were cut with), and the error names that choice.

    Examples
    --------
    >>> check_refine_radius(0.12)
    >>> check_refine_radius("model", model=True)
    >>> check_refine_radius(-1)
    Traceback (most recent call last):
    ...
    ValueError: refine_radius must be None or a number of seconds >= 0, got -1
    """
    if model and isinstance(refine_radius, str) and refine_radius == "model":
        return
    if refine_radius is None or (is_finite_number(refine_radius) and refine_radius >= 0):
        return
    if model:
        raise ValueError(
            "refine_radius must be a number of seconds >= 0, None (the R peaks as they are) "
            f"or 'model' (as the classifier's training beats were cut), got {refine_radius!r}"
        )
    raise ValueError(
        f"refine_radius must be None or a number of seconds >= 0, got {refine_radius!r}"
    )


def check_segment_params(
    *,
    target_fs: float = 125.0,
    beat_length: int = 187,
    window_seconds: float = 10.0,
    segment_factor: float = 1.2,
    before_r: float = 0.0,
) -> int:
    """Raise if a parameter of :func:`segment_beats` is out of its range; return the samples
    of each beat before its R peak.

    :func:`segment_beats` checks them with the signal; the loaders check them before they read
    (or download) any record.

    Raises
    ------
    ValueError
        If ``beat_length`` is not a whole number >= 1, ``target_fs``, ``window_seconds`` or
        ``segment_factor`` is not a finite number > 0, or ``before_r`` is not a number of
        seconds >= 0 that leaves room for the R peak in the beat.

    Examples
    --------
    >>> check_segment_params(before_r=0.25)
    31
    >>> check_segment_params(target_fs=0)
    Traceback (most recent call last):
    ...
    ValueError: target_fs must be a finite number > 0, got 0
    """
    if not is_integer(beat_length):
        raise ValueError(f"beat_length must be a whole number of samples, got {beat_length!r}")
    if beat_length < 1:
        raise ValueError(f"beat_length must be at least 1 sample, got {beat_length!r}")
    positive = {
        "segment_factor": segment_factor,
        "window_seconds": window_seconds,
        "target_fs": target_fs,
    }
    for parameter, value in positive.items():
        if not (is_finite_number(value) and value > 0):
            raise ValueError(f"{parameter} must be a finite number > 0, got {value!r}")
    # is_finite_number, not np.isfinite: text or None failed there with a TypeError naming
    # neither, and True passed as a second before the R peak.
    # Negative seconds are refused before rounding (-0.001 s rounded to 0 samples, and passed),
    # and bounded by the beat (1e308 s is an infinite number of samples: OverflowError).
    if is_finite_number(before_r) and before_r >= 0:
        before = samples_up_to(before_r, target_fs, beat_length)
    else:
        before = -1
    if before < 0 or before >= beat_length:
        raise ValueError(
            f"before_r must be a number of seconds >= 0 that leaves room for the R peak in "
            f"{beat_length} samples at {target_fs:g} Hz, got {before_r!r}"
        )
    return before


def check_feature_layout(rhythm: bool, template: bool, zscores: bool = False) -> None:
    """Raise if a group of feature columns is asked for without the groups it follows.

    The layouts that :func:`feature_rows` builds and ``HeartbeatCNNClassifier(n_rr_features=0,
    7, 10 or 12)`` reads are the beat; the beat and its R-R features; those and its template
    features; those and its R-R z-scores. The loaders check this before they read any record.

    Raises
    ------
    ValueError
        If a flag is not True or False, ``template`` is true and ``rhythm`` is not, or
        ``zscores`` is true and ``template`` is not.

    Examples
    --------
    >>> check_feature_layout(rhythm=True, template=True)
    >>> check_feature_layout(rhythm=False, template=True)
    Traceback (most recent call last):
    ...
    ValueError: the template features follow the R-R features in a row: pass rhythm=True too
    """
    # Text is truthy: rhythm="no" (or "False") appended the columns without a word.
    rhythm = check_flag(rhythm, "rhythm")
    template = check_flag(template, "template")
    zscores = check_flag(zscores, "zscores")
    if template and not rhythm:
        raise ValueError(
            "the template features follow the R-R features in a row: pass rhythm=True too"
        )
    if zscores and not template:
        raise ValueError(
            "the R-R z-scores follow the template features in a row: pass rhythm=True and "
            "template=True too"
        )


def feature_rows(
    beats,
    rr,
    *,
    rhythm: bool = False,
    template: bool = False,
    zscores: bool = False,
    fs: float = 125.0,
) -> np.ndarray:
    """The rows a classifier reads for the beats of one recording.

    Each row is the beat's samples, then (``rhythm``) its 7 R-R interval features, then
    (``template``) its 3 template features (:func:`ecgbeat.template.template_features`, against
    the median of these beats), then (``zscores``) its 2 R-R z-scores
    (:func:`ecgbeat.rhythm.rr_zscores`): the layouts of ``HeartbeatCNNClassifier(n_rr_features=0,
    7, 10 or 12)``.

    Parameters
    ----------
    beats : ndarray of shape (n_beats, beat_length)
        All the beats of one recording, as :func:`cut_beats` returns them.
    rr : ndarray of shape (n_beats, 7)
        Their R-R interval features, as :func:`cut_beats` returns them.
    rhythm : bool, default=False
        Append the R-R features.
    template : bool, default=False
        Append the template features after them; needs ``rhythm``.
    zscores : bool, default=False
        Append the R-R z-scores after those; needs ``template``.
    fs : float, default=125.0
        Sampling frequency of the beats (``segment_beats``' ``target_fs``).

    Returns
    -------
    rows : ndarray of shape (n_beats, beat_length [+ 7 [+ 3 [+ 2]]]), float32

    Raises
    ------
    ValueError
        If a group of columns is asked without the groups before it, ``beats`` or ``rr`` are not
        real numbers, ``beats`` is not 2-D, or ``rr`` does not have one row per beat (and, with
        ``rhythm``, the 7 columns of the R-R features).

    Examples
    --------
    >>> import numpy as np
    >>> beats, rr = np.tile(np.hanning(187), (5, 1)), np.ones((5, 7))
    >>> feature_rows(beats, rr).shape, feature_rows(beats, rr, rhythm=True, template=True).shape
    ((5, 187), (5, 197))
    >>> feature_rows(beats, rr, rhythm=True, template=True, zscores=True).shape
    (5, 199)
    """
    check_feature_layout(rhythm, template, zscores)
    beats, rr = np.asarray(beats), np.asarray(rr)
    if beats.ndim != 2:
        # One beat as a 1-D array was read as that many beats of one sample: "rr has 7 rows
        # for 187 beats", or (without rhythm) a 1-D row instead of a table.
        raise ValueError(
            f"beats must be 2-D, one beat a row (n_beats, beat_length), got shape {beats.shape}"
        )
    if rr.ndim == 0:  # None, or a number: len() raised "len() of unsized object"
        raise ValueError(f"rr has no rows (shape ()) for {len(beats)} beats")
    if len(rr) != len(beats):
        raise ValueError(f"rr has {len(rr)} rows for {len(beats)} beats")
    if rhythm and (rr.ndim != 2 or rr.shape[1] != N_RR_FEATURES):
        # Another width made rows of another layout without a word (a model then read its
        # template features as R-R ones), and a 1-D rr failed in np.hstack.
        raise ValueError(
            f"rr must have the {N_RR_FEATURES} columns of rr_features, got shape {rr.shape}"
        )
    for name, values in (("beats", beats), ("rr", rr)):
        # The cast to float32 read text ("0.5") and bools as numbers, and dropped the imaginary
        # part of complex values with a mere warning: rows of another meaning, without an error.
        if values.size and not is_real_dtype(values.dtype):
            raise ValueError(f"{name} must be real numbers, got dtype {values.dtype}")
    beats, rr = beats.astype(np.float32), rr.astype(np.float32)
    columns = [beats]
    if rhythm:
        columns.append(rr)
    if template:
        columns.append(template_features(beats, fs=fs))
    if zscores:
        columns.append(rr_zscores(rr))
    return np.hstack(columns)
