"""Checks and scaling of single-lead signals and their R peaks, shared by the detectors and the beat
cutter, and the QRS band that the detector and the quality check both read.

Every function that takes a signal from a user validates it here, so that a bad signal is refused
with the same :class:`~ecgbeat.exceptions.SignalError` wherever it enters.

Examples
--------
>>> import numpy as np
>>> from ecgbeat.signals import check_r_peaks, check_signal
>>> signal, fs = check_signal(np.zeros(500), 250)
>>> fs, check_r_peaks([10, 20], len(signal)).tolist()
(250.0, [10, 20])
"""

from __future__ import annotations

import functools
import numbers

import numpy as np
from scipy.signal import butter, sosfilt, sosfilt_zi, sosfiltfilt

from ecgbeat._checks import is_real_dtype
from ecgbeat.exceptions import SignalError

__all__ = ["MIN_FS", "check_r_peaks", "check_signal", "qrs_slope", "unit_scale"]

#: Lowest sampling frequency accepted: the 5-15 Hz QRS band must lie below Nyquist.
MIN_FS = 40.0


def check_signal(
    signal, fs: float, *, name: str = "signal", first_index: int = 0
) -> tuple[np.ndarray, float]:
    """Validate a single-lead signal and its sampling frequency.

    Parameters
    ----------
    signal : array-like of shape (n_samples,)
        Real-valued samples; integer dtypes are converted to float64.
    fs : float
        Sampling frequency in Hz, finite and at least ``MIN_FS``.
    name : str, default="signal"
        How error messages name the signal (e.g. a record name).
    first_index : int, default=0
        The index of the signal's first sample, as error messages count samples: a chunk of a
        stream counts from the stream's first sample.

    Returns
    -------
    signal : ndarray of shape (n_samples,), float64
        The validated signal.
    fs : float
        The validated sampling frequency.

    Raises
    ------
    SignalError
        If the signal is not 1-D, not real numbers, contains NaN/inf, or ``fs`` is invalid.

    Examples
    --------
    >>> x, fs = check_signal([1, 2, 3], 360)
    >>> x.dtype, fs
    (dtype('float64'), 360.0)
    >>> check_signal([1.0, float("nan")], 360, name="stream", first_index=1000)
    Traceback (most recent call last):
    ...
    ecgbeat.exceptions.SignalError: stream: 1 NaN or infinite sample(s), the first at index 1001
    """
    try:
        arr = np.asarray(signal)
    except ValueError:
        # numpy's own error (an inhomogeneous shape) would bypass SignalError and the name.
        raise SignalError(
            f"{name}: expected a 1-D single-lead signal, got a ragged sequence of sequences"
        ) from None
    if not is_real_dtype(arr.dtype):
        raise SignalError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        if arr.ndim == 0:  # a stream's device loop may hand over one sample as a number
            hint = "one sample is a sequence of one, e.g. [x]"
        else:
            # Leads are columns in wfdb's arrays but rows in MNE's (channels first): signal[:, 0]
            # alone would turn one lead of shape (1, n) into its first sample, without an error.
            hint = "pass one lead: signal[:, k] if the leads are columns (wfdb), signal[k] if rows"
        raise SignalError(
            f"{name}: expected a 1-D single-lead signal, got shape {arr.shape} ({hint})"
        )
    arr = arr.astype(np.float64, copy=False)
    finite = np.isfinite(arr)
    if not finite.all():
        first = int(np.flatnonzero(~finite)[0]) + first_index
        raise SignalError(
            f"{name}: {int((~finite).sum())} NaN or infinite sample(s), the first at index {first}"
        )
    # Text is no rate: float("360") took it, where every other check of a rate refuses it. Nor
    # is a bool, which Python counts as a number: True was refused as "got 1.0", a value the
    # caller never wrote (NumPy's bool, no number to Python, was named as given).
    if not isinstance(fs, numbers.Real) or isinstance(fs, bool):
        raise SignalError(f"{name}: sampling frequency must be a number, got {fs!r}")
    rate = float(fs)
    if not np.isfinite(rate) or rate < MIN_FS:
        raise SignalError(
            f"{name}: sampling frequency must be at least {MIN_FS:g} Hz, got {rate!r}"
        )
    return arr, rate


