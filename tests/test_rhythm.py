"""R-R interval features (ecgbeat.rhythm), from synthetic rhythms and real records, and the
estimator that reads them beside the beat (``n_rr_features``)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from conftest import FAST_PARAMS, make_synthetic_beats

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat.exceptions import SignalError
from ecgbeat.rhythm import N_RR_FEATURES, RR_FEATURE_NAMES, rr_features, rr_zscores
from ecgbeat.template import template_features

# ------------------------------------------------------------------ the features, by hand


def test_a_premature_beat_and_its_compensatory_pause():
    # 72 bpm at 250 Hz (0.8 s), one beat 0.32 s early, then the pause that makes up for it.
    fs = 250
    intervals = [200] * 12 + [120, 280] + [200] * 5
    peaks = np.concatenate([[100], 100 + np.cumsum(intervals)])
    f = rr_features(peaks, fs)
    assert f.shape == (len(peaks), N_RR_FEATURES) and f.dtype == np.float32
    average = np.mean(intervals) / fs
    early = 13  # the premature beat
    assert f[early, 0] == pytest.approx(0.48)  # rr_pre
    assert f[early, 1] == pytest.approx(1.12)  # rr_post
    assert f[early, 2] == pytest.approx((9 * 0.8 + 0.48) / 10)  # rr_local: 10 intervals
    assert f[early, 3] == pytest.approx(average)
    np.testing.assert_allclose(f[early, 4:], f[early, :3] / average, rtol=1e-6)
    # A beat of the steady rhythm before it: every interval 0.8 s.
    np.testing.assert_allclose(f[5, :3], [0.8, 0.8, 0.8], rtol=1e-6)


def test_local_average_uses_the_intervals_before_the_beat():
    peaks = np.array([0, 100, 300, 600, 1000, 1500])  # intervals 100 200 300 400 500
    f = rr_features(peaks, fs=100, local_beats=2)
    np.testing.assert_allclose(f[:, 2], [3.0, 1.0, 1.5, 2.5, 3.5, 4.5], rtol=1e-6)
    np.testing.assert_allclose(f[:, 3], 3.0)


def test_edges_take_the_record_average():
    peaks = np.array([0, 360, 1080])  # 1 s, 2 s: average 1.5 s
    f = rr_features(peaks, fs=360)
    assert f[0, 0] == f[0, 2] == pytest.approx(1.5)  # nothing before the first beat
    assert f[-1, 1] == pytest.approx(1.5)  # nothing after the last
    assert f[0, 4] == f[-1, 5] == pytest.approx(1.0)


def test_a_known_average_replaces_the_mean_of_the_stretch():
    peaks = np.array([0, 360, 1080])  # 1 s, 2 s, from a recording whose mean interval is 0.8 s
    f = rr_features(peaks, fs=360, average=0.8)
    np.testing.assert_allclose(f[1], [1.0, 2.0, 1.0, 0.8, 1.25, 2.5, 1.25], rtol=1e-6)
    assert f[0, 0] == f[-1, 1] == pytest.approx(0.8)  # the edges take it too
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="average must be a positive number of seconds"):
            rr_features(peaks, fs=360, average=bad)


def test_features_do_not_depend_on_the_sampling_rate():
    seconds = np.cumsum(np.r_[0.5, np.random.default_rng(0).uniform(0.5, 1.2, 30)])
    at_360 = rr_features(np.rint(seconds * 360).astype(int), 360)
    at_1000 = rr_features(np.rint(seconds * 1000).astype(int), 1000)
    np.testing.assert_allclose(at_360, at_1000, atol=3e-3)


@pytest.mark.parametrize(
    "peaks, fs, error, message",
    [
        ([5], 360, SignalError, "at least two R peaks"),
        ([], 360, SignalError, "at least two R peaks"),
        ([0, 10, 10], 360, SignalError, "strictly increasing"),
        ([0, float("nan"), 720, 1080], 360, SignalError, "NaN or infinite"),
        ([0, 360, float("inf")], 360, SignalError, "NaN or infinite"),
        ([[0, 10]], 360, SignalError, "1-D"),
        ([True, False, True], 360, SignalError, "of dtype bool"),
        (["0", "360"], 360, SignalError, "of dtype <U3"),
        ([0, 360 + 5j, 720], 360, SignalError, "of dtype complex128"),
        ([0, 10], 0, ValueError, "fs must be"),
        ([0, 10], float("nan"), ValueError, "fs must be"),
    ],
)
def test_bad_input_is_named(peaks, fs, error, message):
    with pytest.raises(error, match=message):
        rr_features(np.asarray(peaks), fs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"fs": "360"}, "fs must be a finite number of Hz > 0"),
        ({"fs": None}, "fs must be a finite number of Hz > 0"),
        ({"local_beats": float("inf")}, "local_beats must be an integer"),
        ({"local_beats": float("nan")}, "local_beats must be an integer"),
        ({"local_beats": None}, "local_beats must be an integer"),
        ({"average": "0.8"}, "average must be a positive number"),
    ],
)
def test_parameters_that_are_not_numbers_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        rr_features(np.array([0, 360, 720]), **{"fs": 360, **kwargs})
    if "fs" in kwargs:
        with pytest.raises(ValueError, match=message):
            template_features(np.zeros((2, 187)), fs=kwargs["fs"])
    with pytest.raises(ValueError, match="std must be a number"):
        rr_zscores(np.ones((2, N_RR_FEATURES)), std="0.1")


def test_real_record_against_the_annotations(mitdb_dir):
    wfdb = pytest.importorskip("wfdb")
    from ecgbeat.datasets import AAMI_SYMBOLS, fetch_mitbih

    bunch = fetch_mitbih(
        mitdb_dir.parent, records=["208"], cache=False, download_if_missing=False, rhythm=True
    )
    ann = wfdb.rdann(str(mitdb_dir / "208"), "atr")
    peaks = ann.sample[np.isin(ann.symbol, list(AAMI_SYMBOLS))]
    intervals = np.diff(peaks) / 360.0
    assert bunch.rr_feature_names == list(RR_FEATURE_NAMES)
    assert bunch.data.shape == (len(peaks) - 1, 187 + N_RR_FEATURES)
    np.testing.assert_array_equal(bunch.data[:, 187:], bunch.rr_features)
    f = bunch.rr_features
    np.testing.assert_allclose(f[1:, 0], intervals[:-1], rtol=1e-6)  # rr_pre
    np.testing.assert_allclose(f[:, 1], intervals, rtol=1e-6)  # rr_post
    np.testing.assert_allclose(f[:, 3], intervals.mean(), rtol=1e-6)
    # Record 208's PVCs come early: their preceding interval is well below the record's average.
    is_v = bunch.target == 2
    assert np.median(f[is_v, 4]) < 0.85 < np.median(f[bunch.target == 0, 4])


# ------------------------------------------------------------------ the estimator


def _timed_beats(seed: int = 0):
    """Two classes with the same shape that differ only in timing: rr_pre_norm 0.6 vs 1.0."""
    X, _ = make_synthetic_beats(n_per_class=60, labels=("N", "N"), seed=seed)
    y = np.array(["N"] * 60 + ["S"] * 60)
    rr = np.ones((120, N_RR_FEATURES), dtype=np.float32)
    rr[60:, [0, 4]] = 0.6
    rr += np.random.default_rng(seed).normal(0, 0.03, rr.shape).astype(np.float32)
    return np.hstack([X, rr]), y


def test_rhythm_features_tell_apart_beats_of_one_shape():
    X, y = _timed_beats()
    with_rhythm = HeartbeatCNNClassifier(**FAST_PARAMS, n_rr_features=N_RR_FEATURES).fit(X, y)
    assert with_rhythm.n_features_in_ == 64 + N_RR_FEATURES
    assert with_rhythm.model_.get_layer("with_rhythm") is not None
    assert with_rhythm.score(X, y) == 1.0
    # The same columns read as beat samples are lost in the convolutions' max pooling.
    beats_only = HeartbeatCNNClassifier(**FAST_PARAMS).fit(X[:, :64], y)
    assert beats_only.score(X[:, :64], y) < 0.8


def test_rhythm_model_round_trips(tmp_path):
    X, y = _timed_beats()
    clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 2}, n_rr_features=N_RR_FEATURES)
    clf.fit(X, y)
    expected = clf.predict_proba(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), expected)
    clf.save(tmp_path / "rhythm.keras")
    loaded = HeartbeatCNNClassifier.load(tmp_path / "rhythm.keras")
    assert loaded.n_rr_features == N_RR_FEATURES
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    # A pretrained start brings its structure: fine-tuning builds the same network.
    start = HeartbeatCNNClassifier.from_pretrained(tmp_path / "rhythm.keras", epochs=1)
    assert start.n_rr_features == N_RR_FEATURES
    np.testing.assert_array_equal(start.predict_proba(X), expected)
    assert start.fit(X, y).n_features_in_ == X.shape[1]


@pytest.mark.parametrize("n_rr", [64 + N_RR_FEATURES, 200])
def test_rhythm_features_need_a_beat_before_them(n_rr):
    X, y = _timed_beats()
    with pytest.raises(ValueError, match=f"n_rr_features={n_rr}"):
        HeartbeatCNNClassifier(n_rr_features=n_rr).fit(X, y)


def test_a_beats_only_pretrained_start_refuses_rhythm_features():
    X, y = _timed_beats()
    X = np.hstack([np.zeros((len(X), 187 - 64), np.float32), X])  # 187-sample beats
    clf = HeartbeatCNNClassifier(pretrained="mitbih", n_rr_features=N_RR_FEATURES, epochs=1)
    # Named by the start's and the estimator's n_rr_features (it was the copy of the weights'
    # shapes, with a hint of "another n_rr_features?").
    with pytest.raises(ValueError, match=r"reads 0 rhythm .*but n_rr_features=7; set n_rr_feat"):
        clf.fit(X, y)


def test_classify_record_feeds_the_rhythm_of_the_record(mitdb_dir):
    pytest.importorskip("wfdb")
    from ecgbeat.datasets import fetch_mitbih
    from ecgbeat.records import classify_record

    bunch = fetch_mitbih(
        mitdb_dir.parent, records=["100"], cache=False, download_if_missing=False, rhythm=True
    )
    clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 1}, n_rr_features=N_RR_FEATURES)
    clf.fit(bunch.data[:300], bunch.target[:300])
    table = classify_record(mitdb_dir / "100", clf, annotations="atr")
    # The annotated path gives the rows fetch_mitbih gives (all beat symbols are AAMI in 100).
    np.testing.assert_allclose(table.proba, clf.predict_proba(bunch.data), atol=1e-6)
    detected = classify_record(mitdb_dir / "100", clf)
    assert abs(len(detected) - len(table)) < 10


def test_refined_annotated_and_detected_beats_are_cut_alike(mitdb_dir):
    # Record 208's PVCs: unrefined, the detector's peak lies ~32 samples from the annotation, so
    # the two paths cut different beats; refined, the same ones.
    pytest.importorskip("wfdb")
    from ecgbeat.datasets import fetch_mitbih

    def load(**kwargs):
        return fetch_mitbih(
            mitdb_dir.parent, records=["208"], cache=False, download_if_missing=False, **kwargs
        )

    for radius, share in ((None, 0.6), (0.12, 0.97)):
        annotated, detected = (
            load(refine_radius=radius),
            load(refine_radius=radius, detector="pan-tompkins"),
        )
        v_peaks, found = annotated.r_peaks[annotated.target == 2], detected.r_peaks
        # Within one sample (1/360 s): a flat-topped QRS has two nearly equal extreme samples.
        gap = np.abs(v_peaks[:, None] - found[None, :]).min(axis=1)
        same = gap <= 1
        if radius is None:
            assert same.mean() < share
        else:
            assert same.mean() > share
            # The rhythm follows the refined peaks.
            np.testing.assert_allclose(
                annotated.rr_features[1:, 0], np.diff(annotated.r_peaks) / 360, rtol=1e-5
            )


def test_the_default_model_classifies_a_recording_with_its_rhythm(mitdb_dir):
    pytest.importorskip("wfdb")
    from ecgbeat.datasets import fetch_mitbih
    from ecgbeat.records import DEFAULT_MODEL, classify_record

    table = classify_record(mitdb_dir / "208")  # detected peaks, refined as the card says
    clf = HeartbeatCNNClassifier.from_pretrained(DEFAULT_MODEL)
    assert clf.n_rr_features >= N_RR_FEATURES  # the R-R features, then the template ones
    reference = fetch_mitbih(
        mitdb_dir.parent, records=["208"], download_if_missing=False, cache=False
    )
    # Record 208 has been seen in training: this checks the path, not the model's quality.
    assert abs(len(table) - len(reference.target)) < 50
    burden = table.summary()["ectopic_burden"]
    assert abs(burden - np.mean(reference.target != 0)) < 0.05


# ------------------------------------------------------------------ R-R z-scores


def test_zscores_by_hand():
    from ecgbeat.rhythm import rr_zscores

    # Intervals 1, 1, 0.6 (early), 1.4 (its pause), 1: mean 1.0, standard deviation 0.253.
    peaks = np.array([0, 360, 720, 936, 1440, 1800])
    rr = rr_features(peaks, fs=360)[:-1]  # the rows a cut gives: every beat but the last
    std = np.std([1, 1, 0.6, 1.4, 1])
    expected = [[0, 0], [0, 0], [0, -0.4 / std], [-0.4 / std, 0.4 / std], [0.4 / std, 0]]
    np.testing.assert_allclose(rr_zscores(rr), expected, atol=1e-6)
    # A stream's stretch with the recording's spread given.
    np.testing.assert_allclose(rr_zscores(rr[3:4], std=0.2), [[-2.0, 2.0]], atol=1e-6)
    # A steady rhythm does not vary: z-scores 0, not a division by zero.
    steady = rr_features(np.arange(0, 3600, 360), fs=360)[:-1]
    np.testing.assert_array_equal(rr_zscores(steady), 0.0)
    with pytest.raises(ValueError, match="the 7 columns of rr_features"):
        rr_zscores(rr[:, :5])
    with pytest.raises(ValueError, match="std must be"):
        rr_zscores(rr, std=-1.0)


@pytest.mark.parametrize("dtype", [complex, str, bool])
def test_zscores_of_intervals_that_are_not_real_numbers_are_refused(dtype):
    from ecgbeat.rhythm import rr_zscores

    # The cast to float64 read text and bools as numbers, and dropped complex values' imaginary
    # part with a mere warning.
    rr = rr_features(np.array([0, 360, 720, 936, 1440, 1800]), fs=360)[:-1]
    with pytest.raises(ValueError, match="rr must be real numbers, got dtype"):
        rr_zscores(rr.astype(dtype))
    assert rr_zscores(np.ones((3, 7), np.int64)).tolist() == [[0.0, 0.0]] * 3


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_zscores_of_intervals_that_are_not_finite_are_refused(bad):
    from ecgbeat.rhythm import rr_zscores

    # One NaN interval made the standard deviation NaN, which is not > 0: every z-score of the
    # recording came back 0, as if its rhythm did not vary.
    rr = rr_features(np.array([0, 360, 720, 936, 1440, 1800]), fs=360)[:-1]
    rr[2, 1] = bad
    with pytest.raises(ValueError, match="rr must be finite numbers"):
        rr_zscores(rr)
    with pytest.raises(ValueError, match="rr must be finite numbers"):
        rr_zscores(rr, std=0.2)


def test_an_early_beat_stands_out_in_a_steady_rhythm_not_in_an_irregular_one():
    from ecgbeat.rhythm import rr_zscores

    rng = np.random.default_rng(0)
    steady = np.r_[[0.8] * 40, 0.5, 1.1, [0.8] * 40]  # one premature beat in sinus rhythm
    irregular = rng.uniform(0.4, 1.2, 82)  # atrial fibrillation: every interval differs
    irregular[40] = 0.5
    z = {}
    for name, intervals in (("steady", steady), ("irregular", irregular)):
        peaks = np.rint(np.r_[0, np.cumsum(intervals)] * 360).astype(int)
        z[name] = rr_zscores(rr_features(peaks, fs=360)[:-1])[41, 0]  # the beat after 0.5 s
    # rr_pre_norm is about the same (0.5 s against a mean near 0.8 s); the z-score is not.
    assert z["steady"] < -5 < -1.5 < z["irregular"]


@pytest.mark.parametrize("local_beats", [1e300, 2**70, np.uint64(2**64 - 1)])
def test_a_local_average_of_more_intervals_than_there_are_reads_them_all(local_beats):
    # 1e300 raised OverflowError in the int64 subtraction, 2**70 a TypeError from np.isfinite:
    # neither named local_beats, and both are counts >= 1, larger than the intervals there are.
    peaks = np.array([0, 360, 720, 936, 1440])  # intervals of 1, 1, 0.6 and 1.4 s
    local = rr_features(peaks, fs=360, local_beats=local_beats)[:, 2]
    np.testing.assert_allclose(local, [1.0, 1.0, 1.0, 2.6 / 3, 1.0], rtol=1e-6)
    np.testing.assert_array_equal(local, rr_features(peaks, fs=360, local_beats=4)[:, 2])
