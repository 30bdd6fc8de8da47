"""Tests of the R-peak detectors."""

from __future__ import annotations

import numpy as np
import pytest

from ecgbeat.exceptions import SignalError
from ecgbeat.qrs import detect_r_peaks, pan_tompkins, pan_tompkins_marked, threshold_peaks

BEAT_SYMBOLS = list("NLRBAaJSVrFejnE/fQ?")


def beat_match(reference: np.ndarray, detected: np.ndarray, tolerance: int) -> tuple[int, int]:
    """One-to-one matches within ``tolerance`` samples, greedy in time: (tp, n_detected)."""
    tp, j = 0, 0
    used = np.zeros(detected.size, dtype=bool)
    for ref in reference:
        while j < detected.size and detected[j] < ref - tolerance:
            j += 1
        k = j
        while k < detected.size and detected[k] <= ref + tolerance:
            if not used[k]:
                used[k] = True
                tp += 1
                break
            k += 1
    return tp, detected.size


@pytest.mark.parametrize(
    ("record", "min_se", "min_ppv"),
    [("100", 99.9, 99.9), ("105", 99.5, 98.5), ("208", 99.0, 99.5)],
)
def test_pan_tompkins_on_mitbih(mitdb_dir, record, min_se, min_ppv):
    wfdb = pytest.importorskip("wfdb")
    path = str(mitdb_dir / record)
    rec = wfdb.rdrecord(path, channels=[0])
    ann = wfdb.rdann(path, "atr")
    ref = ann.sample[np.isin(ann.symbol, BEAT_SYMBOLS)]
    det = pan_tompkins(rec.p_signal[:, 0], rec.fs)
    tp, n_det = beat_match(ref, det, round(0.150 * rec.fs))
    assert 100 * tp / ref.size >= min_se
    assert 100 * tp / n_det >= min_ppv


def test_pan_tompkins_rejects_t_waves():
    fs = 360
    t = np.arange(20 * fs) / fs
    r = np.arange(0.5, 19.5, 1.0)
    qrs = np.exp(-(((t[:, None] - r) / 0.012) ** 2)).sum(axis=1)
    t_wave = 0.4 * np.exp(-(((t[:, None] - r - 0.3) / 0.06) ** 2)).sum(axis=1)
    peaks = pan_tompkins(qrs + t_wave, fs)
    np.testing.assert_allclose(peaks / fs, r, atol=0.01)


def test_pan_tompkins_search_back_finds_small_beat():
    fs = 250
    t = np.arange(20 * fs) / fs
    r = np.arange(0.5, 19.5, 0.8)
    amp = np.ones(r.size)
    amp[12] = 0.45  # energy 0.2 of the others: under the threshold, over half of it
    ecg = (amp * np.exp(-(((t[:, None] - r) / 0.012) ** 2))).sum(axis=1)
    peaks = pan_tompkins(ecg, fs)
    assert peaks.size == r.size
    assert abs(peaks[12] / fs - r[12]) < 0.01


def spike_burst(ecg: np.ndarray, fs: float, start: float, end: float, amplitude: float, seed: int):
    """``ecg`` with spikes (15 ms Gaussian pulses of random sign, 3 per second) from ``start``
    to ``end`` seconds, ``amplitude`` times the ECG's range: the artefacts that deafened the
    detector for the rest of a recording."""
    rng = np.random.default_rng(seed)
    noise = np.zeros(ecg.size)
    where = round(start * fs) + np.flatnonzero(rng.random(round((end - start) * fs)) < 3 / fs)
    noise[where] = amplitude * np.ptp(ecg) * rng.choice([-1, 1], where.size)
    width = 0.015 * fs
    kernel = np.exp(-0.5 * (np.arange(-round(3 * width), round(3 * width) + 1) / width) ** 2)
    return ecg + np.convolve(noise, kernel, "same")


def test_pan_tompkins_hears_beats_again_after_a_burst_of_spikes():
    fs, beats = 250, np.arange(0.4, 90, 0.8)
    t = np.arange(90 * fs) / fs
    ecg = sum(np.exp(-(((t - c) / 0.012) ** 2)) for c in beats)
    noisy = spike_burst(ecg, fs, 30.0, 60.0, amplitude=10.0, seed=0)
    found = pan_tompkins(noisy, fs)
    # Every beat from 5 s after the burst on (before the decay of the learned levels: none).
    later = beats[(beats > 65) & (beats < 89)]
    assert [np.abs(found - b * fs).min() <= 0.05 * fs for b in later] == [True] * later.size
    # Before the burst nothing changed: each beat once, nothing else.
    before = found[found < 29.5 * fs]
    np.testing.assert_array_equal(before, np.round(beats[beats < 29.5] * fs).astype(int))


