"""Signal quality: stretches too noisy to read are marked, clean ones are not."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from scipy.signal import butter, resample_poly, sosfiltfilt

from ecgbeat.datasets import read_lead
from ecgbeat.exceptions import SignalError
from ecgbeat.qrs import detect_r_peaks
from ecgbeat.quality import (
    MAX_HF_RATIO,
    MIN_QRS_SNR_DB,
    QUALITY_WINDOW,
    WindowQuality,
    readable_beats,
    window_quality,
)
from ecgbeat.records import BeatTable, write_csv

FS = 360


def synthetic_ecg(seconds: float, fs: float = FS, rr: float = 0.8):
    """Narrow Gaussian QRS complexes every ``rr`` seconds, and their R peaks."""
    t = np.arange(round(seconds * fs)) / fs
    centres = np.arange(0.4, seconds - 0.2, rr)
    ecg = np.exp(-(((t[:, None] - centres) / 0.012) ** 2)).sum(axis=1)
    return ecg, np.round(centres * fs).astype(np.int64)


def band_noise(n: int, fs: float, low: float, high: float, seed: int) -> np.ndarray:
    sos = butter(4, [low, high], btype="bandpass", fs=fs, output="sos")
    noise = sosfiltfilt(sos, np.random.default_rng(seed).standard_normal(n))
    return noise / noise.std()


def test_clean_windows_are_readable_and_windows_tile_the_signal():
    ecg, r = synthetic_ecg(64.0)
    quality = window_quality(ecg, FS, r)
    # 64 s: six windows, the 4 s tail (under half a window) joined to the sixth.
    assert len(quality) == 6
    assert quality.start[0] == 0 and quality.stop[-1] == ecg.size
    assert np.array_equal(quality.start[1:], quality.stop[:-1])
    assert quality.stop[-1] - quality.start[-1] == 14 * FS
    # A tail of half a window or more is a window of its own.
    longer, r_longer = synthetic_ecg(65.0)
    assert np.diff(window_quality(longer, FS, r_longer).start).tolist() == [10 * FS] * 6
    assert quality.readable.all()
    assert (quality.hf_ratio < MAX_HF_RATIO / 4).all()
    assert (quality.qrs_snr_db > MIN_QRS_SNR_DB + 10).all()
    assert readable_beats(ecg, FS, r).all()


def test_muscle_noise_marks_its_windows_and_only_those():
    ecg, r = synthetic_ecg(60.0)
    noisy = ecg.copy()
    burst = slice(20 * FS, 40 * FS)  # windows 2 and 3
    noisy[burst] += 0.3 * band_noise(ecg.size, FS, 20, 150, seed=0)[burst]
    quality = window_quality(noisy, FS, r)
    assert quality.readable.tolist() == [True, True, False, False, True, True]
    # Broadband noise is what the high-frequency index reads.
    assert (quality.hf_ratio[2:4] > MAX_HF_RATIO).all()
    assert (quality.hf_ratio[[0, 1, 4, 5]] <= MAX_HF_RATIO).all()
    readable = readable_beats(noisy, FS, r)
    in_burst = (r >= 20 * FS) & (r < 40 * FS)
    assert not readable[in_burst].any() and readable[~in_burst].all()


def test_noise_in_the_qrs_band_lowers_the_detectors_snr():
    # 5-15 Hz noise between the beats has no power above 40 Hz: only qrs_snr_db sees it.
    ecg, r = synthetic_ecg(40.0)
    noisy = ecg + np.where(
        np.arange(ecg.size) >= 20 * FS, 0.15 * band_noise(ecg.size, FS, 5, 15, seed=1), 0.0
    )
    quality = window_quality(noisy, FS, r)
    assert quality.readable.tolist() == [True, True, False, False]
    assert (quality.hf_ratio <= MAX_HF_RATIO).all()
    assert (quality.qrs_snr_db[2:] < MIN_QRS_SNR_DB).all()
    assert (quality.qrs_snr_db[:2] > MIN_QRS_SNR_DB).all()


def test_a_window_without_beats_or_without_signal_is_not_readable():
    ecg, r = synthetic_ecg(30.0)
    flat = ecg.copy()
    flat[10 * FS : 20 * FS] = 0.0  # lead off for the middle window
    kept = r[(r < 10 * FS) | (r >= 20 * FS)]
    quality = window_quality(flat, FS, kept)
    assert quality.readable.tolist() == [True, False, True]
    assert np.isnan(quality.qrs_snr_db[1])
    assert not window_quality(np.zeros(30 * FS), FS, []).readable.any()
    # Too short to hold a beat: windows, none readable; nothing at all: no windows.
    short = window_quality(np.ones(100), FS, [50])
    assert len(short) == 1 and not short.readable.any() and np.isnan(short.qrs_snr_db).all()
    assert len(window_quality(np.zeros(0), FS, [])) == 0


@pytest.mark.parametrize("fs", [100, FS])
def test_a_signal_of_zeros_is_not_readable_even_with_r_peaks(fs):
    # No energy anywhere read as an infinite SNR; below 122 Hz no hf_ratio says otherwise, so a
    # lead off at 0 with annotated beats was readable.
    r = np.arange(fs // 2, 30 * fs, round(0.8 * fs))
    quality = window_quality(np.zeros(30 * fs), fs, r)
    assert not quality.readable.any()
    assert not readable_beats(np.zeros(30 * fs, np.int16), fs, r).any()


def test_the_indices_read_the_same_at_125_hz():
    ecg, r = synthetic_ecg(60.0)
    noisy = ecg.copy()
    noisy[20 * FS : 40 * FS] += 0.3 * band_noise(ecg.size, FS, 20, 150, seed=2)[20 * FS : 40 * FS]
    low = resample_poly(noisy, 25, 72)
    r_low = np.round(r * 125 / FS).astype(np.int64)
    readable = window_quality(low, 125, r_low).readable
    assert readable.tolist() == [True, True, False, False, True, True]
    # Below about 122 Hz the 40-55 Hz band is gone: the index is NaN and does not count.
    quality = window_quality(resample_poly(ecg, 5, 18), 100, np.round(r * 100 / FS).astype(int))
    assert np.isnan(quality.hf_ratio).all() and quality.readable.all()


def test_real_record_burst_of_noise(mitdb_dir):
    signal, fs, _, _ = read_lead(mitdb_dir / "101", ("MLII",), "101")
    x = signal[: round(300 * fs)]
    clean = window_quality(x, fs, detect_r_peaks(x, fs))
    assert clean.readable.mean() >= 0.9
    # Muscle-like noise as strong as the signal from 100 to 200 s.
    noise = band_noise(x.size, fs, 20, 150, seed=3) * x.std()
    noisy = x.copy()
    burst = slice(round(100 * fs), round(200 * fs))
    noisy[burst] += noise[burst]
    quality = window_quality(noisy, fs, detect_r_peaks(noisy, fs))
    inside = (quality.start >= 100 * fs) & (quality.stop <= 200 * fs)
    assert not quality.readable[inside].any()
    outside = (quality.stop <= 100 * fs) | (quality.start >= 200 * fs)
    assert quality.readable[outside].mean() >= 0.9


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"window": 0}, ValueError, "window must be a positive number"),
        ({"window": float("nan")}, ValueError, "window must be a positive number"),
        ({"window": None}, ValueError, "window must be a positive number"),  # was numpy's error
        ({"window": True}, ValueError, "window must be a positive number"),  # was 1 s
        ({"window": "10"}, ValueError, "window must be a positive number"),
        ({"r_peaks": [5, 3]}, SignalError, "strictly increasing"),
        ({"r_peaks": [10**9]}, SignalError, "must lie in"),
        ({"fs": 10}, SignalError, "at least 40"),
    ],
)
def test_bad_input_is_refused_by_name(kwargs, error, match):
    ecg, r = synthetic_ecg(20.0)
    args = {"signal": ecg, "fs": FS, "r_peaks": r, **kwargs}
    with pytest.raises(error, match=match):
        window_quality(args.pop("signal"), args.pop("fs"), args.pop("r_peaks"), **args)


@pytest.mark.parametrize("window", [64.0, 1e6, 1e308])
def test_a_window_past_the_signal_is_the_whole_signal(window):
    # 1e308 s is an infinite number of samples, which raised OverflowError.
    ecg, r = synthetic_ecg(64.0)
    quality = window_quality(ecg, FS, r, window=window)
    assert quality.start.tolist() == [0] and quality.stop.tolist() == [ecg.size]
    assert quality.readable.tolist() == [True]


def test_readable_at_maps_samples_to_their_windows():
    quality = WindowQuality(
        np.array([0, 10]), np.array([10, 25]), np.zeros(2), np.zeros(2), np.array([False, True])
    )
    assert quality.readable_at([0, 9, 10, 24]).tolist() == [False, False, True, True]
    assert QUALITY_WINDOW == 10.0


def _table(readable):
    label = np.array(["N", "V", "V", "N"])
    return BeatTable(
        "r", np.arange(4) * 300, 360.0, label, np.zeros((4, 2)), ["N", "V"], readable=readable
    )


def test_the_burden_counts_readable_beats_only_and_the_csv_marks_them():
    table = _table(np.array([True, True, False, True]))
    summary = table.summary()
    assert summary["counts"] == {"N": 2, "V": 2}
    assert summary["unreadable_beats"] == 1
    assert summary["readable_counts"] == {"N": 2, "V": 1}
    assert summary["ectopic_burden"] == 1 - 2 / 3
    stream = io.StringIO()
    write_csv([table], stream)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "record,sample,time_s,label,readable,p_N,p_V"
    assert [line.split(",")[4] for line in lines[1:]] == ["1", "1", "0", "1"]
    # Without marks every beat counts and there is no column.
    unmarked = _table(None)
    assert unmarked.summary()["unreadable_beats"] is None
    assert unmarked.summary()["ectopic_burden"] == 0.5
    stream = io.StringIO()
    write_csv([unmarked, table], stream)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "record,sample,time_s,label,readable,p_N,p_V"
    assert lines[1].split(",")[4] == ""  # a table without marks leaves the cell empty


def test_records_result_burden_over_readable_beats():
    from ecgbeat.distributed import RecordsResult

    result = RecordsResult([_table(np.array([True, True, False, True])), _table(None)])
    summary = result.summary()
    assert summary["beats"] == 8 and summary["unreadable_beats"] == 1
    assert summary["ectopic_burden"] == 1 - 4 / 7


def test_no_readable_beat_gives_no_burden_rather_than_0_percent():
    from ecgbeat.cli._predict import _format_summary
    from ecgbeat.distributed import RecordsResult

    unreadable = _table(np.zeros(4, dtype=bool))
    assert unreadable.summary()["ectopic_burden"] is None
    assert RecordsResult([unreadable]).summary()["ectopic_burden"] is None
    assert _format_summary(unreadable).endswith(
        "4 in unreadable stretches; no readable beat, no ectopic burden"
    )
    assert _format_summary(_table(np.array([True, True, False, True]))).endswith(
        "1 in unreadable stretches; ectopic burden 33.3 % of the 3 readable"
    )


def test_classify_signal_marks_beats_unless_asked_not_to():
    from ecgbeat.records import classify_signal

    ecg, _ = synthetic_ecg(40.0)
    noisy = ecg.copy()
    noisy[20 * FS :] += 0.3 * band_noise(ecg.size, FS, 20, 150, seed=4)[20 * FS :]
    table = classify_signal(noisy, FS, "mitbih")
    assert table.readable is not None and len(table.readable) == len(table)
    early = table.sample < 20 * FS
    assert table.readable[early].all() and not table.readable[~early].any()
    assert table.summary()["unreadable_beats"] == int((~early).sum())
    assert classify_signal(noisy, FS, "mitbih", quality=False).readable is None


@pytest.mark.parametrize(
    ("peaks", "kwargs"), [([100, 400], {}), ([100, 400, 700], {"rr_fraction": 0})]
)
@pytest.mark.parametrize("window", ["10", -1.0, None])
def test_hold_back_refuses_a_bad_window_however_few_the_peaks(peaks, kwargs, window):
    # With fewer than 3 peaks or the rule off no window is read, and a bad one passed silently
    # (with 3 peaks and more, window_quality refused it).
    from ecgbeat.quality import hold_back_in_noise

    ecg, _ = synthetic_ecg(5.0)
    with pytest.raises(ValueError, match="window must be a positive number"):
        hold_back_in_noise(ecg, FS, peaks, window=window, **kwargs)


def test_hold_back_refuses_a_quality_that_is_not_this_signals():
    # A quality that was no WindowQuality failed as "'str' object has no attribute
    # 'readable_at'"; one of a shorter signal named a peak as outside its windows, one of a
    # longer signal was read as this one's.
    from ecgbeat.quality import hold_back_in_noise

    ecg, peaks = synthetic_ecg(30.0)
    with pytest.raises(ValueError, match=r"quality must be window_quality's result .* got 'x'"):
        hold_back_in_noise(ecg, FS, peaks, quality="x")
    for other in (ecg[: 20 * FS], np.r_[ecg, ecg]):
        quality = window_quality(other, FS, peaks[peaks < 20 * FS])
        with pytest.raises(ValueError, match=f"quality covers samples 0 to {other.size - 1}, but"):
            hold_back_in_noise(ecg, FS, peaks, quality=quality)
    quality = window_quality(ecg, FS, peaks)
    np.testing.assert_array_equal(hold_back_in_noise(ecg, FS, peaks, quality=quality), peaks)


@pytest.mark.parametrize(
    ("slope", "message"),
    [
        ("abc", "slope must be the detector's slope of the signal"),  # NumPy's "could not convert"
        (np.full(30 * FS, np.nan), "slope holds NaN or infinite values"),  # none readable
        (np.zeros(5), r"slope has shape \(5,\); the signal has \(10800,\)"),
    ],
)
def test_a_slope_that_is_not_the_signals_is_refused_by_name(slope, message):
    from ecgbeat.quality import hold_back_in_noise

    ecg, peaks = synthetic_ecg(30.0)
    with pytest.raises(ValueError, match=message):
        window_quality(ecg, FS, peaks, slope=slope)
    with pytest.raises(ValueError, match=message):
        hold_back_in_noise(ecg, FS, peaks, slope=slope)


@pytest.mark.parametrize("n_samples", [3, 15, 100])
def test_hold_back_keeps_the_peaks_of_a_signal_too_short_to_read(n_samples):
    # Under half a second no window is read; a few samples failed in the band-pass with
    # scipy's "must be greater than padlen".
    from ecgbeat.quality import hold_back_in_noise

    signal = np.random.default_rng(0).standard_normal(n_samples)
    peaks = [0, 1, n_samples - 1]
    np.testing.assert_array_equal(hold_back_in_noise(signal, FS, peaks), peaks)


def test_hold_back_drops_close_weak_peaks_in_noise_only():
    from ecgbeat.quality import hold_back_in_noise

    ecg, r = synthetic_ecg(60.0)
    noisy = ecg.copy()
    noisy[30 * FS :] += 0.3 * band_noise(ecg.size, FS, 20, 150, seed=5)[30 * FS :]
    # False peaks 0.2 s after beats (a quarter of the 0.8 s R-R interval), in the clean half
    # and in the noisy half.
    extra = r[[5, 10, 45, 50]] + round(0.2 * FS)
    peaks = np.sort(np.r_[r, extra])
    kept = hold_back_in_noise(noisy, FS, peaks)
    assert set(extra[:2]) <= set(kept)  # clean stretch: early beats keep their place
    assert not set(extra[2:]) & set(kept)  # noisy stretch: the weaker of each pair goes
    assert set(r) <= set(kept)
    # Spaced as the rule allows, nothing goes; a fraction of 0 turns the rule off.
    assert np.array_equal(hold_back_in_noise(noisy, FS, peaks, rr_fraction=0.2), peaks)
    assert np.array_equal(hold_back_in_noise(noisy, FS, peaks, rr_fraction=0), peaks)
    with pytest.raises(ValueError, match="rr_fraction must be a number in"):
        hold_back_in_noise(noisy, FS, peaks, rr_fraction=1.5)
    with pytest.raises(ValueError, match="rr_fraction must be a number in"):
        hold_back_in_noise(noisy, FS, peaks, rr_fraction=None)
    with pytest.raises(ValueError, match="rr_fraction must be a number in"):
        hold_back_in_noise(noisy, FS, peaks, rr_fraction=False)  # was 0: the rule off, silently


def test_detector_holds_back_noise_on_a_real_record(mitdb_dir):
    from ecgbeat.qrs import pan_tompkins
    from ecgbeat.quality import hold_back_in_noise

    signal, fs, _, _ = read_lead(mitdb_dir / "101", ("MLII",), "101")
    x = signal[: round(300 * fs)]
    noisy = x.copy()
    burst = slice(round(100 * fs), round(200 * fs))
    noisy[burst] += 2 * x.std() * band_noise(x.size, fs, 5, 150, seed=6)[burst]
    raw = pan_tompkins(noisy, fs, hold_back_noise=False)
    held = pan_tompkins(noisy, fs)
    # The detector's last step is the hold-back, and it acts inside the burst alone.
    assert np.array_equal(held, hold_back_in_noise(noisy, fs, raw))
    gone = np.setdiff1d(raw, held)
    assert gone.size > 0 and np.all((gone >= burst.start) & (gone < burst.stop))
    # On the clean record the rule changes nothing.
    assert np.array_equal(pan_tompkins(x, fs), pan_tompkins(x, fs, hold_back_noise=False))


def test_classify_signal_detects_as_detect_r_peaks_does(mitdb_dir):
    from ecgbeat.beats import cut_beats
    from ecgbeat.qrs import detect_r_peaks
    from ecgbeat.records import beat_cutting, classify_signal, fitted_classifier

    signal, fs, _, _ = read_lead(mitdb_dir / "101", ("MLII",), "101")
    x = signal[: round(120 * fs)].copy()
    x[round(40 * fs) : round(80 * fs)] += (
        2 * x.std() * band_noise(x.size, fs, 5, 150, seed=7)[round(40 * fs) : round(80 * fs)]
    )
    clf = fitted_classifier("mitbih")
    cut = {k: v for k, v in beat_cutting(clf).items() if k in ("refine_radius", "before_r")}
    expected, _ = cut_beats(x, fs, detect_r_peaks(x, fs), **cut)
    for quality in (True, False):
        table = classify_signal(x, fs, clf, quality=quality)
        assert np.array_equal(table.sample, expected.r_peaks)
        if quality:
            noisy = (table.sample >= 40 * fs) & (table.sample < 80 * fs)
            assert not table.readable[noisy].any() and table.readable[table.sample < 30 * fs].all()


def test_a_slope_at_hand_gives_the_same_result():
    from ecgbeat.quality import hold_back_in_noise
    from ecgbeat.signals import qrs_slope, unit_scale

    ecg, r = synthetic_ecg(40.0)
    noisy = ecg + np.where(np.arange(ecg.size) >= 20 * FS, band_noise(ecg.size, FS, 5, 150, 8), 0)
    peaks = np.sort(np.r_[r, r[30:35] + round(0.2 * FS)])
    slope = qrs_slope(unit_scale(noisy), FS)[1]
    a, b = window_quality(noisy, FS, peaks), window_quality(noisy, FS, peaks, slope=slope)
    for field in ("start", "stop", "hf_ratio", "qrs_snr_db", "readable"):
        assert np.array_equal(getattr(a, field), getattr(b, field), equal_nan=field != "readable")
    assert np.array_equal(
        hold_back_in_noise(noisy, FS, peaks), hold_back_in_noise(noisy, FS, peaks, slope=slope)
    )
    with pytest.raises(ValueError, match="slope has shape"):
        window_quality(noisy, FS, peaks, slope=slope[:-1])


@pytest.mark.parametrize("fs", [125.0, 128.3, 360.0])
@pytest.mark.parametrize("seconds", [2.0, 10.0, 14.7])
def test_the_band_powers_are_scipys_welch_densities(fs, seconds):
    # hf_ratio's Welch estimate is computed without scipy.signal.welch's loop over segments;
    # the densities must stay welch's (2 s segments, its defaults), odd segment lengths too.
    from scipy.signal import welch

    from ecgbeat.quality import _welch

    nperseg = round(2 * fs)
    x = np.random.default_rng(7).normal(size=(3, round(seconds * fs)))
    freqs, density = welch(x, fs=fs, nperseg=nperseg, axis=-1)
    ours_freqs, ours = _welch(x, fs, nperseg)
    np.testing.assert_array_equal(ours_freqs, freqs)
    np.testing.assert_allclose(ours, density, rtol=1e-10, atol=0)


def test_window_medians_are_numpys_medians_to_the_last_bit():
    from ecgbeat.signals import window_medians

    rng = np.random.default_rng(11)
    for _ in range(200):
        values = rng.lognormal(size=rng.integers(0, 40))
        cuts = np.sort(rng.integers(0, values.size + 1, size=rng.integers(1, 6)))
        first, last = np.r_[0, cuts], np.r_[cuts, values.size]
        expected = [
            np.median(values[a:b]) if b > a else np.nan for a, b in zip(first, last, strict=True)
        ]
        np.testing.assert_array_equal(window_medians(values, first, last), expected)


@pytest.mark.parametrize(
    "samples, message",
    [
        ([-1], "sample -1 lies outside the windows, which cover samples 0 to 24"),
        ([3, 25], "sample 25 lies outside the windows, which cover samples 0 to 24"),
        ([5.7], "must be sample indices .integers., got 5.7"),
        ([float("nan")], "must be sample indices .integers., got nan"),
        (["5"], "must be sample indices .integers., got dtype <U1"),
        ([True], "must be sample indices .integers., got dtype bool"),
        # Cast to int64 first, these were named as sample -9223372036854775808.
        ([1e30], "sample 1000000000000000019884624838656 lies outside the windows"),
        (np.array([2**63], np.uint64), "sample 9223372036854775808 lies outside the windows"),
        # NumPy's "inhomogeneous shape" error, which named neither samples nor the cause.
        ([[1, 2], [3]], "must be sample indices .integers., got a ragged sequence"),
    ],
)
def test_readable_at_refuses_what_is_no_sample_of_the_windows(samples, message):
    # Samples outside were taken as in the first or the last window, and 5.7 as 5.
    quality = WindowQuality(
        np.array([0, 10]), np.array([10, 25]), np.zeros(2), np.zeros(2), np.array([False, True])
    )
    with pytest.raises(ValueError, match=message):
        quality.readable_at(samples)
    assert quality.readable_at(np.array([0.0, 24.0])).tolist() == [False, True]


def test_readable_at_of_an_empty_signal_says_there_is_no_window():
    # The windows of an empty signal were said to cover "samples 0 to -1".
    quality = window_quality(np.zeros(0), FS, [])
    assert len(quality) == 0 and quality.readable_at([]).size == 0
    with pytest.raises(ValueError, match=r"sample 0 lies outside the windows, of which there are "):
        quality.readable_at([0])


def test_window_qualities_compare_equal_when_their_windows_and_indices_do():
    # The dataclass's == compared tuples of arrays, and raised NumPy's "truth value of an
    # array with more than one element is ambiguous".
    x, r_peaks = synthetic_ecg(30)
    quality = window_quality(x, FS, r_peaks)
    assert quality == window_quality(x, FS, r_peaks)
    # NaN indices (no R peak in the window) are equal too.
    assert window_quality(x, FS, r_peaks[:5]) == window_quality(x, FS, r_peaks[:5])
    assert quality != window_quality(x, FS, r_peaks[:5])
    assert quality != window_quality(x[: 20 * FS], FS, r_peaks[r_peaks < 20 * FS])
    assert quality != "quality"


def test_a_recording_mostly_marked_unreadable_is_told_why_it_may_be(mitdb_dir):
    # Record 101's V1 is clean, but its QRS complexes are small against the rest of the lead:
    # every window falls under the SNR threshold set on MLII, and the burden counted no beat
    # without a word of why.
    from ecgbeat.records import classify_signal

    for lead, mostly_marked in (("V1", True), ("MLII", False)):
        signal, fs, _, _ = read_lead(mitdb_dir / "101", (lead,), "101")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            table = classify_signal(signal[: round(120 * fs)], fs, "mitbih", name="101")
        told = [str(w.message) for w in caught if "marked unreadable" in str(w.message)]
        assert bool(table.readable.mean() < 0.5) is mostly_marked
        if mostly_marked:
            assert len(told) == 1
            assert told[0].startswith("101: 100% of the beats lie in stretches marked unreadable")
            assert "quality=False; ecgbeat predict --no-quality" in told[0]
        else:
            assert told == []
