"""Property-based tests (Hypothesis): segmentation and the estimator's input checks.

Each generated input must either give well-formed output or a clear ecgbeat error; any other
exception, a NaN beat or a hang (Hypothesis' ``deadline``) fails the test. Sizes are bounded for
speed; signals of hours are built by repeating a synthetic ECG, so they stay cheap to generate.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_synthetic_beats
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat.beats import segment_beats
from ecgbeat.exceptions import SignalError
from ecgbeat.qrs import detect_r_peaks

BEAT_LENGTH = 187
# Two busy cores: a generous deadline still catches a hang (or a quadratic blow-up).
SETTINGS = dict(
    deadline=5000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,  # a CI failure must reproduce on a developer's machine
)

fs_values = st.one_of(
    st.integers(50, 2000), st.floats(50, 2000, allow_nan=False, allow_infinity=False)
)


def synthetic_ecg(fs: float, seconds: float, bpm: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian R waves with small T waves, baseline wander and noise."""
    t = np.arange(int(seconds * fs)) / fs
    x = 0.1 * np.sin(2 * np.pi * 0.3 * t) + 0.02 * rng.standard_normal(t.size)
    for centre in np.arange(0.3, seconds, 60.0 / bpm):
        x += np.exp(-(((t - centre) / 0.012) ** 2))
        x += 0.25 * np.exp(-(((t - centre - 0.25) / 0.05) ** 2))
    return x


@st.composite
def signals(draw):
    """A signal and its sampling frequency: realistic, degenerate or hostile."""
    fs = draw(fs_values)
    kinds = ["ecg", "extreme", "flat", "spike", "clipped", "random", "ecg-bad"]
    kind = draw(st.sampled_from(kinds))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    seconds = draw(st.floats(0, 40))
    n = int(seconds * fs)
    if kind == "ecg":
        x = synthetic_ecg(fs, seconds, draw(st.floats(30, 220)), rng)
    elif kind == "extreme":  # an ECG stretched to the float64 limit: its span overflows
        x = synthetic_ecg(fs, seconds, draw(st.floats(30, 220)), rng)
        if n:
            with np.errstate(over="ignore"):
                x *= np.finfo(np.float64).max / np.abs(x).max()
    elif kind == "flat":
        x = np.full(n, draw(st.floats(-1e6, 1e6)))
    elif kind == "spike":
        x = np.zeros(n)
        if n:
            x[draw(st.integers(0, n - 1))] = draw(st.sampled_from([1.0, -1.0, 1e300, 5e-324]))
    elif kind == "clipped":
        x = np.clip(synthetic_ecg(fs, seconds, 75, rng), -0.05, draw(st.floats(0.0, 0.5)))
    elif kind == "random":
        x = draw(
            hnp.arrays(
                np.float64,
                st.integers(0, 3000),
                elements=st.floats(allow_nan=False, allow_infinity=False, width=64),
            )
        )
    else:  # an ECG with NaN or inf somewhere
        x = synthetic_ecg(fs, seconds, 75, rng)
        if n:
            x[draw(st.integers(0, n - 1))] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    scale = 1.0 if kind == "extreme" else draw(st.sampled_from([1.0, 1e-300, 1e-3, 1e3, 1e300]))
    dtype = draw(st.sampled_from(["float64", "float32", "float16", "int16", "int32", "int64"]))
    with np.errstate(all="ignore"):
        x = x * scale
        if dtype.startswith("int"):
            # ADC values: the caller's integers, saturated as a real converter would be.
            info = np.iinfo(dtype)
            x = np.clip(np.nan_to_num(x * 1000), info.min, info.max).astype(dtype)
        else:
            x = x.astype(dtype)
    return x, fs