def test_beats_found_by_the_search_back_after_a_burst_set_the_level_afresh():
    # A burst that Hypothesis generated (test_properties): once the levels had decayed, the
    # beats were heard only by the search-back, which moved the signal level a quarter of the
    # way down each time, and every other beat was missed for 7.6 s after the burst.
    fs, start = 250, 20.0
    end = start + 33.58754212814068
    beats = np.arange(0.4, end + 20, 0.8)
    t = np.arange(round((end + 20) * fs)) / fs
    ecg = sum(np.exp(-(((t - c) / 0.012) ** 2)) for c in beats)
    found = pan_tompkins(
        spike_burst(ecg, fs, start, end, amplitude=16.320629759420783, seed=8310), fs
    )
    later = beats[(beats > end + 4) & (beats < end + 19)]
    assert [np.abs(found - b * fs).min() <= 0.05 * fs for b in later] == [True] * later.size


def test_pan_tompkins_recovers_on_a_real_record_after_a_burst(mitdb_dir):
    import wfdb

    record = wfdb.rdrecord(str(mitdb_dir / "119"), channels=[0], sampto=360 * 180)
    ann = wfdb.rdann(str(mitdb_dir / "119"), "atr", sampto=360 * 180)
    x, fs = record.p_signal[:, 0], record.fs
    reference = np.array([s for s, sym in zip(ann.sample, ann.symbol, strict=True) if sym in "NV"])
    noisy = spike_burst(x, fs, 60.0, 120.0, amplitude=10.0, seed=1)
    after = reference[(reference > 125 * fs) & (reference < 178 * fs)]
    tp, _ = beat_match(after, pan_tompkins(noisy, fs), round(0.15 * fs))
    assert tp == after.size  # every beat from 5 s after the burst


def test_threshold_rule_misses_small_beats():
    fs = 250
    ecg = np.zeros(10 * fs)
    ecg[[250, 500, 750, 1000]] = [1.0, 0.95, 0.5, 1.0]
    np.testing.assert_array_equal(threshold_peaks(ecg, fs), [250, 500, 1000])
    np.testing.assert_array_equal(detect_r_peaks(ecg, fs, method="threshold"), [250, 500, 1000])


def test_threshold_rule_finds_peaks_on_the_edges_of_its_windows():
    # A peak on the last (999) or first (2000) sample of a 10 s window was missed: find_peaks
    # never takes an array's edges. The signal's own edges are still no local maxima.
    ecg = np.zeros(3000)
    ecg[[0, 300, 999, 1500, 2000, 2999]] = 1.0
    np.testing.assert_array_equal(threshold_peaks(ecg, 100), [300, 999, 1500, 2000])


