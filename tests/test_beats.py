"""Tests of the Kachuee et al. (2018) beat segmentation."""

from __future__ import annotations

import re

import numpy as np
import pytest

from ecgbeat.beats import resample, segment_beats
from ecgbeat.exceptions import SignalError


def synthetic_ecg(fs: float, seconds: float, rr: float = 0.8, first: float = 0.5):
    """Narrow Gaussian R waves on a slow baseline wander; returns (signal, r_peak_indices)."""
    t = np.arange(round(seconds * fs)) / fs
    centres = np.arange(first, seconds - 0.2, rr)
    r = np.rint(centres * fs).astype(np.int64)
    ecg = np.exp(-(((t[:, None] - r / fs) / 0.012) ** 2)).sum(axis=1)
    ecg += 0.1 * np.sin(2 * np.pi * 0.3 * t)
    return ecg, r


@pytest.mark.parametrize("fs", [128, 250, 360, 1000])
def test_known_r_peaks_any_rate(fs):
    ecg, r = synthetic_ecg(fs, 60.0)
    seg = segment_beats(ecg, fs, r_peaks=r)
    # Every R peak but the last becomes a beat.
    assert seg.beats.shape == (r.size - 1, 187)
    assert seg.beats.dtype == np.float32
    assert seg.beats.min() >= 0.0 and seg.beats.max() <= 1.0
    np.testing.assert_array_equal(seg.r_peaks, r[:-1])
    # Each beat starts on its R wave (the top of the window) and lasts 1.2 * 0.8 s = 120 samples.
    assert np.all(seg.beats[:, 0] > 0.75)
    assert not seg.beats[:, 121:].any()
    assert np.all(seg.beats[:, 100] > 0)
    np.testing.assert_array_equal(seg.windows, (r[:-1] / fs // 10).astype(int))


@pytest.mark.parametrize("fs", [499.7, 300.03])
def test_beats_stay_on_their_r_peaks_at_a_rate_without_a_short_ratio(fs):
    # 125 / 499.7 needs a denominator over 1000: the signal is resampled by a nearby fraction,
    # and the R peaks must move by that same fraction. By the exact ratio, the beats of the
    # tenth minute began 30 (499.7 Hz) and 7 (300.03 Hz) samples off their R waves.
    # synthetic_ecg's R waves, each drawn over its own 0.1 s: summing every pulse over ten
    # minutes was most of this test's time.
    r = np.rint(np.arange(0.5, 599.8, 0.8) * fs).astype(np.int64)
    ecg = np.zeros(round(600.0 * fs))
    offsets = np.arange(-round(0.05 * fs), round(0.05 * fs) + 1)
    ecg[r[:, None] + offsets] = np.exp(-((offsets / fs / 0.012) ** 2))
    seg = segment_beats(ecg, fs, r_peaks=r)
    assert seg.beats.shape[0] == r.size - 1
    assert np.all(seg.beats[:, 0] > 0.75)
    # The R wave's top, between two samples at 125 Hz, is the beat's first or second sample.
    assert set(seg.beats[:, :40].argmax(axis=1).tolist()) <= {0, 1}


@pytest.mark.parametrize("fs", [128, 250, 360, 1000])
def test_detector_finds_synthetic_beats(fs):
    ecg, r = synthetic_ecg(fs, 30.0, rr=0.75)
    seg = segment_beats(ecg, fs)
    assert seg.beats.shape[0] == r.size - 1
    assert np.abs(seg.r_peaks - r[:-1]).max() <= round(0.01 * fs)


def test_resampling_is_band_limited():
    fs = 360
    t = np.arange(10 * fs) / fs
    tone = np.sin(2 * np.pi * 5 * t) + np.sin(2 * np.pi * 100 * t)  # 100 Hz is above 62.5 Hz
    y = resample(tone, fs, 125)
    assert y.size == 1250
    spectrum = np.abs(np.fft.rfft(y)) / y.size
    freqs = np.fft.rfftfreq(y.size, 1 / 125)
    # The 5 Hz tone survives; the 100 Hz tone must not alias down to 25 Hz.
    assert spectrum[np.argmin(np.abs(freqs - 5))] > 0.45
    assert spectrum[np.argmin(np.abs(freqs - 25))] < 0.01


def test_beats_across_window_edges_are_continuous():
    fs = 360
    ecg, r = synthetic_ecg(fs, 40.0, rr=0.77, first=0.31)
    seg = segment_beats(ecg, fs, r_peaks=r)
    # A beat starting 0.2 s before a window edge continues smoothly into the next window.
    edge_beats = np.flatnonzero((r[:-1] / fs) % 10 > 9.5)
    assert edge_beats.size > 0
    # After the narrow R wave (5 samples) and before the next one (sample 96)
    # only the slow baseline remains: no step at the window edge.
    jumps = np.abs(np.diff(seg.beats[edge_beats, 5:90], axis=1)).max()
    assert jumps < 0.02


def test_short_signal_single_partial_window():
    fs = 250
    ecg, r = synthetic_ecg(fs, 4.0)
    seg = segment_beats(ecg, fs, r_peaks=r)
    assert seg.beats.shape == (r.size - 1, 187)
    assert set(seg.windows.tolist()) == {0}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"beat_length": 187.5}, "beat_length must be a whole number of samples, got 187.5"),
        ({"beat_length": 0}, "beat_length must be at least 1 sample"),
        ({"window_seconds": float("nan")}, "window_seconds must be a finite number > 0, got nan"),
        ({"target_fs": float("nan")}, "target_fs must be a finite number > 0"),
        ({"segment_factor": float("inf")}, "segment_factor must be a finite number > 0, got inf"),
        ({"segment_factor": -1.0}, "segment_factor must be a finite number > 0"),
    ],
)
def test_bad_cutting_parameters_are_named(params, message):
    ecg, r = synthetic_ecg(250, 10.0)
    with pytest.raises(ValueError, match=re.escape(message)):
        segment_beats(ecg, 250, r_peaks=r, **params)