def check_segments(seg, n_samples: int) -> None:
    """The contract of :func:`segment_beats` on a successful call."""
    beats, r_peaks, windows = seg
    assert beats.ndim == 2 and beats.shape[1] == BEAT_LENGTH
    assert beats.dtype == np.float32
    assert np.isfinite(beats).all()
    if beats.size:
        assert beats.min() >= 0.0 and beats.max() <= 1.0
    assert r_peaks.shape == windows.shape == (beats.shape[0],)
    assert r_peaks.dtype == np.int64 and windows.dtype == np.int64
    if r_peaks.size:
        assert r_peaks[0] >= 0 and r_peaks[-1] < n_samples
        assert np.all(np.diff(r_peaks) > 0)
        assert np.all(np.diff(windows) >= 0)


@settings(max_examples=120, **SETTINGS)
@given(signals(), st.sampled_from(["pan-tompkins", "threshold"]))
def test_segmentation_gives_beats_or_a_signal_error(signal_fs, detector):
    signal, fs = signal_fs
    before = signal.copy()
    try:
        seg = segment_beats(signal, fs, detector=detector, name="record x")
    except SignalError as error:
        assert "record x" in str(error)
        return
    finally:
        np.testing.assert_array_equal(signal, before)  # the caller's array is left alone
    check_segments(seg, signal.size)


@settings(max_examples=80, **SETTINGS)
@given(signals(), st.data())
def test_given_r_peaks_give_their_beats_or_a_signal_error(signal_fs, data):
    signal, fs = signal_fs
    n = signal.size
    if n >= 2 and data.draw(st.booleans()):  # reference annotations: sorted, in the signal
        r_peaks = data.draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=300, unique=True))
        r_peaks.sort()
    else:  # anything else a caller might pass
        r_peaks = data.draw(
            st.one_of(
                st.lists(st.integers(-10, 10**6), max_size=300),
                st.lists(st.floats(-10, 10**6), max_size=50),
                hnp.arrays(np.int64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=5)),
            )
        )
    try:
        seg = segment_beats(signal, fs, r_peaks=r_peaks)
    except SignalError:
        return
    check_segments(seg, n)
    r = np.asarray(r_peaks)
    if r.size >= 2:  # the last R peak is dropped, the others are kept as given
        np.testing.assert_array_equal(seg.r_peaks, r[:-1])


@settings(max_examples=25, **SETTINGS)
@given(
    fs=fs_values,
    bpm=st.floats(40, 180),
    exponent=st.one_of(st.integers(-1000, 1000), st.sampled_from([-1000, 1000])),
    detector=st.sampled_from(["pan-tompkins", "threshold"]),
)
def test_scaling_by_a_power_of_two_changes_nothing(fs, bpm, exponent, detector):
    # Units are arbitrary (mV, ADC counts, volts): the beats must not depend on them, and a
    # power of two is exact in floating point, so the beats must be bit-identical.
    x = synthetic_ecg(fs, 20, bpm, np.random.default_rng(0))
    ref = segment_beats(x, fs, detector=detector)
    seg = segment_beats(np.ldexp(x, exponent), fs, detector=detector)
    np.testing.assert_array_equal(seg.r_peaks, ref.r_peaks)
    np.testing.assert_array_equal(seg.beats, ref.beats)


@settings(max_examples=4, **SETTINGS)
@given(fs=st.sampled_from([50, 128, 360, 500]), hours=st.floats(0.5, 2.0))
def test_hours_long_signals(fs, hours):
    rng = np.random.default_rng(0)
    ten_seconds = synthetic_ecg(fs, 10.0, 72, rng)  # 12 beats, the 13th wraps into the next copy
    signal = np.tile(ten_seconds, int(hours * 360))
    seg = segment_beats(signal, fs)
    check_segments(seg, signal.size)
    # The detector finds the built-in beats: 12 per 10 s, less the dropped last one.
    assert abs(seg.beats.shape[0] - 12 * int(hours * 360)) <= 2