@pytest.mark.parametrize("top", [(997, 1001), (998, 1002), (999, 1003), (996, 1000), (999, 1000)])
def test_threshold_rule_finds_a_flat_top_across_two_windows(top):
    # A clipped R wave whose flat top runs across the edge of two 10 s windows (at 1000) was
    # no local maximum in either window: find_peaks never takes a flat top that touches the
    # end of what it reads. It is one beat, at the middle of its top.
    ecg = np.zeros(3000)
    for centre in (300, 1500, 2500):
        ecg[centre - 2 : centre + 3] = 1.0
    ecg[top[0] : top[1] + 1] = 1.0
    np.testing.assert_array_equal(threshold_peaks(ecg, 100), [300, sum(top) // 2, 1500, 2500])


@pytest.mark.parametrize("extra", [5, 20, 100])
def test_threshold_rule_takes_no_beat_from_a_short_tail_of_baseline(extra):
    # The samples past the last full window were scaled to [0, 1] on their own: their largest
    # wiggle of baseline became a beat.
    fs = 360
    t = np.arange(10 * fs + extra) / fs
    centres = np.arange(0.4, 9.9, 0.8)
    ecg = np.exp(-(((t[:, None] - centres) / 0.012) ** 2)).sum(axis=1)
    ecg += 0.01 * np.random.default_rng(1).standard_normal(t.size)
    np.testing.assert_array_equal(threshold_peaks(ecg, fs), np.round(centres * fs))


@pytest.mark.parametrize("window_seconds", [30.0, 1e6, 1e308])
def test_a_threshold_window_past_the_signal_is_the_whole_signal(window_seconds):
    # 1e308 s is an infinite number of samples, which raised OverflowError.
    ecg = np.zeros(3000)
    ecg[[300, 1200, 2500]] = [1.0, 0.5, 0.95]
    np.testing.assert_array_equal(
        threshold_peaks(ecg, 100, window_seconds=window_seconds), [300, 2500]
    )


def test_flat_and_short_signals_have_no_peaks():
    assert pan_tompkins(np.zeros(10 * 360), 360).size == 0
    assert pan_tompkins(np.zeros(10), 360).size == 0
    assert threshold_peaks(np.zeros(10 * 360), 360).size == 0


@pytest.mark.parametrize("detector", [pan_tompkins, threshold_peaks])
def test_an_empty_signal_has_no_peaks(detector):
    # threshold_peaks failed on it with "zip() argument 2 is longer than argument 1".
    peaks = detector(np.zeros(0), 360)
    assert peaks.size == 0 and peaks.dtype == np.int64
    peaks, quality = pan_tompkins_marked(np.zeros(0), 360)
    assert peaks.size == 0 and len(quality) == 0


@pytest.mark.parametrize("level", [1.0, -250.0, np.int16(32767)])
def test_a_flat_line_away_from_zero_has_no_peaks_and_is_unreadable(level):
    # A lead off, or an ADC held at its limit: the band-passed constant is rounding noise, which
    # the relative thresholds took for 35 beats in 10 s.
    flat = np.full(10 * 360, level)
    peaks, quality = pan_tompkins_marked(flat, 360)
    assert peaks.size == 0 and not quality.readable.any()
    assert pan_tompkins(flat, 360).size == 0


@pytest.mark.parametrize("fs", [125, 360, 1000])
@pytest.mark.parametrize("level", [1.0, -250.0, 32767.0])
def test_a_lead_flat_at_a_level_before_the_ecg_begins_has_no_peaks(fs, level):
    # The rounding noise of the band-passed level was learned as the signal level in the
    # first seconds, and gave a beat every 0.8 s (25 in 20 s at 360 Hz) until the ECG began.
    t = np.arange(40 * fs) / fs
    r = np.arange(20.4, 39.6, 0.8)  # on samples at each rate
    ecg = level + np.exp(-(((t[:, None] - r) / 0.012) ** 2)).sum(axis=1)
    np.testing.assert_array_equal(pan_tompkins(ecg, fs), np.round(r * fs))


@pytest.mark.parametrize("fs", [250, 360])
def test_a_beat_at_the_very_start_is_found(fs):
    # The energy of a QRS peaking 30 ms in is largest on the first sample, which find_peaks
    # never takes: the beat was missed.
    t = np.arange(10 * fs) / fs
    r = np.arange(0.03, 10, 0.8)
    ecg = np.exp(-(((t[:, None] - r) / 0.012) ** 2)).sum(axis=1)
    np.testing.assert_allclose(pan_tompkins(ecg, fs) / fs, r, atol=0.01)


def test_a_settling_transient_at_the_start_does_not_silence_the_detector():
    # An amplifier settling (20 times the QRS, 30 ms) set the learned level, and, being on the
    # first sample, was no beat: with no beat heard, the levels never decayed and no beat of the
    # recording was found.
    fs = 360
    t = np.arange(20 * fs) / fs
    r = np.arange(0.5, 20, 0.8)
    ecg = np.exp(-(((t[:, None] - r) / 0.012) ** 2)).sum(axis=1) + 20 * np.exp(-t / 0.03)
    peaks = pan_tompkins(ecg, fs)
    assert peaks.size > 0
    found = np.abs(peaks[:, None] - np.round(r * fs)).min(axis=0) <= 0.01 * fs
    assert found[5:].all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"window_seconds": 0}, "window_seconds must be a positive number"),
        ({"window_seconds": -10.0}, "window_seconds must be a positive number"),
        ({"window_seconds": float("nan")}, "window_seconds must be a positive number"),
        ({"window_seconds": None}, "window_seconds must be a positive number"),
        ({"window_seconds": True}, "window_seconds must be a positive number"),  # was 1 s
        ({"threshold": None}, r"threshold must be a number in \(0, 1\)"),
    ],
)
def test_threshold_rule_refuses_bad_parameters_by_name(kwargs, message):
    # A window of 0 or -10 s gave no beat at all, silently; NaN or None, numpy's errors.
    ecg = np.zeros(1000)
    ecg[[100, 400, 700]] = 1.0
    with pytest.raises(ValueError, match=message):
        threshold_peaks(ecg, 100, **kwargs)


