"""R-peak (QRS) detection for single-lead ECG signals at any sampling frequency.

Two detectors are offered:

* :func:`pan_tompkins` (the default): a Pan-Tompkins-style detector (band-pass, derivative,
  squaring, moving-window integration, adaptive thresholds with search-back and T-wave rejection).
* :func:`threshold_peaks`: the simple rule of Kachuee et al. (2018, §III.A), local maxima above
  0.9 in each 10 s window scaled to [0, 1]; offered for fidelity with the paper, it misses beats
  whose R wave is smaller than 90 % of the window's largest deflection.

Only NumPy and SciPy are used.

Examples
--------
>>> import numpy as np
>>> from ecgbeat.qrs import detect_r_peaks
>>> fs = 360
>>> t = np.arange(10 * fs) / fs
>>> ecg = sum(np.exp(-(((t - c) / 0.01) ** 2)) for c in np.arange(0.5, 10, 0.8))
>>> peaks = detect_r_peaks(ecg, fs)
>>> len(peaks), int(peaks[0])
(12, 180)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import find_peaks

from ecgbeat._checks import check_flag, check_seconds, is_finite_number
from ecgbeat.quality import WindowQuality, hold_back_in_noise, window_quality
from ecgbeat.signals import check_r_peaks, check_signal, qrs_slope, samples_up_to, unit_scale

__all__ = [
    "DETECTORS",
    "detect_r_peaks",
    "pan_tompkins",
    "pan_tompkins_marked",
    "refine_r_peaks",
    "threshold_peaks",
]

HEIGHT_RATIO = 0.35
T_WAVE_SECONDS = 0.360
#: When no beat has come for SIGNAL_DECAY_AFTER seconds (and 1.66 recent R-R intervals), the
#: learned signal and noise levels halve every SIGNAL_HALF_LIFE seconds: after a burst of noise,
#: whose peaks raised them, the detector hears the quiet beats again within seconds instead of
#: staying deaf. The first beat heard after the decay sets the signal level afresh; with
#: SEARCH_BACK_RESETS, a beat that the search-back finds does so too (else it moves the level a
#: quarter of the way, and beats above the noise but below the old level go on being missed every
#: other one). Chosen on DS1 (``experiments/qrs_recovery.py``).
SIGNAL_HALF_LIFE = 0.3
SIGNAL_DECAY_AFTER = 1.5
SEARCH_BACK_RESETS = True
#: Samples read at a time by :func:`refine_r_peaks` (a few arrays of this many: tens of MB).
_REFINE_BLOCK = 1 << 20


def pan_tompkins(signal, fs: float, *, hold_back_noise: bool = True) -> np.ndarray:
    """Detect R peaks with a Pan-Tompkins-style detector.

    The signal is band-passed (5-20 Hz, zero phase; at a rate under 44.4 Hz, 5 Hz to 0.45 ``fs``),
    differentiated, squared and integrated over 150 ms. Candidate peaks of the integrated signal at
    least 200 ms apart are classified with adaptive signal/noise levels; a gap longer than 1.66
    times the recent mean R-R interval triggers a search-back at half the threshold, and a gap that
    also lasts over 1.5 s lets the signal and noise levels decay (halving every 0.3 s; the first
    beat heard then sets the signal level afresh), so that the detector recovers within seconds
    after a burst of noise has raised them; a candidate within 360 ms of the previous beat whose
    slope is under half that beat's slope is rejected as a T wave; then an accepted beat whose slope
    is under half, or whose energy under 0.35 times, that of a neighbour within 360 ms (before or
    after it) is dropped (a tall P wave). Each accepted QRS is then located at the largest absolute
    deflection of the band-passed signal within ±75 ms. Last, in the stretches that
    :mod:`ecgbeat.quality` finds unreadable, of two peaks far closer together than the recording's
    usual R-R interval the weaker is held back (:func:`ecgbeat.quality.hold_back_in_noise`): in a
    burst of noise they are mostly spikes taken for beats.

    Parameters
    ----------
    signal : array-like of shape (n_samples,)
        One ECG lead, in any unit.
    fs : float
        Sampling frequency in Hz (40 Hz or more).
    hold_back_noise : bool, default=True
        Hold back the close pairs of unreadable stretches; False gives every peak the adaptive
        thresholds accept.

    Returns
    -------
    r_peaks : ndarray of shape (n_beats,), int64
        Sorted sample indices of the R peaks.

    Raises
    ------
    SignalError
        If the signal or ``fs`` is invalid.
    ValueError
        If ``hold_back_noise`` is not True or False.

    Examples
    --------
    >>> import numpy as np
    >>> fs = 250
    >>> t = np.arange(8 * fs) / fs
    >>> ecg = sum(np.exp(-(((t - c) / 0.012) ** 2)) for c in np.arange(0.4, 8, 0.8))
    >>> pan_tompkins(ecg, fs)[:3]
    array([100, 300, 500])
    """
    x, fs = check_signal(signal, fs)
    # Text is truthy: hold_back_noise="False" held back, and None did not, without a word.
    hold_back_noise = check_flag(hold_back_noise, "hold_back_noise")
    r, slope = _found_peaks(x, fs)
    return hold_back_in_noise(x, fs, r, slope=slope) if hold_back_noise else r


def pan_tompkins_marked(signal, fs: float) -> tuple[np.ndarray, WindowQuality]:
    """The R peaks of :func:`pan_tompkins`, and the quality of the windows its last step read.

    For a caller that marks the beats as well (:func:`ecgbeat.records.classify_signal`): one
    quality check serves the detector's hold-back and the marks. The windows are those around
    every peak the adaptive thresholds accepted, before the hold-back.

    Parameters
    ----------
    signal : array-like of shape (n_samples,)
        One ECG lead, in any unit.
    fs : float
        Sampling frequency in Hz (40 Hz or more).

    Returns
    -------
    r_peaks : ndarray of shape (n_beats,), int64
        The same peaks as ``pan_tompkins(signal, fs)``.
    quality : ecgbeat.quality.WindowQuality
        The quality of each window (:func:`ecgbeat.quality.window_quality`).

    Examples
    --------
    >>> import numpy as np
    >>> fs = 250
    >>> t = np.arange(20 * fs) / fs
    >>> ecg = sum(np.exp(-(((t - c) / 0.012) ** 2)) for c in np.arange(0.4, 20, 0.8))
    >>> r_peaks, quality = pan_tompkins_marked(ecg, fs)
    >>> np.array_equal(r_peaks, pan_tompkins(ecg, fs)), quality.readable.tolist()
    (True, [True, True])
    """
    x, fs = check_signal(signal, fs)
    r, slope = _found_peaks(x, fs)
    quality = window_quality(x, fs, r, slope=slope)
    return hold_back_in_noise(x, fs, r, quality=quality, slope=slope), quality


def _found_peaks(x: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray | None]:
    """The peaks the adaptive thresholds accept in a checked signal, and the slope they read
    (``None`` when the signal is too short to have one)."""
    if x.size < round(0.5 * fs):
        return np.empty(0, dtype=np.int64), None
    if not np.ptp(x):
        # A flat line (a lead off, an ADC at its limit) has no QRS complex; the thresholds are
        # relative, and would take the rounding noise of its band-passed value for beats.
        return np.empty(0, dtype=np.int64), None
    x = unit_scale(x)
    filtered, slope = qrs_slope(x, fs)
    # find_peaks never takes a signal's first sample, where the energy of a QRS within about
    # 40 ms of the start peaks, and that of a settling transient, which then set the learned
    # level with no beat to start from (no beat was ever heard). A zero (the energy's floor)
    # before it makes it a candidate; the energy is written after that zero, not copied behind
    # it (a day's recording is hundreds of MB). Not after the last sample: a stray last sample
    # (a step to 0 ends 29 of the 48 MIT-BIH first leads) would be taken for a beat.
    padded = np.zeros(slope.size + 1)
    integrated = padded[1:]
    uniform_filter1d(slope * slope, max(1, round(0.150 * fs)), mode="nearest", output=integrated)
    # A flat stretch at a level other than zero (a lead off before the recording starts) leaves
    # rounding noise in the band-passed signal, about (1e-16 fs)^2 of energy here, where |x| < 1;
    # learned in the first seconds as the signal level, it gave "beats" until the ECG began
    # (25 in 20 s at 360 Hz). Energy under (1e-12 fs)^2 is none: a QRS complex of even 1e-10
    # of the signal's largest magnitude (a 24-bit ADC's range is 1.7e7 steps) has far more.
    integrated[integrated < (1e-12 * fs) ** 2] = 0.0
    refractory = round(0.200 * fs)
    cand, _ = find_peaks(padded, distance=refractory)
    cand -= 1
    if cand.size == 0:
        return np.empty(0, dtype=np.int64), slope
    heights = integrated[cand]
    half = max(1, round(0.075 * fs))
    # Maximum absolute slope around each candidate, for T-wave discrimination (vectorised).
    idx = np.clip(cand[:, None] + np.arange(-half, half + 1), 0, x.size - 1)
    slopes = np.abs(slope[idx]).max(axis=1)

    accepted = _classify_candidates(cand, heights, slopes, fs, integrated)
    qrs = _drop_weak_neighbours(
        cand[accepted], slopes[accepted], heights[accepted], round(T_WAVE_SECONDS * fs)
    )
    # Locate the R peak on the band-passed signal.
    idx = np.clip(qrs[:, None] + np.arange(-half, half + 1), 0, x.size - 1)
    r = idx[np.arange(qrs.size), np.abs(filtered[idx]).argmax(axis=1)]
    return np.unique(r).astype(np.int64), slope


def _drop_weak_neighbours(
    qrs: np.ndarray, slopes: np.ndarray, heights: np.ndarray, gap: int
) -> np.ndarray:
    """Drop a beat closer than ``gap`` to a neighbour with over twice its slope or over
    1 / HEIGHT_RATIO (about 2.9) times its energy.

    The state machine only compares a candidate with the beat before it (T waves); a tall P wave
    just before its QRS (e.g. MIT-BIH record 108) is caught here, looking at both neighbours.
    """
    if qrs.size < 2:
        return qrs
    close = np.diff(qrs) < gap
    weak = np.zeros(qrs.size, dtype=bool)
    weaker = (slopes[:-1] < 0.5 * slopes[1:]) | (heights[:-1] < HEIGHT_RATIO * heights[1:])
    stronger = (slopes[1:] < 0.5 * slopes[:-1]) | (heights[1:] < HEIGHT_RATIO * heights[:-1])
    weak[:-1] |= close & weaker
    weak[1:] |= close & stronger
    return qrs[~weak]


def _classify_candidates(
    cand: np.ndarray, heights: np.ndarray, slopes: np.ndarray, fs: float, integrated: np.ndarray
) -> np.ndarray:
    """Adaptive-threshold state machine over candidate peaks; returns a boolean mask."""
    n = cand.size
    accepted = np.zeros(n, dtype=bool)
    learn = integrated[: max(1, round(2 * fs))]
    spk = 0.25 * float(learn.max())
    npk = 0.5 * float(learn.mean())
    thr = npk + 0.25 * (spk - npk)
    t_wave_limit = T_WAVE_SECONDS * fs
    min_gap = 0.200 * fs
    decay_after = SIGNAL_DECAY_AFTER * fs
    decayed = False  # whether the signal level has decayed since the last beat
    rr_recent: list[float] = []
    rr_avg = fs  # 60 bpm until two beats give an interval; then the mean of the last 8 (or fewer)
    last = -1  # index into cand of the last accepted QRS
    last_searched = -1
    cand_list = cand.tolist()
    heights_list = heights.tolist()
    slopes_list = slopes.tolist()

    def accept(i: int) -> None:
        nonlocal last, rr_avg
        if last >= 0:
            rr_recent.append(cand_list[i] - cand_list[last])
            del rr_recent[:-8]
            rr_avg = sum(rr_recent) / len(rr_recent)
        accepted[i] = True
        last = i

    for i in range(n):
        pos, h = cand_list[i], heights_list[i]
        # Search-back: a long gap means a beat was missed below the threshold.
        if last >= 0 and pos - cand_list[last] > 1.66 * rr_avg and last_searched < i:
            last_searched = i
            lo = last + 1
            best, best_h = -1, 0.5 * thr
            for j in range(lo, i):
                if (
                    heights_list[j] > best_h
                    and cand_list[j] - cand_list[last] > t_wave_limit
                    and pos - cand_list[j] > min_gap
                ):
                    best, best_h = j, heights_list[j]
            if best >= 0:
                accept(best)
                if SEARCH_BACK_RESETS and decayed:
                    spk, decayed = best_h, False
                else:
                    spk = 0.25 * best_h + 0.75 * spk
            thr = npk + 0.25 * (spk - npk)
        if last >= 0 and pos - cand_list[last] > max(1.66 * rr_avg, decay_after):
            # Still no beat: both levels learned (perhaps from noise) decay, the signal level
            # never below the noise level.
            decay = 0.5 ** ((pos - cand_list[i - 1]) / fs / SIGNAL_HALF_LIFE)
            npk *= decay
            spk = max(spk * decay, min(spk, npk))
            thr = npk + 0.25 * (spk - npk)
            decayed = True
        if h > thr:
            if (
                last >= 0
                and pos - cand_list[last] < t_wave_limit
                and slopes_list[i] < 0.5 * slopes_list[last]
            ):
                npk = 0.125 * h + 0.875 * npk
            else:
                accept(i)
                # The first beat heard after a decay sets the level afresh: averaged with the
                # old (noise-raised) level, it would make the detector deaf to the next beat.
                spk = h if decayed else 0.125 * h + 0.875 * spk
                decayed = False
        else:
            npk = 0.125 * h + 0.875 * npk
        thr = npk + 0.25 * (spk - npk)
    return accepted


def threshold_peaks(
    signal, fs: float, *, threshold: float = 0.9, window_seconds: float = 10.0
) -> np.ndarray:
    """Detect R peaks with the simple rule of Kachuee et al. (2018).

    The signal is cut into windows of ``window_seconds`` (a last stretch shorter than half a
    window joins the window before it); each window is scaled to [0, 1] and its local maxima
    above ``threshold`` are the R peaks.

    Parameters
    ----------
    signal : array-like of shape (n_samples,)
        One ECG lead.
    fs : float
        Sampling frequency in Hz.
    threshold : float, default=0.9
        Minimum scaled amplitude of a peak.
    window_seconds : float, default=10.0
        Length of the scaling windows.

    Returns
    -------
    r_peaks : ndarray of shape (n_beats,), int64
        Sorted sample indices of the R peaks.

    Raises
    ------
    ValueError
        If ``threshold`` is not a number in (0, 1) or ``window_seconds`` not a positive number.

    Examples
    --------
    >>> import numpy as np
    >>> ecg = np.zeros(1000)
    >>> ecg[[100, 400, 700]] = [1.0, 0.95, 0.5]
    >>> threshold_peaks(ecg, 100)
    array([100, 400])
    """
    x, fs = check_signal(signal, fs)
    if not (is_finite_number(threshold) and 0 < threshold < 1):
        raise ValueError(f"threshold must be a number in (0, 1), got {threshold!r}")
    # A window of zero or fewer seconds was one sample long, and a sample has no local maximum:
    # no beat at all, silently.
    check_seconds(window_seconds, "window_seconds")
    if x.size == 0:
        # No window at all: the one stop past the (missing) starts made zip(strict=True) fail.
        return np.empty(0, dtype=np.int64)
    x = unit_scale(x)
    win = max(1, samples_up_to(window_seconds, fs, x.size))  # one past the end: the whole signal
    starts = list(range(0, x.size, win))
    if len(starts) > 1 and x.size - starts[-1] < win / 2:
        # A short tail joins the window before it (as the quality windows do): scaled to [0, 1]
        # on its own, a few samples of baseline past the last full window gave their largest
        # wiggle as a beat (10 s and 20 samples at 360 Hz: two beats that are not there).
        starts.pop()
    stops = [*starts[1:], x.size]
    # The local maxima of the whole signal, each window then keeping its own: read window by
    # window (even with a sample of each neighbour), an R peak on a window's edge was lost, as
    # was a flat (clipped) top across two windows, which find_peaks took for no maximum in
    # either. A flat top counts once, at its middle, in the window that holds that middle.
    maxima, _ = find_peaks(x)
    out = []
    for start, stop in zip(starts, stops, strict=True):
        seg = x[start:stop]
        lo, span = seg.min(), np.ptp(seg)
        if span == 0:
            continue
        peaks = maxima[np.searchsorted(maxima, start) : np.searchsorted(maxima, stop)]
        out.append(peaks[(x[peaks] - lo) / span >= threshold])
    return np.concatenate(out).astype(np.int64) if out else np.empty(0, dtype=np.int64)


#: Detectors by name, for :func:`detect_r_peaks` and :func:`ecgbeat.beats.segment_beats`.
DETECTORS: dict[str, Callable[..., np.ndarray]] = {
    "pan-tompkins": pan_tompkins,
    "threshold": threshold_peaks,
}


def detect_r_peaks(signal, fs: float, *, method: str = "pan-tompkins") -> np.ndarray:
    """Detect the R peaks of a single-lead ECG signal.

    Parameters
    ----------
    signal : array-like of shape (n_samples,)
        One ECG lead.
    fs : float
        Sampling frequency in Hz.
    method : {"pan-tompkins", "threshold"}, default="pan-tompkins"
        ``"pan-tompkins"`` is :func:`pan_tompkins`; ``"threshold"`` is the paper's rule,
        :func:`threshold_peaks`.

    Returns
    -------
    r_peaks : ndarray of shape (n_beats,), int64
        Sorted sample indices of the R peaks.

    Raises
    ------
    ValueError
        If ``method`` is not one of the detectors' names.

    Examples
    --------
    >>> import numpy as np
    >>> ecg = np.zeros(2000)
    >>> ecg[[300, 600, 900, 1200, 1500]] = 1.0
    >>> detect_r_peaks(ecg, 200, method="threshold")
    array([ 300,  600,  900, 1200, 1500])
    """
    try:
        detector = DETECTORS[method]
    except (KeyError, TypeError):  # TypeError: an unhashable method (a list), named nowhere
        raise ValueError(
            f"unknown R-peak detector {method!r}; choose one of {sorted(DETECTORS)}"
        ) from None
    return detector(signal, fs)


def refine_r_peaks(signal, fs: float, r_peaks, *, radius: float = 0.05) -> np.ndarray:
    """Move each R peak to the dominant extremum of the signal within ``radius`` seconds.

    One fiducial point for every beat, whoever placed it: a cardiologist's annotation, a detector's
    peak (which sits on the QRS energy, up to tens of milliseconds from the R wave on wide PVCs) or
    the same peak shifted by a resampling. The dominant extremum is the sample that lies farthest,
    in either direction, from the median of its window, so a negative (QS) complex is found as
    well as a positive one. Close to wfdb's ``processing.correct_peaks`` with ``peak_dir="both"``,
    without its dependency; but the baseline is each window's median, not a moving average, and
    each peak takes its own direction (wfdb's default, ``"compare"``, takes one for all).
    Each search stops halfway to the neighbouring peaks, so the peaks stay in order and distinct
    (wfdb's may cross or meet).

    Parameters
    ----------
    signal : array-like of shape (n_samples,)
        One ECG lead.
    fs : float
        Sampling frequency in Hz.
    r_peaks : array-like of int
        Sample indices of the R peaks, strictly increasing.
    radius : float, default=0.05
        Half-width of the search window, in seconds.

    Returns
    -------
    refined : ndarray of shape (n_peaks,), int64
        The refined sample indices, strictly increasing.

    Examples
    --------
    >>> import numpy as np
    >>> ecg = np.zeros(1000)
    >>> ecg[[200, 500]] = 1.0; ecg[805] = -2.0  # the third complex points down
    >>> refine_r_peaks(ecg, 250, [195, 507, 800]).tolist()
    [200, 500, 805]
    """
    x, fs = check_signal(signal, fs)
    if not (is_finite_number(radius) and radius >= 0):
        raise ValueError(f"radius must be a number of seconds >= 0, got {radius!r}")
    r = check_r_peaks(r_peaks, x.size)
    if r.size == 0:
        return r.copy()
    # Each window is bounded by the midpoints to the neighbouring peaks (and the signal's ends),
    # so a radius past the farthest bound (a huge one too) searches the same windows.
    lo = np.r_[0, (r[:-1] + r[1:]) // 2 + 1]
    hi = np.r_[(r[:-1] + r[1:]) // 2, x.size - 1]
    bound = int(max((r - lo).max(), (hi - r).max()))
    half = samples_up_to(radius, fs, bound)
    if half == 0:
        return r.copy()
    lo, hi = np.maximum(r - half, lo), np.minimum(r + half, hi)
    # The windows are read as rows of one width, so a peak far from both neighbours (the first
    # beat after a lead was off for an hour, read with a huge radius) made every row that wide:
    # peaks of alike reach (in powers of two) are read together, a block of rows at a time, so
    # that memory stays within a few times the samples the windows hold, and bounded on a day's
    # peaks. Each row's result is the same as before.
    reach = np.maximum(r - lo, hi - r)
    refined = r.copy()
    bucket = np.frexp(reach)[1]
    for b in np.unique(bucket[reach > 0]):
        rows = np.flatnonzero(bucket == b)
        width = int(reach[rows].max())
        step = max(1, _REFINE_BLOCK // (2 * width + 1))
        for first in range(0, rows.size, step):
            block = rows[first : first + step]
            refined[block] = _dominant_extrema(x, r[block], lo[block], hi[block], width)
    return refined


def _dominant_extrema(
    x: np.ndarray, r: np.ndarray, lo: np.ndarray, hi: np.ndarray, half: int
) -> np.ndarray:
    """The sample of ``x[lo[k]:hi[k] + 1]`` farthest from that window's median, for each ``k``;
    each window lies within ``half`` samples of its peak ``r[k]``."""
    # Nearest first (0, -1, 1, -2, 2...): on a tie, argmax keeps the peak closest to where it was.
    offsets = np.stack([-np.arange(half + 1), np.arange(half + 1)], axis=1).ravel()[1:]
    idx = r[:, None] + offsets
    inside = (idx >= lo[:, None]) & (idx <= hi[:, None])
    # Scaled by a power of two (exact; the distances are invariant to it), only the samples the
    # windows read, not the whole recording: near the float64 limits (a baseline of 1e308) the
    # median's sum of two samples and the distances overflowed to inf, every sample tied, and
    # no peak moved.
    values = unit_scale(x[np.clip(idx, 0, x.size - 1)])
    # The median of each window's samples (np.nanmedian's result, ten times faster: NaN sort
    # last, so the middle of each row's ``count`` samples is where it is in a full row).
    ordered = np.sort(np.where(inside, values, np.nan), axis=1)
    count, rows = inside.sum(axis=1), np.arange(r.size)
    median = (ordered[rows, (count - 1) // 2] + ordered[rows, count // 2]) / 2
    distance = np.where(inside, np.abs(values - median[:, None]), -1.0)
    return idx[rows, np.argmax(distance, axis=1)]