@settings(max_examples=40, **SETTINGS)
@given(
    st.one_of(
        st.none(),
        st.text(max_size=5),
        st.floats(),
        st.sampled_from([0, -1, 39.9, np.nan, np.inf, "360 Hz", [360], np.array([360.0]), 1j]),
    )
)
def test_bad_sampling_frequencies_are_signal_errors(fs):
    signal = synthetic_ecg(360, 5, 75, np.random.default_rng(0))
    try:
        fs_value = float(fs)
    except (TypeError, ValueError):
        fs_value = None
    assume(fs_value is None or not (np.isfinite(fs_value) and fs_value >= 40))
    with pytest.raises(SignalError, match="sampling frequency"):
        segment_beats(signal, fs)
    with pytest.raises(SignalError, match="sampling frequency"):
        detect_r_peaks(signal, fs)


@pytest.mark.parametrize(
    ("signal", "match"),
    [
        (np.zeros((2, 500)), "1-D single-lead"),
        (np.array(["a"] * 500), "real numbers"),
        (np.ones(500, dtype=complex), "real numbers"),
        (np.ones(500, dtype=bool), "real numbers"),
        (np.array([1.0, None] * 250, dtype=object), "real numbers"),
    ],
)
def test_non_numeric_or_multilead_signals(signal, match):
    with pytest.raises(SignalError, match=match):
        segment_beats(signal, 360)


def test_extreme_amplitudes_give_the_same_beats():
    # Rescaling by a power of two is exact, so a signal near the float64 limits gives the very
    # beats of the ordinary signal (before the fix: NaN beats and no detected peaks).
    rng = np.random.default_rng(1)
    x = synthetic_ecg(360, 30, 75, rng)
    ref = segment_beats(x, 360)
    assert ref.beats.shape == (37, BEAT_LENGTH)  # 38 R waves, the last dropped
    for factor in (2.0**-1000, 2.0**1000):
        seg = segment_beats(x * factor, 360)
        np.testing.assert_array_equal(seg.r_peaks, ref.r_peaks)
        np.testing.assert_array_equal(seg.beats, ref.beats)
    # With given R peaks, a window whose span exceeds the float64 range gave NaN beats.
    top = x * (np.finfo(np.float64).max / np.abs(x).max())
    seg = segment_beats(top, 360, r_peaks=ref.r_peaks)
    check_segments(seg, x.size)
    np.testing.assert_allclose(
        seg.beats, segment_beats(x, 360, r_peaks=ref.r_peaks).beats, atol=1e-6
    )


def test_lowest_sampling_rate_works_with_both_detectors():
    # At 40 Hz the 20 Hz band edge was Nyquist itself: scipy refused to design the filter.
    x = synthetic_ecg(40, 30, 75, np.random.default_rng(2))
    seg = segment_beats(x, 40)
    check_segments(seg, x.size)
    assert seg.beats.shape[0] == 37
    # The paper's rule misses undersampled R waves (see qrs.threshold_peaks) but does not fail.
    check_segments(segment_beats(x, 40, detector="threshold"), x.size)


# The estimator's input checks.

N_SAMPLES = 32


@pytest.fixture(scope="module")
def tiny():
    X, y = make_synthetic_beats(n_per_class=20, n_samples=N_SAMPLES)
    clf = HeartbeatCNNClassifier(epochs=2, batch_size=16, random_state=0, validation_fraction=0)
    return clf.fit(X, y)


element_dtypes = st.sampled_from(
    [np.float64, np.float32, np.float16, np.int8, np.int64, np.uint8, np.bool_, np.complex128]
)


@st.composite
def beat_arrays(draw):
    """Arrays of any shape and dtype, often (n, 32) or (n, 32, 1); NaN and inf included."""
    shape = draw(
        st.one_of(
            st.tuples(st.integers(0, 40), st.just(N_SAMPLES)),
            st.tuples(st.integers(0, 40), st.just(N_SAMPLES), st.integers(0, 2)),
            hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=40),
        )
    )
    dtype = draw(element_dtypes)
    # Finite values stay within what float32 can hold: see test_float32_overflow below.
    elements = None
    if np.issubdtype(dtype, np.floating) and dtype != np.float16:
        elements = st.floats(-1e4, 1e4, width=32) | st.sampled_from([np.nan, np.inf, -np.inf])
    return draw(hnp.arrays(dtype, shape, elements=elements))