@pytest.mark.parametrize("flag", ["False", "no", None, 0])
def test_hold_back_noise_must_be_a_bool(flag):
    # Text is truthy: "False" held back noise, None did not, without a word.
    with pytest.raises(ValueError, match="hold_back_noise must be True or False"):
        pan_tompkins(np.zeros(3600), 360, hold_back_noise=flag)


def test_unknown_detector():
    with pytest.raises(ValueError, match="unknown R-peak detector 'foo'"):
        detect_r_peaks(np.zeros(1000), 360, method="foo")
    # A list is unhashable: the look-up raised "TypeError: unhashable type: 'list'".
    with pytest.raises(ValueError, match=r"unknown R-peak detector \['threshold'\]"):
        detect_r_peaks(np.zeros(1000), 360, method=["threshold"])


def test_low_sampling_rate_rejected():
    with pytest.raises(SignalError, match="at least 40 Hz"):
        pan_tompkins(np.zeros(1000), 20)


# ---------------------------------------------------------------------------- peak refinement


def _qrs_train(fs: int = 360, seconds: int = 20, wide_every: int = 4):
    """Narrow upright complexes, and every ``wide_every``-th a wide one pointing down (a PVC)."""
    t = np.arange(seconds * fs) / fs
    centres = np.arange(0.5, seconds - 0.5, 0.8)
    ecg = np.zeros_like(t)
    for k, c in enumerate(centres):
        if k % wide_every == wide_every - 1:
            ecg -= 1.5 * np.exp(-(((t - c) / 0.03) ** 2))
        else:
            ecg += np.exp(-(((t - c) / 0.008) ** 2))
    return ecg, np.rint(centres * fs).astype(int)


@pytest.mark.parametrize("shift", [-30, -12, -1, 0, 7, 30])
def test_refinement_finds_the_dominant_extremum_from_any_start(shift):
    from ecgbeat.qrs import refine_r_peaks

    ecg, truth = _qrs_train()
    refined = refine_r_peaks(ecg, 360, truth + shift, radius=0.12)
    np.testing.assert_array_equal(refined, truth)


def test_refinement_keeps_peaks_in_order_and_within_the_radius():
    from ecgbeat.qrs import refine_r_peaks

    rng = np.random.default_rng(0)
    ecg = rng.standard_normal(5000)
    peaks = np.sort(rng.choice(np.arange(5000), 400, replace=False))
    refined = refine_r_peaks(ecg, 250, peaks, radius=0.1)
    assert refined.size == peaks.size and np.all(np.diff(refined) > 0)
    assert np.abs(refined - peaks).max() <= 25
    # Nothing to move in a flat signal: every peak stays where it was.
    np.testing.assert_array_equal(refine_r_peaks(np.zeros(5000), 250, peaks), peaks)
    np.testing.assert_array_equal(refine_r_peaks(ecg, 250, peaks, radius=0), peaks)


@pytest.mark.parametrize(
    "peaks, radius, message",
    [
        ([10, 5], 0.1, "strictly increasing"),
        ([10, 6000], 0.1, r"must lie in \[0, 4999\]"),
        ([1.5, 3.0], 0.1, "integer"),
        ([10, 20], -1, "radius"),
        ([10, 20], float("nan"), "radius"),
        ([10, 20], None, "radius must be a number"),  # numpy's TypeError about isfinite
        ([10, 20], "0.1", "radius must be a number"),
        ([10, 20], True, "radius must be a number"),  # was 1 s
    ],
)
def test_refinement_names_bad_input(peaks, radius, message):
    from ecgbeat.qrs import refine_r_peaks

    with pytest.raises((SignalError, ValueError), match=message):
        refine_r_peaks(np.zeros(5000), 250, np.asarray(peaks), radius=radius)