@pytest.mark.parametrize("segment_factor", [1e17, 1e300])
def test_a_huge_segment_factor_fills_every_beat(segment_factor):
    # 1e17 R-R intervals are past int64 samples: the cast made each beat's length negative, and
    # every beat zeros, without an error.
    ecg, r = synthetic_ecg(360, 20.0)
    whole = segment_beats(ecg, 360, r_peaks=r, segment_factor=10.0)
    huge = segment_beats(ecg, 360, r_peaks=r, segment_factor=segment_factor)
    assert np.mean(whole.beats[:-1, 150:] > 0) > 0.9  # past 1.2 R-R: taken, not padded
    np.testing.assert_array_equal(huge.beats, whole.beats)


@pytest.mark.parametrize("window_seconds", [1e300, 1e308])
def test_a_window_past_the_signal_is_one_window(window_seconds):
    # 1e308 s is an infinite number of samples at 125 Hz, which raised OverflowError.
    ecg, r = synthetic_ecg(360, 20.0)
    whole = segment_beats(ecg, 360, r_peaks=r, window_seconds=30.0)
    huge = segment_beats(ecg, 360, r_peaks=r, window_seconds=window_seconds)
    assert not huge.windows.any()
    np.testing.assert_array_equal(huge.beats, whole.beats)


@pytest.mark.parametrize("refine_radius", [-0.1, float("nan"), "0.1", True])
def test_cut_beats_names_a_bad_refine_radius_before_detecting(refine_radius, monkeypatch):
    # It was refused after the detector had run, as "radius must be...", a parameter of
    # refine_r_peaks that the caller never passed.
    import ecgbeat.beats

    def no_detector(*args, **kwargs):
        raise AssertionError("the detector ran")

    monkeypatch.setattr(ecgbeat.beats, "detect_r_peaks", no_detector)
    ecg, _ = synthetic_ecg(360, 20.0)
    with pytest.raises(ValueError, match=r"^refine_radius must be None or a number of seconds"):
        ecgbeat.beats.cut_beats(ecg, 360, refine_radius=refine_radius)


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"beat_length": 0}, ValueError, "beat_length must be at least 1 sample"),
        ({"before_r": -0.1}, ValueError, "before_r must be a number of seconds >= 0"),
        ({"segment_factr": 1.2}, TypeError, "cut_beats.. got an unexpected keyword argument"),
    ],
)
def test_cut_beats_names_a_bad_segment_parameter_before_detecting(params, error, message):
    # They were refused only after the detector (and the refinement) had gone through the
    # whole record.
    import ecgbeat.beats

    def no_detector(*args, **kwargs):
        raise AssertionError("the detector ran")

    ecg, _ = synthetic_ecg(360, 20.0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ecgbeat.beats, "detect_r_peaks", no_detector)
        with pytest.raises(error, match=message):
            ecgbeat.beats.cut_beats(ecg, 360, refine_radius=0.1, **params)


