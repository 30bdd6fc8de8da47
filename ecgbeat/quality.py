"""Signal quality: which stretches of a recording can be read beat by beat.

Ambulatory recordings carry bursts of muscle noise and electrode motion. Inside them a detector
finds beats that are not there (mostly classified V, which inflates the ectopic burden) and the
beats it finds are deformed. This module marks such stretches as unreadable instead of letting
their beats count. The signal is cut into windows of :data:`QUALITY_WINDOW` seconds, and each
window gets two indices:

``hf_ratio``
    the mean power spectral density of 40-55 Hz (mains 50 Hz ± 2 Hz left out; 60 Hz lies above)
    over that of the QRS band (5-15 Hz), by Welch's method with 2 s segments. Muscle noise is
    broadband; an ECG has little power above 40 Hz. The same bands at every sampling rate that
    has them (``fs`` of about 122 Hz or more; below that the index is NaN and does not count, as
    in a window shorter than one 2 s segment), so that it reads the same at 125 Hz as at 360 Hz.
``qrs_snr_db``
    the in-band signal-to-noise ratio that the QRS detector sees:
    ``10 log10(median QRS energy of the window's beats / mean energy elsewhere)``, the energy
    being the squared slope of the detector's band-passed signal
    (:func:`ecgbeat.signals.qrs_slope`), a beat's QRS energy its largest 150 ms mean within
    75 ms of the R peak, and "elsewhere" the samples farther than 0.1 s from every R peak.
    Electrode motion, baseline steps and spikes that share the QRS band lower it.

A window is readable when ``hf_ratio <= MAX_HF_RATIO`` (or NaN) and
``qrs_snr_db >= MIN_QRS_SNR_DB``; a window without an R peak is not readable. The two
thresholds are the 99.5th and 0.5th percentiles of the clean DS1 records' windows
(``python -m experiments.signal_quality``): chosen from clean signal alone, not fitted to a
noise model, so that about 1 % of clean windows are marked, mostly where the detector errs on
the clean records too (ventricular flutter, noisy stretches of the recordings).

The detector uses the marks itself (:func:`hold_back_in_noise`, the last step of
:func:`ecgbeat.qrs.pan_tompkins`): inside an unreadable window, of two R peaks far closer
together than the recording's usual R-R interval, the weaker is dropped. And
:func:`ecgbeat.records.classify_signal` (so ``ecgbeat predict``) marks each beat readable or not;
the ectopic burden counts the readable ones. Electrode motion alone, whose spikes look like QRS
complexes to both indices, is mostly not marked.

Examples
--------
>>> import numpy as np
>>> from ecgbeat.quality import readable_beats
>>> fs = 250
>>> t = np.arange(40 * fs) / fs
>>> ecg = sum(np.exp(-(((t - c) / 0.012) ** 2)) for c in np.arange(0.4, 40, 0.8))
>>> noisy = ecg + np.where(t >= 20, np.random.default_rng(0).normal(0, 0.5, t.size), 0.0)
>>> r_peaks = np.round(np.arange(0.4, 40, 0.8) * fs).astype(int)
>>> readable = readable_beats(noisy, fs, r_peaks)
>>> bool(readable[:20].all()), bool(readable[30:].any())
(True, False)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields

import numpy as np
from scipy.fft import rfft
from scipy.signal import get_window

from ecgbeat._checks import check_seconds, is_finite_number, is_real_dtype
from ecgbeat.signals import (
    check_r_peaks,
    check_signal,
    qrs_slope,
    samples_up_to,
    unit_scale,
    window_medians,
)

__all__ = [
    "HOLD_BACK_RR_FRACTION",
    "MAX_HF_RATIO",
    "MIN_QRS_SNR_DB",
    "QUALITY_WINDOW",
    "WindowQuality",
    "hold_back_in_noise",
    "readable_beats",
    "window_quality",
]

#: Length of the quality windows, in seconds (a last stretch shorter than half a window joins
#: the window before it).
QUALITY_WINDOW = 10.0
#: Highest readable ``hf_ratio``: the 99.5th percentile of the clean DS1 windows.
MAX_HF_RATIO = 0.0415
#: Lowest readable ``qrs_snr_db``: the 0.5th percentile of the clean DS1 windows.
MIN_QRS_SNR_DB = 10.06

#: In unreadable windows, of two R peaks closer than this fraction of the recording's median R-R
#: interval, the one with less QRS energy is held back (:func:`hold_back_in_noise`). Chosen on
#: DS1 with noise in bursts (``experiments/qrs_hold_back.py``).
HOLD_BACK_RR_FRACTION = 0.4

_QRS_BAND = (5.0, 15.0)
_HF_BAND = (40.0, 55.0)
_MAINS = 50.0  # 60 Hz lies above the band
_QRS_HALF_WIDTH = 0.1  # seconds either side of an R peak that belong to its QRS complex


@dataclass(frozen=True)
class WindowQuality:
    """The quality indices of each window of a signal (see the module docstring).

    Attributes
    ----------
    start, stop : ndarray of int
        First and one-past-last sample of each window.
    hf_ratio : ndarray of float
        Power density of 40-55 Hz over that of 5-15 Hz; NaN when ``fs`` is under 122 Hz, or the
        window shorter than 2 s (Welch's segment); inf in a window without any power.
    qrs_snr_db : ndarray of float
        The detector's in-band signal-to-noise ratio, in dB; NaN in a window without R peaks,
        -inf in one without any energy (a flat line).
    readable : ndarray of bool
        Whether each window passes both thresholds.
    """

    start: np.ndarray
    stop: np.ndarray
    hf_ratio: np.ndarray
    qrs_snr_db: np.ndarray
    readable: np.ndarray

    def __len__(self) -> int:
        return len(self.start)

    def __eq__(self, other: object) -> bool:
        """Whether ``other`` holds the same windows and indices (NaN equal to NaN).

        The dataclass's own ``==`` compared the fields as tuples of arrays, which raised NumPy's
        "truth value of an array ... is ambiguous".
        """
        if not isinstance(other, WindowQuality):
            return NotImplemented
        for field in fields(self):
            mine, theirs = np.asarray(getattr(self, field.name)), getattr(other, field.name)
            if not np.array_equal(mine, theirs, equal_nan=mine.dtype.kind == "f"):
                return False
        return True

    def readable_at(self, samples) -> np.ndarray:
        """Whether the window of each sample index (e.g. each beat's R peak) is readable.

        Examples
        --------
        >>> import numpy as np
        >>> quality = WindowQuality(np.array([0, 100]), np.array([100, 200]), np.zeros(2),
        ...                         np.array([20.0, 3.0]), np.array([True, False]))
        >>> quality.readable_at([5, 99, 100, 150]).tolist()
        [True, True, False, False]

        Raises
        ------
        ValueError
            If a sample is not an integer index, or lies outside the windows: it was taken as
            in the first or the last window, and 5.7 as 5.
        """
        try:
            index = np.asarray(samples)
        except ValueError:
            # NumPy's own error ("inhomogeneous shape") named neither samples nor what they are.
            raise ValueError(
                "samples must be sample indices (integers), got a ragged sequence"
            ) from None
        if not is_real_dtype(index.dtype):
            raise ValueError(f"samples must be sample indices (integers), got dtype {index.dtype}")
        fractional = np.mod(index, 1) != 0  # NaN too
        if fractional.any():
            raise ValueError(
                f"samples must be sample indices (integers), got {index[fractional].flat[0]}"
            )
        first, end = (int(self.start[0]), int(self.stop[-1])) if len(self) else (0, 0)
        # Compared before the cast to int64, which turned 1e30 or a uint64 of 2**63 into
        # -9223372036854775808, the sample the message then named.
        outside = (index < first) | (index >= end)
        if outside.any():
            # No window at all (an empty signal's) was said to cover "samples 0 to -1".
            cover = (
                f"which cover samples {first} to {end - 1}"
                if len(self)
                else "of which there are none (the signal is empty)"
            )
            raise ValueError(
                f"sample {int(index[outside].flat[0])} lies outside the windows, {cover}"
            )
        which = np.searchsorted(self.stop, index.astype(np.int64), side="right")
        return self.readable[which]


def _checked_slope(x: np.ndarray, fs: float, slope: np.ndarray | None) -> np.ndarray:
    """``slope`` if it is one of ``x``'s size, else the detector's slope of ``x``, computed (on
    ``x`` scaled as the detector scales it)."""
    if slope is None:
        return qrs_slope(unit_scale(x), fs)[1]
    try:
        slope = np.asarray(slope, dtype=np.float64)
    except (TypeError, ValueError):
        # NumPy's own errors ("could not convert string to float") named no parameter.
        raise ValueError(
            f"slope must be the detector's slope of the signal (numbers), got {slope!r:.80}"
        ) from None
    if slope.shape != x.shape:
        raise ValueError(f"slope has shape {slope.shape}; the signal has {x.shape}")
    if not np.isfinite(slope).all():
        # NaN energies compare false: no window was readable, and no peak held back, silently.
        raise ValueError("slope holds NaN or infinite values; the detector's slope has none")
    return slope


def _windows(n_samples: int, fs: float, window: float) -> tuple[np.ndarray, np.ndarray]:
    size = max(1, samples_up_to(window, fs, n_samples))  # one past the end: the whole signal
    if n_samples == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.arange(0, n_samples, size)
    if starts.size > 1 and n_samples - starts[-1] < size / 2:
        starts = starts[:-1]  # a short tail joins the window before it
    stops = np.r_[starts[1:], n_samples]
    return starts, stops


@functools.lru_cache(maxsize=8)
def _hann(n: int) -> np.ndarray:
    """SciPy's Hann window of ``n`` samples, read-only (shared): made once per length."""
    window = get_window("hann", n)
    window.setflags(write=False)
    return window


def _welch(x: np.ndarray, fs: float, nperseg: int) -> tuple[np.ndarray, np.ndarray]:
    """``scipy.signal.welch(x, fs=fs, nperseg=nperseg, axis=-1)`` with its defaults (Hann
    window, half-overlapping segments, each less its mean, one-sided density): the same
    densities to about 1e-13 relative. SciPy's loops over the segments in Python: on a stream's
    10 s window (9 segments) this is about six times faster (0.8 against 0.14 ms)."""
    window = _hann(nperseg)
    view = np.lib.stride_tricks.sliding_window_view(x, nperseg, axis=-1)
    segments = view[..., :: nperseg - nperseg // 2, :]
    spectrum = rfft((segments - segments.mean(axis=-1, keepdims=True)) * window, axis=-1)
    density = (spectrum.real**2 + spectrum.imag**2) / (fs * np.sum(window**2))
    density[..., 1 : None if nperseg % 2 else -1] *= 2  # one-sided: all but 0 Hz and Nyquist
    return np.fft.rfftfreq(nperseg, 1 / fs), density.mean(axis=-2)


def _hf_ratios(x: np.ndarray, fs: float, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """``hf_ratio`` of each window; windows of equal length go through Welch's method at once."""
    ratios = np.full(starts.size, np.nan)
    if _HF_BAND[1] > 0.45 * fs:
        return ratios
    lengths = stops - starts
    nperseg = round(2 * fs)
    for length in np.unique(lengths):
        if length < nperseg:
            continue  # too short for a 2 s segment: no estimate
        for which in np.array_split(
            np.flatnonzero(lengths == length), max(1, np.sum(lengths == length) // 256)
        ):  # a few hundred windows at a time: Welch's segments of a day would fill memory
            segments = x[starts[which, None] + np.arange(length)]
            freqs, density = _welch(segments, fs, nperseg)
            hf = (freqs >= _HF_BAND[0]) & (freqs <= _HF_BAND[1]) & (np.abs(freqs - _MAINS) > 2)
            qrs = (freqs >= _QRS_BAND[0]) & (freqs <= _QRS_BAND[1])
            hf_power, qrs_power = density[:, hf].mean(axis=1), density[:, qrs].mean(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                # A flat window (no power at all) has no QRS complexes to read: not readable.
                ratios[which] = np.where(qrs_power > 0, hf_power / qrs_power, np.inf)
    return ratios


def window_quality(
    signal, fs: float, r_peaks, *, window: float = QUALITY_WINDOW, slope: np.ndarray | None = None
) -> WindowQuality:
    """The quality indices and readability of each window of one ECG lead.

    Parameters
    ----------
    signal : array-like of shape (n_samples,)
        One ECG lead, in any unit.
    fs : float
        Sampling frequency in Hz (40 Hz or more).
    r_peaks : array-like of int
        The R peaks found in it (detected or annotated), strictly increasing.
    window : float, default=QUALITY_WINDOW
        Window length in seconds.
    slope : ndarray of shape (n_samples,), optional
        ``ecgbeat.signals.qrs_slope(unit_scale(signal), fs)[1]``, when the caller (the detector)
        has it already; computed here otherwise. The result is the same either way.

    Returns
    -------
    WindowQuality
        One entry per window.

    Raises
    ------
    SignalError
        If the signal, ``fs`` or ``r_peaks`` are invalid.
    ValueError
        If ``window`` is not a positive number of seconds, or ``slope`` not finite numbers of
        the signal's shape.

    Examples
    --------
    >>> import numpy as np
    >>> fs = 360
    >>> t = np.arange(30 * fs) / fs
    >>> ecg = sum(np.exp(-(((t - c) / 0.012) ** 2)) for c in np.arange(0.4, 30, 0.8))
    >>> quality = window_quality(ecg, fs, np.round(np.arange(0.4, 30, 0.8) * fs).astype(int))
    >>> len(quality), quality.readable.tolist()
    (3, [True, True, True])
    """
    x, fs = check_signal(signal, fs)
    r = check_r_peaks(r_peaks, x.size)
    check_seconds(window, "window")
    starts, stops = _windows(x.size, fs, window)
    if x.size < round(0.5 * fs):  # too short to hold a beat, and to band-pass
        nothing = np.full(starts.size, np.nan)
        return WindowQuality(starts, stops, nothing, nothing.copy(), np.zeros(starts.size, bool))
    x = unit_scale(x)
    energy = np.square(_checked_slope(x, fs, slope))
    # QRS energy of each beat: the largest 150 ms mean of the squared slope within 75 ms of its
    # R peak (an annotated R peak may sit a few samples off the energy's peak).
    half, width = max(1, round(0.075 * fs)), min(x.size, max(1, round(0.150 * fs)))
    cumulative = np.zeros(x.size + 1)
    np.cumsum(energy, out=cumulative[1:])
    integrated = (cumulative[width:] - cumulative[:-width]) / width  # starts at sample i
    del cumulative
    at = np.clip(r[:, None] + np.arange(-half, half + 1) - width // 2, 0, integrated.size - 1)
    beat_energy = integrated[at].max(axis=1)
    del integrated
    # The floor: the energy farther than 0.1 s from every R peak.
    qrs_half = round(_QRS_HALF_WIDTH * fs)
    covered = np.clip(r[:, None] + np.arange(-qrs_half, qrs_half + 1), 0, x.size - 1).ravel()
    away = np.ones(x.size, dtype=bool)
    away[covered] = False
    energy[covered] = 0.0
    hf = _hf_ratios(x, fs, starts, stops)
    floor_sum = np.add.reduceat(energy, starts) if starts.size else np.zeros(0)
    floor_count = (
        np.add.reduceat(away, starts, dtype=np.int64) if starts.size else np.zeros(0, np.int64)
    )
    first, last = np.searchsorted(r, starts), np.searchsorted(r, stops)
    peak = window_medians(beat_energy, first, last)
    snr = np.full(starts.size, np.nan)
    for k in np.flatnonzero((last > first) & (floor_count > 0)):
        noise = floor_sum[k] / floor_count[k]
        if noise <= 0:
            # No energy between the beats: clean if the beats have some, but a window with
            # none at all (a lead off at 0) has no QRS to read. Below 122 Hz there is no
            # hf_ratio to say so: it was readable.
            snr[k] = np.inf if peak[k] > 0 else -np.inf
        else:
            snr[k] = 10 * np.log10(max(peak[k], 1e-300) / noise)
    with np.errstate(invalid="ignore"):
        readable = (np.isnan(hf) | (hf <= MAX_HF_RATIO)) & (snr >= MIN_QRS_SNR_DB)
    return WindowQuality(starts, stops, hf, snr, readable)


def readable_beats(signal, fs: float, r_peaks, *, window: float = QUALITY_WINDOW) -> np.ndarray:
    """Whether each beat lies in a readable window of the signal (:func:`window_quality`).

    Parameters
    ----------
    signal : array-like of shape (n_samples,)
        One ECG lead, in any unit.
    fs : float
        Sampling frequency in Hz (40 Hz or more).
    r_peaks : array-like of int
        The R peaks, strictly increasing.
    window : float, default=QUALITY_WINDOW
        Window length in seconds.

    Returns
    -------
    readable : ndarray of shape (n_beats,), bool
        True for the beats of readable windows.

    Examples
    --------
    >>> import numpy as np
    >>> fs = 360
    >>> t = np.arange(30 * fs) / fs
    >>> ecg = sum(np.exp(-(((t - c) / 0.012) ** 2)) for c in np.arange(0.4, 30, 0.8))
    >>> r_peaks = np.round(np.arange(0.4, 30, 0.8) * fs).astype(int)
    >>> bool(readable_beats(ecg, fs, r_peaks).all())
    True
    """
    return window_quality(signal, fs, r_peaks, window=window).readable_at(r_peaks)


def hold_back_in_noise(
    signal,
    fs: float,
    r_peaks,
    *,
    rr_fraction: float = HOLD_BACK_RR_FRACTION,
    window: float = QUALITY_WINDOW,
    quality: WindowQuality | None = None,
    slope: np.ndarray | None = None,
) -> np.ndarray:
    """Drop the weaker of two R peaks too close together in an unreadable stretch.

    Inside a burst of noise a detector takes spikes and steps for beats, between the real ones: it
    reports pairs of "beats" closer than any rhythm would put them. In the windows that
    :func:`window_quality` finds unreadable (and only there, so that early beats of a clean
    recording keep their place), of two R peaks less than ``rr_fraction`` times the recording's
    median R-R interval apart, the one with less QRS energy (mean squared slope of
    :func:`ecgbeat.signals.qrs_slope` within 75 ms) is dropped, walking from the first peak to
    the last. The median R-R interval comes from the readable windows when they hold more than
    ten intervals, else from all peaks. A signal shorter than half a second, too short to hold
    a beat or to band-pass, is not read: its peaks are kept.

    Parameters
    ----------
    signal : array-like of shape (n_samples,)
        One ECG lead, in any unit.
    fs : float
        Sampling frequency in Hz (40 Hz or more).
    r_peaks : array-like of int
        The detected R peaks, strictly increasing.
    rr_fraction : float, default=HOLD_BACK_RR_FRACTION
        Closest spacing kept in unreadable windows, as a fraction of the median R-R interval.
    window : float, default=QUALITY_WINDOW
        Window length of the quality check, in seconds.
    quality : WindowQuality, optional
        :func:`window_quality` of this signal and these peaks, when the caller has it already
        (``window`` is then not used).
    slope : ndarray of shape (n_samples,), optional
        As for :func:`window_quality`: the detector's slope of this signal, if at hand.

    Returns
    -------
    r_peaks : ndarray of int64
        The R peaks that are kept, a subset of the given ones.

    Raises
    ------
    ValueError
        If ``rr_fraction`` is not a number in [0, 1), (without ``quality``) ``window`` not a
        positive number of seconds, ``quality`` not a WindowQuality whose windows cover the
        signal, or ``slope`` not finite numbers of the signal's shape.

    Examples
    --------
    >>> import numpy as np
    >>> fs = 250
    >>> t = np.arange(40 * fs) / fs
    >>> ecg = sum(np.exp(-(((t - c) / 0.012) ** 2)) for c in np.arange(0.4, 40, 0.8))
    >>> noisy = ecg + np.where(t >= 20, np.random.default_rng(0).normal(0, 0.3, t.size), 0.0)
    >>> beats = np.round(np.arange(0.4, 40, 0.8) * fs).astype(int)
    >>> spikes = beats[30:40] + 50  # 0.2 s after ten beats of the noisy half
    >>> kept = hold_back_in_noise(noisy, fs, np.sort(np.r_[beats, spikes]))
    >>> np.array_equal(kept, beats)
    True
    """
    x, fs = check_signal(signal, fs)
    r = check_r_peaks(r_peaks, x.size)
    if not (is_finite_number(rr_fraction) and 0 <= rr_fraction < 1):
        raise ValueError(f"rr_fraction must be a number in [0, 1), got {rr_fraction!r}")
    if quality is None:
        # Here, not only in window_quality: with fewer than 3 peaks, or rr_fraction=0, no
        # window is read, and any window ("10", -1) was taken without a word.
        check_seconds(window, "window")
    elif not isinstance(quality, WindowQuality):
        # Anything else failed later as "'str' object has no attribute 'readable_at'".
        raise ValueError(
            f"quality must be window_quality's result (a WindowQuality) or None, got {quality!r}"
        )
    else:
        first, end = (int(quality.start[0]), int(quality.stop[-1])) if len(quality) else (0, 0)
        if first != 0 or end != x.size:
            # The quality of another signal: its windows were read as this one's, or a peak past
            # them was named as lying outside windows the caller never made.
            raise ValueError(
                f"quality covers samples {first} to {end - 1}, but the signal has {x.size}: it "
                "is the quality of another signal"
            )
    if r.size < 3 or rr_fraction == 0 or x.size < round(0.5 * fs):
        # window_quality reads nothing in under half a second, and the band-pass of the QRS
        # energy failed on a few samples with scipy's padlen error.
        return r.copy()
    if quality is None:
        quality = window_quality(x, fs, r, window=window, slope=slope)
    noisy = ~quality.readable_at(r)
    if not noisy.any():
        return r.copy()
    rr = np.diff(r)
    readable_rr = rr[~noisy[1:] & ~noisy[:-1]]
    usual = np.median(readable_rr if readable_rr.size > 10 else rr)
    energy = np.square(_checked_slope(x, fs, slope))
    half = max(1, round(0.075 * fs))
    energy = energy[np.clip(r[:, None] + np.arange(-half, half + 1), 0, x.size - 1)].mean(axis=1)
    keep = np.ones(r.size, dtype=bool)
    last = 0  # the last peak kept
    for i in range(1, r.size):
        if (noisy[i] or noisy[last]) and r[i] - r[last] < rr_fraction * usual:
            if energy[i] > energy[last]:
                keep[last] = False
                last = i
            else:
                keep[i] = False
        else:
            last = i
    return r[keep]
