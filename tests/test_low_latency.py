"""The low-latency path (ecgbeat.low_latency): the classifier's network in ONNX Runtime gives the
classifier's probabilities, for beats alone and for rows with feature columns."""

from __future__ import annotations

import pickle
import sys
import warnings

import numpy as np
import pytest
from conftest import FAST_PARAMS, make_synthetic_beats

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat.exceptions import InputScaleWarning
from ecgbeat.low_latency import LowLatencyPredictor

pytest.importorskip("onnxruntime")
pytest.importorskip("tf2onnx")


@pytest.fixture(scope="module")
def fitted():
    X, y = make_synthetic_beats(n_per_class=30, seed=0)
    return HeartbeatCNNClassifier(**FAST_PARAMS).fit(X, y), X


def _assert_same(predictor, clf, X):
    expected = clf.predict_proba(X)
    # Rows that the network tells apart, so that agreeing on them means something.
    assert np.ptp(expected, axis=0).max() > 1e-3
    # Both compute in float32 from the same weights: they differ in rounding only.
    np.testing.assert_allclose(predictor.predict_proba(X), expected, atol=1e-5)


def test_same_probabilities_as_predict_proba(fitted):
    clf, X = fitted
    predictor = LowLatencyPredictor(clf)
    assert predictor.predict_proba(X).shape == (len(X), len(clf.classes_))
    graph = pytest.importorskip("onnx").load_from_string(predictor.onnx_model).graph
    assert [i.name for i in graph.input] == ["beats"]
    dims = graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims[1:]] == [X.shape[1], 1]
    _assert_same(predictor, clf, X)
    np.testing.assert_array_equal(predictor.classes_, clf.classes_)
    assert predictor.predict(X[0]).tolist() == [clf.predict(X[:1])[0]]  # one row is one beat


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # random features
def test_rows_with_rhythm_and_template_columns():
    X, y = make_synthetic_beats(n_per_class=30, seed=1)
    features = np.random.default_rng(0).random((len(X), 10), dtype=np.float32)
    rows = np.hstack([X, features])
    clf = HeartbeatCNNClassifier(**FAST_PARAMS, n_rr_features=10).fit(rows, y)
    predictor = LowLatencyPredictor(clf)
    assert predictor.n_features_in_ == rows.shape[1]
    _assert_same(predictor, clf, rows)
    # Feature columns far beyond [0, 1] (R-R intervals in samples) are not beats to scale.
    rows[:, X.shape[1] :] *= 300
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        predictor.predict_proba(rows)
    # Beats in mV beside them: the advice scales the beat columns alone, as predict_proba's.
    rows[:, : X.shape[1]] = 3 * rows[:, : X.shape[1]] - 1
    for model in (predictor, clf):
        with pytest.warns(InputScaleWarning, match=r"scale the beats alone, not the 10 rhythm"):
            model.predict_proba(rows)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # the refit's
def test_pickles_as_its_graph_and_is_independent_of_later_fits():
    X, y = make_synthetic_beats(n_per_class=30, seed=2)
    clf = HeartbeatCNNClassifier(**FAST_PARAMS).fit(X, y)
    predictor = LowLatencyPredictor(clf, threads=2)
    expected = predictor.predict_proba(X)
    copy = pickle.loads(pickle.dumps(predictor))
    np.testing.assert_array_equal(copy.predict_proba(X), expected)
    assert copy.threads == 2
    clf.set_params(random_state=5).fit(X, y)  # a new network in the classifier
    assert np.abs(clf.predict_proba(X) - expected).max() > 1e-3
    np.testing.assert_array_equal(predictor.predict_proba(X), expected)


def test_bad_input_is_named(fitted):
    clf, X = fitted
    predictor = LowLatencyPredictor(clf)
    with pytest.raises(ValueError, match=f"rows of {X.shape[1]} columns"):
        predictor.predict_proba(X[:, :-1])
    bad = X[:2].copy()
    bad[0, 3] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        predictor.predict_proba(bad)
    bad = X[:2].astype(np.float64)
    bad[0, 3] = 1e300  # finite, but not in float32
    # NumPy's "overflow encountered in cast" came first (under -W error, instead of the error).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="too large for float32"):
            predictor.predict_proba(bad)
    # What the classifier takes, the predictor takes: numbers in an object array, 3-D beats.
    np.testing.assert_array_equal(
        predictor.predict_proba(X[:2].astype(object)), predictor.predict_proba(X[:2])
    )
    with pytest.raises(ValueError, match="X must hold numbers"):
        predictor.predict_proba(np.array([["a"] * X.shape[1]]))
    # As the classifier, which refuses them, rather than dropping their imaginary parts.
    with pytest.raises(ValueError, match="X must hold numbers: complex"):
        predictor.predict_proba(X[:2] + 1j)
    np.testing.assert_array_equal(
        predictor.predict_proba(X[:3, :, None]), predictor.predict_proba(X[:3])
    )
    # NumPy read a sparse matrix as one object: "X must hold numbers: setting an array
    # element with a sequence", which named neither the sparse matrix nor what to do.
    from scipy.sparse import csr_array, csr_matrix

    for sparse in (csr_matrix, csr_array):
        for method in (clf.predict_proba, predictor.predict_proba):
            with pytest.raises(TypeError, match=r"(?i)sparse .*toarray\(\)"):
                method(sparse(X[:2]))
    for threads in (0, 1.5, True):
        with pytest.raises(ValueError, match="threads must be"):
            LowLatencyPredictor(clf, threads=threads)
    assert LowLatencyPredictor(clf, threads=np.int64(2)).threads == 2
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        LowLatencyPredictor(HeartbeatCNNClassifier())