@pytest.mark.parametrize("detector", ["threshold", "no such detector"])
def test_a_detector_beside_the_r_peaks_is_refused(detector):
    # The R peaks are given, so the detector was ignored without a word, a misspelt one too.
    from ecgbeat.beats import cut_beats

    ecg, r = synthetic_ecg(360, 20.0)
    for cut in (segment_beats, cut_beats):
        with pytest.raises(ValueError, match="finds the R peaks that r_peaks gives"):
            cut(ecg, 360, r, detector=detector)


def test_too_short_signal_is_rejected():
    with pytest.raises(SignalError, match=r"too short.*1\.00 s"):
        segment_beats(np.zeros(360), 360, name="record 999")


@pytest.mark.parametrize(
    ("signal", "fs", "message"),
    [
        (np.r_[np.zeros(2000), np.nan, np.zeros(2000)], 360, "NaN or infinite.*index 2000"),
        (np.r_[np.zeros(2000), np.inf], 360, "NaN or infinite"),
        (np.zeros((4000, 2)), 360, "1-D"),
        (np.zeros(4000), 0, "sampling frequency"),
        (np.zeros(4000), -360, "sampling frequency"),
        (np.zeros(4000, dtype=bool), 360, "real numbers"),
        (np.array(["a"] * 4000), 360, "real numbers"),
        # Raised numpy's ValueError, neither a SignalError nor naming the record.
        ([np.zeros(3000), np.zeros(1000)], 360, r"record 123: expected a 1-D .* ragged"),
    ],
)
def test_bad_signals(signal, fs, message):
    with pytest.raises(SignalError, match=message):
        segment_beats(signal, fs, name="record 123")


def test_ragged_r_peaks_are_a_signal_error_naming_the_record():
    ecg, _ = synthetic_ecg(250, 10.0)
    with pytest.raises(SignalError, match=r"record 7: r_peaks must be 1-D .* ragged"):
        segment_beats(ecg, 250, r_peaks=[[500], [1000, 1500]], name="record 7")


def test_error_names_the_record():
    with pytest.raises(SignalError, match="record 123"):
        segment_beats(np.r_[np.zeros(2000), np.nan], 360, name="record 123")


def test_integer_adc_values_accepted():
    ecg, r = synthetic_ecg(360, 20.0)
    adc = np.rint(1024 + 200 * ecg).astype(np.int16)
    seg_int = segment_beats(adc, 360, r_peaks=r)
    seg_float = segment_beats(adc.astype(float), 360, r_peaks=r)
    np.testing.assert_array_equal(seg_int.beats, seg_float.beats)


@pytest.mark.parametrize(
    ("r_peaks", "message"),
    [([10, 3000, 20], "increasing"), ([-1, 100], r"lie in \[0"), ([10.5, 100], "integer")],
)
def test_bad_r_peaks(r_peaks, message):
    with pytest.raises(SignalError, match=message):
        segment_beats(np.zeros(4000), 360, r_peaks=r_peaks)


def test_mitbih_record_100(mitdb_dir):
    wfdb = pytest.importorskip("wfdb")
    rec = wfdb.rdrecord(str(mitdb_dir / "100"), channels=[0])
    ann = wfdb.rdann(str(mitdb_dir / "100"), "atr")
    beat = np.isin(ann.symbol, list("NLRBAaJSVrFejnE/fQ?"))
    r = ann.sample[beat]
    assert r.size == 2273
    seg = segment_beats(rec.p_signal[:, 0], rec.fs, r_peaks=r)
    assert seg.beats.shape == (2272, 187)
    np.testing.assert_array_equal(seg.r_peaks, r[:-1])
    assert seg.beats.min() >= 0 and seg.beats.max() <= 1
    # The R peak of a normal beat is near the top of its 10 s window.
    assert np.median(seg.beats[:, 0]) > 0.8