def odd_inputs():
    """Things that are not arrays of numbers."""
    return st.one_of(
        st.none(),
        st.text(max_size=10),
        st.lists(st.lists(st.floats(0, 1), max_size=N_SAMPLES + 1), max_size=5),  # ragged
        st.lists(
            st.lists(st.one_of(st.floats(0, 1), st.text(max_size=2), st.none()), min_size=32),
            min_size=1,
            max_size=3,
        ),
        hnp.arrays(object, (3, N_SAMPLES), elements=st.one_of(st.floats(0, 1), st.none())),
    )


def check_proba_or_value_error(clf, X) -> None:
    before = X.copy() if isinstance(X, np.ndarray) else None
    try:
        proba = clf.predict_proba(X)
    except ValueError as error:
        # A message a user can act on, not an empty or internal one.
        assert len(str(error)) > 15, repr(error)
        return
    finally:
        if before is not None:
            np.testing.assert_array_equal(X, before)
    arr = np.asarray(X)
    assert arr.shape[0] == proba.shape[0] and arr.shape[1] == N_SAMPLES
    assert arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 1)
    assert proba.shape == (arr.shape[0], 3) and proba.dtype == np.float64
    assert np.isfinite(proba).all() and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


@settings(max_examples=150, **SETTINGS)
@given(st.one_of(beat_arrays(), odd_inputs()))
def test_predict_proba_gives_probabilities_or_a_value_error(tiny, X):
    check_proba_or_value_error(tiny, X)


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.full((2, N_SAMPLES), np.nan), "NaN"),
        (np.full((2, N_SAMPLES), np.inf), "infinity"),
        (np.zeros((0, N_SAMPLES)), "0 sample"),
        (np.zeros((2, N_SAMPLES + 1)), f"expecting {N_SAMPLES} features"),
        (np.zeros((2, N_SAMPLES, 2)), "only one lead"),
        (np.zeros(N_SAMPLES), "Expected 2D array"),
        (np.zeros((1, 1, N_SAMPLES, 1)), f"expecting {N_SAMPLES} features"),
        (np.array([["a"] * N_SAMPLES]), "convert"),
        (np.ones((2, N_SAMPLES), dtype=complex), "Complex data not supported"),
    ],
)
def test_predict_proba_messages(tiny, X, match):
    with pytest.raises(ValueError, match=match):
        tiny.predict_proba(X)


def test_float32_overflow(tiny):
    X = np.full((2, N_SAMPLES), 1e300)
    check_proba_or_value_error(tiny, X)
    with pytest.raises(ValueError, match="beyond the float32 range"):
        tiny.predict_proba(X)


@settings(max_examples=30, **SETTINGS)
@given(
    amplitude=st.floats(1.0, 20.0),
    burst_seconds=st.floats(2.0, 40.0),
    seed=st.integers(0, 2**16),
)
def test_a_burst_of_spikes_never_silences_the_detector_for_over_5_s(amplitude, burst_seconds, seed):
    from test_qrs import spike_burst

    fs, start = 250, 20.0
    end = start + burst_seconds
    beats = np.arange(0.4, end + 20, 0.8)
    t = np.arange(round((end + 20) * fs)) / fs
    ecg = sum(np.exp(-(((t - c) / 0.012) ** 2)) for c in beats)
    found = detect_r_peaks(spike_burst(ecg, fs, start, end, amplitude, seed), fs)
    # From 5 s after the burst to the last full beat, every beat is heard.
    later = beats[(beats > end + 5) & (beats < end + 19)]
    assert all(np.abs(found - b * fs).min() <= 0.05 * fs for b in later)