def test_unscaled_beats_are_warned_about_as_the_classifier_warns(fitted):
    """Beats in mV or ADC units were classified without a word, where predict_proba warns."""
    from sklearn.preprocessing import minmax_scale

    from ecgbeat.exceptions import InputScaleWarning

    clf, X = fitted
    X = minmax_scale(X, axis=1)
    predictor = LowLatencyPredictor(clf)
    for copy in (predictor, pickle.loads(pickle.dumps(predictor))):
        for beats, what in (
            (X[:3] * 5, "range from 0 to 5"),
            (X[:1] - 0.4, "minima lie about -0.4"),
        ):
            for method in (clf.predict_proba, copy.predict_proba, copy.predict):
                with pytest.warns(InputScaleWarning, match=what):
                    method(beats)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            copy.predict_proba(X)
            copy.predict(X[0])
    clf_bad = pickle.loads(pickle.dumps(clf)).set_params(n_rr_features=-1)
    with pytest.raises(ValueError, match="n_rr_features must be an integer"):
        LowLatencyPredictor(clf_bad)


def test_a_dataframe_with_other_columns_is_refused_as_the_classifier_refuses_it():
    """A DataFrame's columns in another order were read as the wrong samples, without a word,
    where the classifier refuses them."""
    import pandas as pd

    X, y = make_synthetic_beats(n_per_class=10, n_samples=24, seed=3)
    frame = pd.DataFrame(X, columns=[f"s{i}" for i in range(24)])
    clf = HeartbeatCNNClassifier(epochs=1, validation_fraction=0, random_state=0).fit(frame, y)
    predictor = LowLatencyPredictor(clf)
    reordered = frame[frame.columns[::-1]]
    for method in (clf.predict_proba, predictor.predict_proba, predictor.predict):
        with pytest.raises(ValueError, match="feature names should match"):
            method(reordered)
    np.testing.assert_array_equal(predictor.feature_names_in_, clf.feature_names_in_)
    renamed = frame.rename(columns={"s0": "first"})
    with pytest.raises(ValueError, match="feature names should match"):
        predictor.predict_proba(renamed)
    # The same columns, and arrays (a monitor's beats), as before.
    _assert_same(predictor, clf, frame)
    np.testing.assert_array_equal(predictor.predict_proba(X), predictor.predict_proba(frame))
    copy = pickle.loads(pickle.dumps(predictor))
    with pytest.raises(ValueError, match="feature names should match"):
        copy.predict_proba(reordered)


def test_rows_that_overflow_inside_the_network_are_an_error_not_nan():
    """Finite float32 rows near its limit made NaN probabilities, and predict the first class."""
    from ecgbeat.exceptions import InputScaleWarning

    predictor = LowLatencyPredictor(HeartbeatCNNClassifier.from_pretrained("mitbih"))
    X = np.zeros((3, predictor.n_features_in_), dtype=np.float32)
    X[1] = 3e38
    for method in (predictor.predict_proba, predictor.predict):
        with (
            pytest.warns(InputScaleWarning),  # as the classifier warns before refusing them
            pytest.raises(ValueError, match=r"could overflow for 1 beat\(s\) \(the first in row 1"),
        ):
            method(X)
    assert np.isfinite(predictor.predict_proba(X[[0, 2]])).all()


def test_a_classifier_without_a_keras_network_is_named():
    # Another fitted estimator (a StreamClassifier's, with low_latency=True) failed on its
    # missing model_, an AttributeError naming neither the predictor nor what it needs.
    from sklearn.dummy import DummyClassifier

    dummy = DummyClassifier().fit(np.zeros((4, 187)), [0, 1, 0, 1])
    with pytest.raises(TypeError, match=r"Keras network \(its model_\); DummyClassifier has none"):
        LowLatencyPredictor(dummy)


def test_a_missing_runtime_names_the_extra(fitted, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now fails
    with pytest.raises(ImportError, match=r"tf2onnx: pip install .*\[onnx\]"):
        LowLatencyPredictor(fitted[0])


def test_an_unpickled_predictor_needs_onnx_runtime_alone(fitted):
    """tf2onnx only exports: a predictor unpickled where it is missing (a monitor given the
    graph) was refused for want of it."""
    clf, X = fitted
    predictor = LowLatencyPredictor(clf)
    saved = pickle.dumps(predictor)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "tf2onnx", None)  # import tf2onnx now fails
        copy = pickle.loads(saved)
        np.testing.assert_array_equal(copy.predict_proba(X), predictor.predict_proba(X))
        with pytest.raises(ImportError, match=r"tf2onnx: pip install .*\[onnx\]"):
            LowLatencyPredictor(clf)  # exporting needs it
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "onnxruntime", None)
        with pytest.raises(ImportError, match=r"ONNX Runtime: pip install .*\[onnx\]"):
            pickle.loads(saved)