@pytest.mark.parametrize("fs", [250, 360])
def test_beats_can_start_before_the_r_peak(fs):
    ecg, r = synthetic_ecg(fs, 60.0)
    # A small P wave 0.16 s before every R wave.
    t = np.arange(ecg.size) / fs
    ecg += 0.2 * np.exp(-(((t[:, None] - (r / fs - 0.16)) / 0.02) ** 2)).sum(axis=1)
    plain = segment_beats(ecg, fs, r_peaks=r)
    early = segment_beats(ecg, fs, r_peaks=r, before_r=0.25)
    before = round(0.25 * 125)
    assert early.beats.shape == plain.beats.shape
    assert early.beats.min() >= 0.0 and early.beats.max() <= 1.0
    np.testing.assert_array_equal(early.r_peaks, plain.r_peaks)
    # The R wave sits at sample 31, the P wave 0.16 s (20 samples) before it, the beat's end as
    # far after R as before (1.2 R-R = 120 samples).
    assert np.all(early.beats[:, before] > 0.75)
    p_wave = early.beats[1:, before - 20]
    assert np.all(p_wave > early.beats[1:, before - 35] + 0.05)
    assert not early.beats[:, before + 121 :].any() and np.all(early.beats[:, before + 100] > 0)
    # Past the first window's first beat, the part from R on is the plain beat, rescaled alike.
    np.testing.assert_allclose(
        early.beats[5:, before : before + 100], plain.beats[5:, :100], atol=0.03
    )
    # before_r=0 is the paper's segmentation, bit for bit.
    np.testing.assert_array_equal(
        segment_beats(ecg, fs, r_peaks=r, before_r=0.0).beats, plain.beats
    )


def test_a_beat_too_close_to_the_start_for_before_r_repeats_the_first_sample():
    # As the before_r parameter says: nothing exists before the signal's first sample.
    ecg, r = synthetic_ecg(125, 20.0, first=0.1)  # the first R peak 0.1 s in, 12 samples
    seg = segment_beats(ecg, 125, r_peaks=r, before_r=0.25)  # 31 samples before R
    assert r[0] == 12
    np.testing.assert_array_equal(seg.beats[0, : 31 - 12], seg.beats[0, 31 - 12])
    np.testing.assert_array_equal(seg.beats[1:, 31], seg.beats[1:, :40].max(axis=1))


# -0.001 s rounded to 0 samples and passed; 1e308 s raised OverflowError, naming nothing.
@pytest.mark.parametrize("before_r", [-0.1, -0.001, 1.5, 1e308, float("nan"), None, "0.1", True])
def test_before_r_must_leave_room_for_the_beat(before_r):
    ecg, r = synthetic_ecg(360, 20.0)
    with pytest.raises(ValueError, match="before_r must be"):
        segment_beats(ecg, 360, r_peaks=r, before_r=before_r)


@pytest.mark.parametrize(("fs", "target_fs"), [(360, 125), (500, 125), (257.3, 125), (125, 360)])
def test_resample_designs_scipy_default_filter_once(fs, target_fs):
    """The cached anti-aliasing filter is resample_poly's own default: the same output, bitwise,
    on the first call for a rate and on later ones."""
    from fractions import Fraction

    from scipy.signal import resample_poly

    ratio = Fraction(target_fs / fs).limit_denominator(1000)
    rng = np.random.default_rng(0)
    for n_samples in (40, 700, 5000):
        x = rng.normal(size=n_samples)
        expected = resample_poly(x, ratio.numerator, ratio.denominator, padtype="line")
        np.testing.assert_array_equal(resample(x, fs, target_fs), expected)