@pytest.mark.parametrize("huge", [1e6, 1e308, np.finfo(np.float64).max])
def test_a_radius_past_every_neighbour_searches_the_same_windows(huge):
    # The windows stop halfway to the neighbours: a huge radius is the largest useful one, and
    # asks no memory for samples it could never reach (1e6 s asked for terabytes; 1e308 s, an
    # infinite number of samples, raised OverflowError).
    from ecgbeat.qrs import refine_r_peaks

    rng = np.random.default_rng(0)
    ecg = rng.standard_normal(3000)
    peaks = np.array([40, 700, 1500, 2900])
    widest = refine_r_peaks(ecg, 250, peaks, radius=3000 / 250)
    np.testing.assert_array_equal(refine_r_peaks(ecg, 250, peaks, radius=huge), widest)
    assert np.argmax(np.abs(ecg[:370] - np.median(ecg[:370]))) == widest[0]


def test_a_lone_far_peak_does_not_widen_every_window():
    # The windows were rows of one width, the widest's: one peak far from its neighbours (a beat
    # after a lead was off, read with a huge radius) made every row 40,001 samples wide, 100
    # rows of them: 164 MB here, and on a day's recording more than a machine has.
    import tracemalloc

    from ecgbeat.qrs import refine_r_peaks

    ecg = np.random.default_rng(0).standard_normal(40_000)
    peaks = np.r_[20_000, np.arange(39_000, 39_990, 10)]
    tracemalloc.start()
    try:
        refined = refine_r_peaks(ecg, 250, peaks, radius=1e6)
        peak_memory = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak_memory < 20e6  # the lone peak's row is 40,001 samples: 320 kB an array
    # Each peak's window runs halfway to its neighbours (a radius past them all).
    middles = (peaks[:-1] + peaks[1:]) // 2
    for first, last, found in zip(
        np.r_[0, middles + 1], np.r_[middles, 39_999], refined, strict=True
    ):
        window = ecg[first : last + 1]
        assert found == first + np.argmax(np.abs(window - np.median(window)))


@pytest.mark.parametrize("scale, offset", [(1.0, 0.0), (1e307, 1.6e308), (-1e307, -1.6e308)])
def test_refinement_is_the_same_near_the_float64_limits(scale, offset):
    # A baseline of 1.6e308: the window's median (the mean of two samples) and the distances
    # from it overflowed to inf, every sample tied, and no peak moved.
    from ecgbeat.qrs import refine_r_peaks

    ecg, truth = _qrs_train()
    refined = refine_r_peaks(ecg * scale + offset, 360, truth + 7, radius=0.12)
    np.testing.assert_array_equal(refined, truth)


def test_refined_detections_meet_refined_annotations_on_wide_pvcs(mitdb_dir):
    # Record 208: the detector's peak sits about 32 samples from the annotation on PVCs.
    wfdb = pytest.importorskip("wfdb")
    from ecgbeat.datasets import AAMI_SYMBOLS
    from ecgbeat.qrs import refine_r_peaks

    rec = wfdb.rdrecord(str(mitdb_dir / "208"), channels=[0])
    signal = rec.p_signal[:, 0]
    ann = wfdb.rdann(str(mitdb_dir / "208"), "atr")
    keep = np.isin(ann.symbol, list(AAMI_SYMBOLS))
    reference, is_v = ann.sample[keep], np.isin(np.array(ann.symbol)[keep], ["V"])
    detected = detect_r_peaks(signal, 360)

    def gap_to_detection(ref, det):
        pos = np.clip(np.searchsorted(det, ref), 1, det.size - 1)
        return np.minimum(np.abs(det[pos - 1] - ref), np.abs(det[pos] - ref))

    before = gap_to_detection(reference, detected)[is_v]
    after = gap_to_detection(
        refine_r_peaks(signal, 360, reference, radius=0.12),
        refine_r_peaks(signal, 360, detected, radius=0.12),
    )[is_v]
    assert np.median(before) > 20
    # (A few PVCs have no detection nearby at all: a missed beat stays missed.)
    assert np.median(after) == 0 and np.mean(after <= 3) > 0.98


