"""The streaming classifier (ecgbeat.streaming): the same beats, classes and probabilities for
any chunk sizes, the beats of classify_signal on a real record, R-R features computed from the
intervals so far, and clear errors."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest
from conftest import FAST_PARAMS, make_synthetic_beats
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat.datasets import read_lead
from ecgbeat.records import classify_signal, fitted_classifier
from ecgbeat.streaming import CONTEXT_SECONDS, HOP_SECONDS, StreamClassifier
from ecgbeat.template import template_features


def _stream(signal, fs, classifier, sizes=(), **params):
    """Feed ``signal`` in chunks of ``sizes`` (then the rest) and finish: the joined columns."""
    stream = StreamClassifier(fs, classifier, **params)
    tables, position = [], 0
    for size in sizes:
        tables.append(stream.update(signal[position : position + size]))
        position += size
    tables += [stream.update(signal[position:]), stream.finish()]
    columns = ("sample", "label", "proba", "readable")
    return {c: np.concatenate([getattr(t, c) for t in tables]) for c in columns}, stream


@pytest.fixture(scope="module")
def record_119(mitdb_dir):
    """Two minutes of record 119 (frequent ventricular beats, some in bigeminy)."""
    signal, fs, _, _ = read_lead(mitdb_dir / "119")
    return signal[: int(120 * fs)], fs


@pytest.fixture(scope="module")
def default_model():
    return fitted_classifier("mitbih-rhythm-template")


def test_any_chunks_give_the_same_beats_classes_and_probabilities(record_119, default_model):
    signal, fs = record_119
    whole, _ = _stream(signal, fs, default_model)
    rng = np.random.default_rng(0)
    # Single samples, chunks shorter and longer than a hop, a chunk longer than the context.
    sizes = [1] * 500 + rng.integers(1, int(2 * fs), size=60).tolist() + [int(25 * fs)]
    chunked, stream = _stream(signal, fs, default_model, sizes)
    assert len(whole["sample"]) > 120
    assert set(whole["label"]) >= {"N", "V"}
    for column, values in whole.items():
        np.testing.assert_array_equal(chunked[column], values, err_msg=column)
    assert stream.n_samples_seen == signal.size


def test_the_beats_of_classify_signal_and_nearly_all_its_classes(record_119, default_model):
    signal, fs = record_119
    streamed, _ = _stream(signal, fs, default_model, [int(fs)] * 100)
    batch = classify_signal(signal, fs, default_model)
    # The detector runs on the last 10 s, yet finds the very peaks that it finds on the whole.
    np.testing.assert_array_equal(streamed["sample"], batch.sample)
    # Classes differ where the stream's statistics so far differ from the whole recording's.
    assert np.mean(streamed["label"] == batch.label) >= 0.95
    assert streamed["readable"].all() and batch.readable.all()


class _Recorder(ClassifierMixin, BaseEstimator):
    """A fitted classifier of two classes that reads the R-R features and records its rows."""

    classes_ = np.array([0, 1])
    model_card_: ClassVar[dict] = {"segmentation": {"refine_radius": 0.12}}

    def __init__(self, n_rr_features=7):
        self.n_rr_features = n_rr_features
        self.rows = []  # what the stream asked for

    def __sklearn_is_fitted__(self):
        return True

    def fit(self, X, y):  # never called: a stream only predicts
        return self

    def predict_proba(self, X):
        self.rows.append(np.asarray(X))
        return np.tile([1.0, 0.0], (len(X), 1))


def test_rr_features_are_the_intervals_so_far():
    fs = 360
    # A steady 0.8 s rhythm with an early beat (0.5 s) and the pause after it (1.1 s).
    intervals = [0.8] * 12 + [0.5, 1.1] + [0.8] * 10
    peaks = np.rint((0.5 + np.concatenate([[0], np.cumsum(intervals)])) * fs).astype(int)
    t = np.arange(peaks[-1] + 2 * fs) / fs
    ecg = np.exp(-(((t[:, None] - peaks / fs) / 0.01) ** 2)).sum(axis=1)
    recorder = _Recorder()
    streamed, _ = _stream(ecg, fs, recorder, [97] * 40)
    np.testing.assert_array_equal(streamed["sample"], peaks[:-1])
    rows = np.vstack(recorder.rows)
    assert rows.shape == (len(peaks) - 1, 187 + 7)
    rr = np.diff(peaks) / fs
    for i in (0, 5, 12, 13, 14, 20):
        pre = rr[i - 1] if i else rr[0]  # the first beat: the mean so far (one interval)
        local = rr[max(i - 10, 0) : i].mean() if i else rr[0]
        mean = rr[: i + 1].mean()  # every interval up to the beat's next R peak
        expected = [pre, rr[i], local, mean, pre / mean, rr[i] / mean, local / mean]
        np.testing.assert_allclose(rows[i, 187:], expected, rtol=1e-5, err_msg=f"beat {i}")

    # With the template columns: each beat against the median of the beats so far.
    recorder = _Recorder(n_rr_features=10)
    _stream(ecg, fs, recorder, [97] * 40)
    rows = np.vstack(recorder.rows)
    beats = rows[:, :187]
    assert rows.shape[1] == 187 + 10
    for i in (0, 5, 11, 12, 20):
        expected = template_features(beats[: i + 1])[-1]
        np.testing.assert_array_equal(rows[i, 194:], expected, err_msg=f"beat {i}")
    # Over 0.75 s, the beat before the early one holds the early QRS too: unlike the usual beat.
    assert rows[12, 195] < 0.99 < min(rows[5, 195], rows[11, 195])
    template_columns = rows[:, 194:]

    # With the R-R z-scores: against the spread of the intervals so far.
    recorder = _Recorder(n_rr_features=12)
    _stream(ecg, fs, recorder, [97] * 40)
    rows = np.vstack(recorder.rows)
    assert rows.shape[1] == 187 + 12
    np.testing.assert_array_equal(rows[:, 194:197], template_columns)
    for i in (0, 5, 12, 13, 20):
        pre = rr[i - 1] if i else rr[0]
        mean, std = rr[: i + 1].mean(), rr[: i + 1].std()
        expected = [(pre - mean) / std, (rr[i] - mean) / std] if std > 1e-9 else [0.0, 0.0]
        np.testing.assert_allclose(rows[i, 197:], expected, atol=2e-4, err_msg=f"beat {i}")
    assert rows[12, 198] < -3  # the early beat, after a steady rhythm


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # a tiny network
def test_any_sampling_rate_and_bounded_memory():
    fs = 500
    t = np.arange(120 * fs) / fs
    centres = np.arange(0.4, 120, 0.75)
    ecg = sum(np.exp(-(((t - c) / 0.012) ** 2)) for c in centres)
    X, y = make_synthetic_beats(n_per_class=20, n_samples=187, seed=0)
    clf = HeartbeatCNNClassifier(**FAST_PARAMS).fit(X, y)
    stream = StreamClassifier(fs, clf, name="monitor", lead="II")
    found, kept = [], []
    for chunk in np.array_split(ecg, 300):
        table = stream.update(chunk)
        found.append(table.sample)
        kept.append(stream._signal.size)  # what the stream holds of the signal
    last = stream.finish()
    found = np.concatenate([*found, last.sample])
    np.testing.assert_array_equal(found, np.rint(centres[:-1] * fs).astype(int))
    assert (last.record, last.lead, last.fs) == ("monitor", "II", 500.0)
    assert max(kept) <= (CONTEXT_SECONDS + 3 * HOP_SECONDS) * fs


def test_bad_input_is_named(record_119, default_model):
    signal, fs = record_119
    with pytest.raises(ValueError, match="at least 40 Hz"):
        StreamClassifier(20, default_model)
    with pytest.raises(NotFittedError):
        StreamClassifier(fs, HeartbeatCNNClassifier())
    # A classifier fitted on beats of 64 samples: refused at once, not at the first beat.
    short_beats = _Recorder(n_rr_features=0)
    short_beats.n_features_in_ = 64
    with pytest.raises(ValueError, match="reads rows of 64 columns, but a stream gives 187"):
        StreamClassifier(fs, short_beats)
    stream = StreamClassifier(fs, default_model)
    with pytest.raises(ValueError, match="1-D"):
        stream.update(signal[:720].reshape(2, -1))
    # One lead as a row (channels first, as MNE gives leads): the hint must not be signal[:, 0],
    # which would feed its first sample alone. One sample as a number: a sequence of one.
    with pytest.raises(ValueError, match=r"got shape \(1, 360\) .*signal\[k\] if rows"):
        stream.update(signal[None, :360])
    with pytest.raises(ValueError, match=r"got shape \(\) \(one sample is a sequence of one"):
        stream.update(signal[0])
    gap = signal[:720].copy()
    gap[100] = np.nan
    stream.update(signal[:360])
    with pytest.raises(
        ValueError, match=r"stream: 1 NaN or infinite sample\(s\), the first at index 460$"
    ):
        stream.update(gap)
    with pytest.raises(ValueError, match="real numbers"):
        stream.update(np.array(["1", "2"]))
    assert len(stream.finish()) == 0
    with pytest.raises(RuntimeError, match="finished"):
        stream.update(signal[:10])


def test_low_latency_must_be_true_or_false():
    # Text is truthy: low_latency="no" turned ONNX Runtime on, and failed on a classifier that
    # has no Keras network to export, naming none of this.
    for flag in ("no", "False", 0, None):
        with pytest.raises(ValueError, match=r"low_latency must be True or False, got"):
            StreamClassifier(360, _Recorder(), low_latency=flag)
    assert StreamClassifier(360, _Recorder(), low_latency=np.False_).classifier is not None


def test_a_low_latency_predictor_for_classifier_says_to_pass_low_latency(default_model):
    # It failed in check_is_fitted: "<...LowLatencyPredictor object at 0x...> is not an
    # estimator instance", which said neither why nor what to do.
    pytest.importorskip("onnxruntime")
    pytest.importorskip("tf2onnx")
    from ecgbeat.low_latency import LowLatencyPredictor

    with pytest.raises(TypeError, match=r"not its LowLatencyPredictor.*low_latency=True"):
        StreamClassifier(360, LowLatencyPredictor(default_model))


def test_low_latency_gives_the_networks_probabilities(record_119, default_model):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("tf2onnx")
    signal, fs = record_119
    part = signal[: int(40 * fs)]
    keras, _ = _stream(part, fs, default_model)
    onnx, _ = _stream(part, fs, default_model, low_latency=True)
    np.testing.assert_array_equal(onnx["sample"], keras["sample"])
    # Both compute in float32 from the same weights: they differ in rounding only.
    np.testing.assert_allclose(onnx["proba"], keras["proba"], atol=1e-5)


def test_low_latency_probabilities_are_float32_whatever_the_chunks(default_model):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("tf2onnx")
    fs = 250
    ecg, _ = _rhythm_with_a_pause(fs, pause_seconds=3)
    stream = StreamClassifier(fs, default_model, low_latency=True)
    # No samples; 12 s at once, whose hops hold beats or none; the rest; the end.
    tables = [stream.update(ecg[:0]), stream.update(ecg[: 12 * fs]), stream.update(ecg[12 * fs :])]
    tables.append(stream.finish())
    assert len(tables[1]) > 5
    assert [table.proba.dtype for table in tables] == [np.float32] * 4


def test_probabilities_of_one_dtype_whatever_the_classifiers_and_chunks():
    # A classifier giving float32 probabilities (a Keras model wrapped by scikeras): a table of
    # one hop with beats was float32, one of several hops or none float64, by the chunks.
    class Float32(_Recorder):
        def predict_proba(self, X):
            return super().predict_proba(X).astype(np.float32)

    fs = 250
    ecg, _ = _rhythm_with_a_pause(fs, pause_seconds=3)
    stream = StreamClassifier(fs, Float32())
    # No samples; 12 s (hops with beats and without); one hop with a beat; the rest; the end.
    tables = [stream.update(ecg[:0]), stream.update(ecg[: 12 * fs])]
    tables.append(stream.update(ecg[12 * fs : 12 * fs + fs // 2]))
    tables += [stream.update(ecg[12 * fs + fs // 2 :]), stream.finish()]
    assert [len(table) > 0 for table in tables] == [False, True, True, True, False]
    assert [table.proba.dtype for table in tables] == [np.float64] * 5


def test_a_stream_shorter_than_a_beat_has_no_beats(default_model):
    fs = 360
    t = np.arange(round(1.2 * fs)) / fs
    ecg = np.exp(-(((t[:, None] - np.array([0.2, 0.9])) / 0.01) ** 2)).sum(axis=1)
    stream = StreamClassifier(fs, default_model)
    assert len(stream.update(ecg)) == 0
    table = stream.finish()
    assert len(table) == 0 and table.proba.shape == (0, 5)


def _rhythm_with_a_pause(fs, pause_seconds):
    """A 0.8 s rhythm for 20 s, a flat line (a lead off) for ``pause_seconds``, then 20 s more."""
    first = np.arange(0.5, 20, 0.8)
    second = first[-1] + pause_seconds + np.arange(0, 20, 0.8)
    centres = np.r_[first, second]
    t = np.arange(round((centres[-1] + 2) * fs)) / fs
    ecg = np.zeros(t.size)
    for c in centres:
        near = np.abs(t - c) < 0.05
        ecg[near] += np.exp(-(((t[near] - c) / 0.01) ** 2))
    return ecg, np.rint(centres * fs).astype(int)


def test_a_long_pause_keeps_memory_bounded_and_loses_no_beat():
    fs = 250
    ecg, peaks = _rhythm_with_a_pause(fs, pause_seconds=120)
    recorder = _Recorder(n_rr_features=12)
    stream = StreamClassifier(fs, recorder)
    found, kept = [], []
    for chunk in np.array_split(ecg, 400):
        found.append(stream.update(chunk).sample)
        kept.append(stream._signal.size)  # what the stream holds of the signal
    found.append(stream.finish().sample)
    np.testing.assert_array_equal(np.concatenate(found), peaks[:-1])
    # The beat before the pause waits for the next R peak, but not with two minutes of signal.
    assert max(kept) <= (CONTEXT_SECONDS + 3 * HOP_SECONDS) * fs
    rows = np.vstack(recorder.rows)
    before_pause = len(np.arange(0.5, 20, 0.8)) - 1
    assert rows[before_pause, 187 + 1] == pytest.approx(
        peaks[before_pause + 1] / fs - peaks[before_pause] / fs, abs=1e-3
    )


def test_a_lead_held_at_a_level_gives_no_beats_while_it_is_held():
    # A flat line away from zero, as an ADC at its limit gives while a lead is off: each of the
    # detector's 10 s windows inside it is constant, and none may hold a beat.
    # (The steps into and out of it may pass for beats, as in the whole recording at once.)
    fs = 250
    ecg, peaks = _rhythm_with_a_pause(fs, pause_seconds=30)
    start, stop = round(20.3 * fs), round(49.7 * fs)
    ecg[start:stop] = 2.0
    found, _ = _stream(ecg, fs, _Recorder(), [fs // 3] * 300)
    inside = (found["sample"] > start + fs) & (found["sample"] < stop - fs)
    assert not inside.any()
    assert np.isin(peaks[:-1], found["sample"]).mean() > 0.95


@settings(max_examples=15, deadline=None)
@given(cuts=st.lists(st.integers(1, 20 * 250), min_size=0, max_size=12))
def test_property_any_chunks_give_the_same_rows(cuts):
    fs = 250
    ecg, _ = _rhythm_with_a_pause(fs, pause_seconds=3)
    whole, chunked = _Recorder(n_rr_features=12), _Recorder(n_rr_features=12)
    expected, _ = _stream(ecg, fs, whole)
    got, _ = _stream(ecg, fs, chunked, cuts)
    np.testing.assert_array_equal(got["sample"], expected["sample"])
    np.testing.assert_array_equal(np.vstack(chunked.rows), np.vstack(whole.rows))


def test_without_quality_marks_the_same_beats_and_no_marks(record_119, default_model):
    signal, fs = record_119
    part = signal[: int(30 * fs)]
    marked, _ = _stream(part, fs, default_model)
    stream = StreamClassifier(fs, default_model, quality=False)
    tables = [stream.update(part), stream.finish()]
    assert all(table.readable is None for table in tables)
    np.testing.assert_array_equal(np.concatenate([t.sample for t in tables]), marked["sample"])
    np.testing.assert_array_equal(np.concatenate([t.label for t in tables]), marked["label"])


def test_a_last_r_peak_on_the_last_sample_loses_no_beat():
    # An artifact rising to the stream's last sample: the detector's last R peak lands on it,
    # where it has no signal after it for a beat (nor needs one: the last peak has no beat).
    fs = 360
    ecg, peaks = _rhythm_with_a_pause(fs, pause_seconds=3)
    ecg = ecg[: peaks[20] + 13]
    ecg[-4:] += np.linspace(0.5, 3, 4)
    streamed, _ = _stream(ecg, fs, _Recorder(), [fs] * 10)
    batch = classify_signal(ecg, fs, _Recorder())
    assert len(batch) == 20
    np.testing.assert_array_equal(streamed["sample"], batch.sample)


@pytest.mark.parametrize("fs", [257, 360])
def test_beats_are_sampled_on_the_whole_recordings_125_hz_grid(fs):
    # Irregular R peaks, so that they fall at every phase of the resampler's grid.
    centres = 0.5 + np.cumsum(np.random.default_rng(1).uniform(0.6, 1.0, 30))
    t = np.arange(round((centres[-1] + 2) * fs)) / fs
    ecg = np.exp(-(((t[:, None] - centres) / 0.015) ** 2)).sum(axis=1) + 0.1 * np.sin(t)
    streamed, batch = _Recorder(n_rr_features=0), _Recorder(n_rr_features=0)
    found, _ = _stream(ecg, fs, streamed, [97] * 100)
    np.testing.assert_array_equal(found["sample"], classify_signal(ecg, fs, batch).sample)

    def qrs(rows):  # each beat's first 40 samples, scaled alike (the scaling windows differ)
        rows = np.vstack(rows)[:, :40]
        return (rows - rows.min(axis=1, keepdims=True)) / np.ptp(rows, axis=1, keepdims=True)

    # Off the grid, a QRS is sampled up to 4 ms earlier or later: values 0.1-0.4 apart.
    np.testing.assert_allclose(qrs(streamed.rows), qrs(batch.rows), atol=1e-3)


def test_a_copied_stream_goes_on_on_its_own(record_119, default_model):
    # copy.copy shared the pending and recent R peaks and the template's beats: feeding the copy
    # changed what the original returned.
    import copy

    signal, fs = record_119
    signal = signal[: int(60 * fs)]
    whole, _ = _stream(signal, fs, default_model)
    half = int(30 * fs)
    stream = StreamClassifier(fs, default_model)
    first = stream.update(signal[:half])
    twin = copy.copy(stream)
    twin_rest = [twin.update(signal[half:]), twin.finish()]
    rest = [stream.update(signal[half:]), stream.finish()]
    for tables in (rest, twin_rest):
        samples = np.concatenate([t.sample for t in [first, *tables]])
        labels = np.concatenate([t.label for t in [first, *tables]])
        np.testing.assert_array_equal(samples, whole["sample"])
        np.testing.assert_array_equal(labels, whole["label"])
    assert twin.classifier is stream.classifier


def test_a_classifier_that_fails_loses_no_beat():
    # An interruption (Ctrl-C) or a lack of memory inside the network: the beats being
    # classified were dropped with the call, and the stream went on without them.
    class Failing(_Recorder):
        fail = 0  # how many of the next calls raise

        def predict_proba(self, X):
            if self.fail:
                self.fail -= 1
                raise MemoryError("no memory for the batch")
            return super().predict_proba(X)

    fs = 250
    ecg, _ = _rhythm_with_a_pause(fs, pause_seconds=3)
    parts = [ecg[: 10 * fs], ecg[10 * fs : 20 * fs], ecg[20 * fs : 40 * fs]]
    plain = StreamClassifier(fs, _Recorder())
    expected = [plain.update(part) for part in parts] + [plain.finish()]

    classifier = Failing()
    stream = StreamClassifier(fs, classifier)
    tables = [stream.update(parts[0])]
    classifier.fail = 1
    with pytest.raises(MemoryError):
        stream.update(parts[1])
    tables.append(stream.update(parts[2]))
    classifier.fail = 1
    with pytest.raises(MemoryError):
        stream.finish()
    with pytest.raises(RuntimeError, match="call finish"):
        stream.update(ecg[40 * fs :])
    tables.append(stream.finish())
    with pytest.raises(RuntimeError, match="make a new"):
        stream.finish()
    # The failed calls' beats come with the next ones: the same beats, in the same order.
    assert [len(t) for t in tables] == [
        len(expected[0]),
        len(expected[1]) + len(expected[2]),
        len(expected[3]),
    ]
    assert min(len(t) for t in expected) > 0
    for column in ("sample", "label", "proba", "readable"):
        np.testing.assert_array_equal(
            np.concatenate([getattr(t, column) for t in tables]),
            np.concatenate([getattr(t, column) for t in expected]),
        )


def test_a_failure_while_the_rows_are_made_loses_no_beat(monkeypatch):
    # A lack of memory (or an interruption) in the template's comparison, after the beat had
    # left the queue: the beat was lost, though it stayed among the template's beats.
    import ecgbeat.streaming as module

    fs = 250
    ecg, _ = _rhythm_with_a_pause(fs, pause_seconds=3)
    parts = [ecg[: 10 * fs], ecg[10 * fs : 20 * fs], ecg[20 * fs :]]
    plain = _Recorder(n_rr_features=12)
    stream = StreamClassifier(fs, plain)
    expected = [stream.update(part) for part in parts] + [stream.finish()]

    compare = module.compare_with_template
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 15:  # a beat of the second part
            raise MemoryError("no memory for the template")
        return compare(*args, **kwargs)

    monkeypatch.setattr(module, "compare_with_template", failing)
    recorder = _Recorder(n_rr_features=12)
    stream = StreamClassifier(fs, recorder)
    tables = [stream.update(parts[0])]
    with pytest.raises(MemoryError):
        stream.update(parts[1])
    tables += [stream.update(parts[2]), stream.finish()]
    assert len(expected[1]) > 5 and len(calls) > 40
    for column in ("sample", "label", "readable"):
        np.testing.assert_array_equal(
            np.concatenate([getattr(t, column) for t in tables]),
            np.concatenate([getattr(t, column) for t in expected]),
        )
    # The same rows: each beat in the template once, in its turn.
    np.testing.assert_array_equal(np.vstack(recorder.rows), np.vstack(plain.rows))


def test_a_finish_that_fails_before_its_last_beats_are_cut_can_be_called_again(monkeypatch):
    # An error while finish() made its rows (a lack of memory, an interruption): the next call
    # said "the stream is finished: make a new StreamClassifier" and the last beats were lost.
    import ecgbeat.streaming as module

    fs = 250
    ecg, peaks = _rhythm_with_a_pause(fs, pause_seconds=3)
    ecg = ecg[: peaks[-1] + fs // 2]  # the last beats' next R peaks are decided at the end
    plain = StreamClassifier(fs, _Recorder(n_rr_features=12))
    expected = [plain.update(ecg), plain.finish()]

    compare = module.compare_with_template
    fail = []

    def failing(*args, **kwargs):
        if fail:
            fail.pop()
            raise MemoryError("no memory for the template")
        return compare(*args, **kwargs)

    monkeypatch.setattr(module, "compare_with_template", failing)
    stream = StreamClassifier(fs, _Recorder(n_rr_features=12))
    tables = [stream.update(ecg)]
    fail.append(1)
    with pytest.raises(MemoryError):
        stream.finish()
    with pytest.raises(RuntimeError, match=r"finish\(\) failed .*call finish\(\) again"):
        stream.update(ecg[:10])
    tables.append(stream.finish())
    with pytest.raises(RuntimeError, match="make a new"):
        stream.finish()
    assert len(expected[1]) > 1
    for column in ("sample", "label", "readable"):
        for got, want in zip(tables, expected, strict=True):
            np.testing.assert_array_equal(getattr(got, column), getattr(want, column))