@pytest.mark.parametrize(("fs", "target_fs"), [(360, 125), (125, 360)])
def test_resampling_one_sample_gives_its_value(fs, target_fs):
    # scipy's line padding fits a line through the samples, dividing by n - 1: NaN.
    out = resample([2.0], fs, target_fs)
    assert out.shape == (-(-target_fs // fs),)
    np.testing.assert_allclose(out, 2.0, rtol=1e-2)


@pytest.mark.parametrize(
    ("fs", "target_fs", "message"),
    [
        (0, 125, "fs must be a finite number of Hz > 0, got 0"),
        (-360, 125, "fs must be a finite number of Hz > 0"),
        (float("nan"), 125, "fs must be a finite number of Hz > 0"),
        ("360", 125, "fs must be a finite number of Hz > 0"),
        (360, 0, "target_fs must be a finite number of Hz > 0"),
        (360, 0.1, "target_fs of 0.1 Hz is too low a rate for a signal at 360 Hz"),
    ],
)
def test_resample_names_a_bad_rate(fs, target_fs, message):
    # A rate of 0 raised ZeroDivisionError, a negative one resample_poly's "up and down must
    # be >= 1", naming neither rate.
    with pytest.raises(ValueError, match=message):
        resample(np.ones(360), fs, target_fs)


@pytest.mark.parametrize(
    "signal",
    [
        np.ones((2, 360)),
        np.ones((360, 1)),
        np.float64(1.0),
        np.ones(360, complex),
        np.ones(360, bool),
    ],
)
def test_resample_names_a_signal_that_is_not_one_lead_of_real_numbers(signal):
    # Two leads as rows (2, 360) were resampled along the first axis into one row of 360
    # samples; a number raised IndexError; complex samples lost their imaginary part.
    with pytest.raises(ValueError, match=r"signal must be a 1-D array of real numbers, got shape"):
        resample(signal, 360, 125)
    assert resample(np.ones(360, np.int16), 360, 125).shape == (125,)


def test_rates_given_as_numpy_float32_cut_the_same_beats():
    # fetch_mitbih(target_fs=np.float32(125)) passed the checks, then failed in the resampler
    # with "argument should be a string or a Rational instance" (NumPy 2 keeps float32 / float
    # a float32, which fractions.Fraction refuses).
    fs = 360
    t = np.arange(12 * fs) / fs
    ecg = sum(np.exp(-(((t - c) / 0.01) ** 2)) for c in np.arange(0.3, 12, 1.0))
    plain = segment_beats(ecg, fs, target_fs=125.0)
    typed = segment_beats(ecg, np.float32(fs), target_fs=np.float32(125))
    assert plain.beats.shape == (11, 187)
    np.testing.assert_array_equal(typed.beats, plain.beats)
    np.testing.assert_array_equal(typed.r_peaks, plain.r_peaks)


def test_r_peaks_on_one_sample_at_125_hz_keep_the_other_beats_and_are_told():
    # Each beat detected twice, 2 ms apart at 1 kHz: the pairs meet on one sample at 125 Hz, and
    # their intervals of 0 made the median 0, so every beat of the record was all zeros, without
    # a word.
    import warnings

    fs = 1000
    ecg, r = synthetic_ecg(fs, 30.0)
    doubled = np.sort(np.r_[r - 2, r])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seg = segment_beats(ecg, fs, r_peaks=doubled, name="holter")
    once = segment_beats(ecg, fs, r_peaks=r)
    assert seg.beats.shape == (doubled.size - 1, 187)
    # Each peak's beat, 1.2 * 0.8 s = 120 samples long as without the twins, and its twin's a
    # copy of it (the last one is cut short by the recording's end).
    np.testing.assert_allclose(seg.beats[:-1:2], once.beats, atol=1e-6)
    np.testing.assert_array_equal(seg.beats[:-1:2], seg.beats[1::2])
    assert np.all(seg.beats[:, 0] > 0.75)
    assert np.all(seg.beats[:-1, 100] > 0) and not seg.beats[:, 121:].any()
    told = "holter: 37 R peak(s) fall on the same sample at 125 Hz as the peak before them"
    assert [str(w.message).startswith(told) for w in caught] == [True]
    # Two peaks only, on one sample: one R peak at that rate, so no beat (it was a beat of
    # zeros), with the reason.
    with pytest.warns(UserWarning, match="one R peak only at that rate, and no beat"):
        assert segment_beats(ecg, fs, r_peaks=[r[0] - 2, r[0]]).beats.shape == (0, 187)


def test_cut_beats_tells_of_peaks_that_meet_and_keeps_one_row_per_peak():
    from ecgbeat.beats import cut_beats

    fs = 1000
    ecg, r = synthetic_ecg(fs, 30.0)
    twice = np.sort(np.r_[r, r[10] - 2])
    with pytest.warns(UserWarning, match=r"holter: 1 R peak\(s\) .* \(the first at sample 8500\)"):
        seg, rr = cut_beats(ecg, fs, twice, name="holter")
    # One row per peak but the last, as without the twin: a caller's labels stay on their rows.
    assert seg.beats.shape == (twice.size - 1, 187) and rr.shape == (twice.size - 1, 7)
    np.testing.assert_array_equal(seg.r_peaks, twice[:-1])
    np.testing.assert_array_equal(seg.beats[10], seg.beats[11])