@pytest.mark.parametrize("fs", [40.0, 125.0, 360.0, 1000.0])
@pytest.mark.parametrize("n_samples", [15, 16, 3600])
def test_the_band_pass_is_scipys_zero_phase_filter_to_the_last_bit(fs, n_samples):
    # qrs_slope keeps the filter's initial state per rate instead of letting sosfiltfilt
    # compute it at every call; the values must stay sosfiltfilt's exactly.
    from scipy.signal import butter, sosfiltfilt

    from ecgbeat.signals import qrs_slope

    x = np.random.default_rng(int(fs) + n_samples).normal(size=n_samples).cumsum()
    sos = butter(2, [5.0, min(20.0, 0.45 * fs)], btype="bandpass", fs=fs, output="sos")
    if n_samples <= 15:  # sosfiltfilt's padding needs more than 3 * 5 samples
        with pytest.raises(ValueError, match="padlen"):
            qrs_slope(x, fs)
        return
    filtered, slope = qrs_slope(x, fs)
    np.testing.assert_array_equal(filtered, sosfiltfilt(sos, x))
    np.testing.assert_array_equal(slope, np.gradient(sosfiltfilt(sos, x)) * fs)


@pytest.mark.parametrize("dtype", [np.int16, np.uint8, ">i2"])
def test_the_band_pass_of_adc_counts_is_that_of_their_values(dtype):
    # The odd padding at the ends (2 x[0] - x[k]) was computed in the samples' own type, where
    # it wrapped around (uint8: 0 - 10 is 246, int16: 2 * 30000 is -5536).
    from ecgbeat.signals import qrs_slope

    x = np.zeros(720, dtype)
    x[:3], x[-2] = 120, 10
    if np.dtype(dtype).kind == "i":
        x[:3] = 30000
    expected = qrs_slope(x.astype(np.float64), 360)
    for got, want in zip(qrs_slope(x, 360), expected, strict=True):
        np.testing.assert_array_equal(got, want)


FLOAT64_SCALES = [5e-324, 1e-310, 1e-300, 1e-5, 1.0, 3e4, 1e300, 1.7e308]
FLOAT32_SCALES = [1e-40, 1e-30, 1.0, 3e4, 1e30, 3e38]


@pytest.mark.parametrize(
    "dtype, scale",
    [(np.float64, s) for s in FLOAT64_SCALES] + [(np.float32, s) for s in FLOAT32_SCALES],
)
def test_unit_scale_divides_by_a_power_of_two_exactly(dtype, scale):
    # The detector's first step: the largest magnitude into [0.5, 1), by a power of two so
    # that ordinary signals give bit-identical results; it must stay ldexp's, bit for bit,
    # down to the values that the scaling puts below the normal range (1e300 with values
    # 1e-310 times smaller: results near 1e-310), and keep the signal's type.
    from ecgbeat.signals import unit_scale

    x = (np.random.default_rng(3).uniform(-1, 1, 5000) * scale).astype(dtype)
    x[:10] *= np.finfo(dtype).tiny  # below the normal range once scaled
    scaled = unit_scale(x)
    assert scaled.dtype == dtype
    np.testing.assert_array_equal(scaled, np.ldexp(x, -np.frexp(np.abs(x).max())[1]))
    assert 0.5 <= np.abs(scaled).max() < 1.0
    assert unit_scale(np.zeros(3)).tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64])
def test_unit_scale_reads_the_most_negative_integer_as_the_peak(dtype):
    # np.abs of the type's minimum (int16 -32768, WFDB's invalid sample) is itself: the peak was
    # the next largest magnitude, and [-32768, 100] came out as [-256, 0.78].
    from ecgbeat.signals import unit_scale

    low = np.iinfo(dtype).min
    scaled = unit_scale(np.array([low, 100, -3], dtype))
    np.testing.assert_array_equal(scaled, np.array([low, 100, -3], np.float64) / -low / 2)
    assert np.abs(scaled).max() == 0.5


@pytest.mark.parametrize("fs", ["360", b"360", None, [360], True, np.True_])
def test_a_sampling_frequency_that_is_not_a_number_is_refused(fs):
    # float("360") took text as a rate here, where every other check of a rate refuses it; True
    # was refused as a rate under 40 Hz, "got 1.0".
    with pytest.raises(SignalError, match="sampling frequency must be a number, got"):
        detect_r_peaks(np.zeros(3600), fs)