def check_r_peaks(r_peaks, n_samples: int, name: str = "signal") -> np.ndarray:
    """R-peak sample indices checked against a signal of ``n_samples``; int64.

    Integer indices, or floats with integer values, 1-D, inside the signal, strictly increasing.

    Raises
    ------
    SignalError
        Naming ``name`` and what is wrong.

    Examples
    --------
    >>> check_r_peaks([3.0, 10, 42], 50).tolist()
    [3, 10, 42]
    """
    try:
        r = np.asarray(r_peaks)
    except ValueError:
        raise SignalError(
            f"{name}: r_peaks must be 1-D sample indices, got a ragged sequence"
        ) from None
    if r.ndim != 1:
        raise SignalError(f"{name}: r_peaks must be 1-D sample indices, got shape {r.shape}")
    if r.size and not np.issubdtype(r.dtype, np.integer):
        if not np.issubdtype(r.dtype, np.floating) or not np.all(r == np.round(r)):
            raise SignalError(f"{name}: r_peaks must be integer sample indices")
    if r.size and (r.min() < 0 or r.max() >= n_samples):
        raise SignalError(
            f"{name}: r_peaks must lie in [0, {n_samples - 1}] (the signal's samples); "
            f"got values from {r.min()} to {r.max()}"
        )
    r = r.astype(np.int64)
    if np.any(np.diff(r) <= 0):
        raise SignalError(f"{name}: r_peaks must be strictly increasing")
    return r


def unit_scale(x: np.ndarray) -> np.ndarray:
    """``x`` divided by a power of two so that its largest magnitude lies in [0.5, 1).

    Every later step is invariant to the signal's scale, but squares and differences of samples
    near the float64 limits overflow (NaN beats, missed peaks) and those near 1e-300 underflow.
    A power of two is exact in binary floating point, so ordinary signals give bit-identical
    results.
    """
    # Not np.abs: the most negative integer has no absolute value in its type (int16 -32768,
    # WFDB's invalid sample, stays -32768), so it was never the peak: [-32768, 100] was scaled
    # by 2**-7, to -256, and int8 [-128] not at all.
    peak = max(float(np.max(x, initial=0)), -float(np.min(x, initial=0)))
    if peak == 0.0:
        return x
    exponent = int(np.frexp(peak)[1])
    if x.dtype == np.float64 and abs(exponent) < 1000:
        # A product with a normal power of two is ldexp's result to the last bit (both round
        # once, the same way, and only below the normal range), ten times faster on a record.
        # Only in float64: in a narrower type the power of two itself may not exist.
        return x * 2.0**-exponent
    return np.ldexp(x, -exponent)


def qrs_slope(x: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """The detector's view of a signal: band-passed to 5-20 Hz, and its slope.

    The signal is band-passed (second order, zero phase, so that the QRS complexes stay where
    they are; below 44.4 Hz the upper edge is 0.45 ``fs``, as 20 Hz would reach Nyquist) and
    differentiated (per second). :func:`ecgbeat.qrs.pan_tompkins` squares the
    slope and averages it over 150 ms: QRS complexes are the peaks of that energy. Shared with
    :mod:`ecgbeat.quality`, which reads the same energy.

    Parameters
    ----------
    x : ndarray of shape (n_samples,)
        One lead, checked (:func:`ecgbeat.signals.check_signal`); integer samples are read as
        float64.
    fs : float
        Sampling frequency in Hz.

    Returns
    -------
    filtered, slope : ndarray of shape (n_samples,)
        The band-passed signal and its derivative.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros(720); x[360] = 1.0
    >>> filtered, slope = qrs_slope(x, 360)
    >>> int(np.argmax(filtered)), int(np.argmax(slope)) < 360 < int(np.argmin(slope))
    (360, True)
    """
    sos, zi = _qrs_band(float(fs))
    # In float64: the odd padding (2 x[0] - x[k]) of integer ADC counts wrapped around in their
    # own type (uint8 0 - 10 is 246), and the filtered edges were wrong by the full scale.
    filtered = _zero_phase(np.array(sos), np.array(zi), np.asarray(x, dtype=np.float64))
    return filtered, np.gradient(filtered) * fs


@functools.lru_cache(maxsize=16)
def _qrs_band(fs: float) -> tuple[tuple[tuple[float, ...], ...], tuple[tuple[float, ...], ...]]:
    """The band-pass of :func:`qrs_slope` and its steady-state initial conditions
    (:func:`scipy.signal.sosfilt_zi`): computed once per rate, since a stream asks for them
    every half second (:mod:`ecgbeat.streaming`) and they cost more than filtering its 10 s."""
    # Near MIN_FS the 20 Hz edge reaches Nyquist, where the filter cannot be designed: lower it.
    sos = butter(2, [5.0, min(20.0, 0.45 * fs)], btype="bandpass", fs=fs, output="sos")
    zi = sosfilt_zi(sos)
    return tuple(map(tuple, sos.tolist())), tuple(map(tuple, zi.tolist()))  # immutable: shared


def _zero_phase(sos: np.ndarray, zi: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``scipy.signal.sosfiltfilt(sos, x)`` with its default odd padding, to the last bit, from
    ``zi = sosfilt_zi(sos)`` computed once: sosfiltfilt computes it at every call, half of its
    time on a stream's 10 s of signal."""
    taps = 2 * len(sos) + 1 - min(np.sum(sos[:, 2] == 0), np.sum(sos[:, 5] == 0))
    edge = 3 * int(taps)
    if x.size <= edge:
        return sosfiltfilt(sos, x)  # which says why it cannot filter so short a signal
    # scipy.signal's odd extension of ``edge`` samples at each end, as sosfiltfilt pads.
    padded = np.concatenate([2 * x[0] - x[edge:0:-1], x, 2 * x[-1] - x[-2 : -edge - 2 : -1]])
    forward = sosfilt(sos, padded, zi=zi * padded[0])[0]
    backward = sosfilt(sos, forward[::-1], zi=zi * forward[-1])[0]
    return backward[::-1][edge:-edge]


def window_medians(values: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """``np.median(values[first[k]:last[k]])`` for each window ``k`` (NaN where empty), the
    same to the last bit, from one sort instead of a call per window. The windows cover
    ``values`` in order: ``first[0] == 0``, ``first[k + 1] == last[k]``, ``last[-1] == values.size``.

    Examples
    --------
    >>> import numpy as np
    >>> window_medians(np.array([3.0, 1.0, 2.0, 5.0, 4.0]), np.array([0, 3, 5]), np.array([3, 5, 5]))
    array([2. , 4.5, nan])
    """
    counts = last - first
    medians = np.full(counts.size, np.nan)
    full = counts > 0
    if not full.any():
        return medians
    window = np.repeat(np.arange(counts.size), counts)
    ordered = values[np.lexsort((values, window))]  # by window, then by value
    low, high = (first + (counts - 1) // 2)[full], (first + counts // 2)[full]
    # As np.median: the middle value, or the mean of the two middle values.
    medians[full] = np.where(low == high, ordered[low], (ordered[low] + ordered[high]) / 2)
    return medians


def samples_up_to(seconds: float, fs: float, most: int) -> int:
    """``round(seconds * fs)``, but no more than ``most`` samples.

    Compared in seconds before multiplying: the samples of a huge duration (1e308 s) are
    infinite, which ``round`` refuses with an OverflowError.

    Examples
    --------
    >>> samples_up_to(0.1, 360, 1000), samples_up_to(1e308, 360, 1000)
    (36, 1000)
    """
    return most if seconds >= most / fs else round(seconds * fs)
