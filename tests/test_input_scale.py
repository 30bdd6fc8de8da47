"""Beats far outside [0, 1] are flagged, and sklearn's per-beat min-max scaling fixes them."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import FAST_PARAMS, make_synthetic_beats
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, minmax_scale

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat.exceptions import InputScaleWarning

TINY = dict(FAST_PARAMS, epochs=2)


@pytest.fixture(scope="module")
def fitted():
    X, y = make_synthetic_beats()
    return HeartbeatCNNClassifier(**TINY).fit(X, y), X, y


def _no_scale_warning(call):
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputScaleWarning)
        return call()


def test_beats_in_unit_range_do_not_warn(fitted):
    clf, X, y = fitted
    _no_scale_warning(lambda: clf.predict(X))
    _no_scale_warning(lambda: HeartbeatCNNClassifier(**TINY).fit(X, y))


def test_beats_shifted_within_the_range_warn():
    # Beats in mV less an offset stay within [-0.5, 1.5] and were taken as scaled: the shipped
    # model's accuracy fell from 0.96 to 0.41 on the sample, without a word.
    from ecgbeat.datasets import load_sample

    clf = HeartbeatCNNClassifier.from_pretrained("mitbih")
    X = load_sample().data[:200]
    _no_scale_warning(lambda: clf.predict(X))
    for shifted in (X - 0.4, X * 0.5 - 0.45, X + 0.4):
        with pytest.warns(InputScaleWarning, match=r"minima lie about -?0\.4\d* \(median"):
            clf.predict(shifted)


@pytest.mark.parametrize(
    "transform, low_high",
    [
        (lambda X: X * 1000 - 500, "from -890 to 723"),  # ADC units around a baseline
        (lambda X: (X - X.mean()) / X.std(), "from -"),  # z-scores
    ],
)
def test_unscaled_beats_warn_once_in_fit_and_predict(fitted, transform, low_high):
    clf, X, y = fitted
    unscaled = transform(X)
    with pytest.warns(InputScaleWarning, match="minmax_scale") as caught:
        clf.predict_proba(unscaled)
    assert len([w for w in caught if w.category is InputScaleWarning]) == 1
    assert low_high in str(caught[0].message)
    with pytest.warns(
        InputScaleWarning, match=r"expects each beat min-max scaled to \[0, 1\]"
    ) as caught:
        HeartbeatCNNClassifier(**TINY).fit(unscaled, y)
    assert len([w for w in caught if w.category is InputScaleWarning]) == 1  # once in fit too


def test_rhythm_columns_are_not_beats(fitted):
    _, X, y = fitted
    rr = np.tile([0.8, 1.2, 0.9, 1.0, 0.8, 1.2, 0.9], (len(X), 1)).astype(np.float32) * 2
    with_rhythm = np.hstack([X, rr])
    _no_scale_warning(lambda: HeartbeatCNNClassifier(n_rr_features=7, **TINY).fit(with_rhythm, y))
    # The same columns read as beat samples are out of range.
    with pytest.warns(InputScaleWarning):
        HeartbeatCNNClassifier(**TINY).fit(with_rhythm, y)


def test_rhythm_model_is_told_to_scale_the_beats_alone(fitted):
    # The advice for beats alone, minmax_scale(X, axis=1), scaled the rhythm columns with each
    # beat: RR intervals of 0.8 s beside beats in ADC units came out as about 0.42 whatever
    # their value, and no warning followed.
    from sklearn.compose import ColumnTransformer

    _, X, y = fitted
    rr = np.random.default_rng(0).uniform(0.6, 1.4, (len(X), 7)).astype(np.float32)
    clf = HeartbeatCNNClassifier(n_rr_features=7, **TINY).fit(np.hstack([X, rr]), y)
    raw = np.hstack([X * 1000 - 500, rr])
    with pytest.warns(InputScaleWarning) as caught:
        clf.predict(raw)
    message = str(caught[0].message)
    assert "minmax_scale(X, axis=1)" not in message
    assert "minmax_scale(X[:, :64], axis=1)" in message
    # The pipeline step the warning names, as written there.
    advised = message[message.index("ColumnTransformer(") : message.index(" in a pipeline")]
    # The warning's own text, evaluated: it must work as written.
    scaler = eval(
        advised,
        {
            "ColumnTransformer": ColumnTransformer,
            "FunctionTransformer": FunctionTransformer,
            "minmax_scale": minmax_scale,
        },
    )
    scaled = scaler.fit_transform(raw)
    np.testing.assert_array_equal(scaled[:, 64:], rr)  # the rhythm columns as they were
    np.testing.assert_allclose(scaled[:, :64], minmax_scale(X, axis=1), atol=1e-5)
    _no_scale_warning(lambda: clf.predict(scaled))


def test_minmax_pipeline_scales_each_beat_as_expected(fitted):
    _, X, y = fitted
    rng = np.random.default_rng(0)
    gain, offset = rng.uniform(50, 200, (len(X), 1)), rng.uniform(-100, 100, (len(X), 1))
    raw = X * gain + offset  # each beat in its own units, as from another device
    pipe = make_pipeline(
        FunctionTransformer(minmax_scale, kw_args={"axis": 1}),
        HeartbeatCNNClassifier(**TINY),
    )
    _no_scale_warning(lambda: pipe.fit(raw, y))
    scaled = pipe[0].transform(raw)
    np.testing.assert_allclose(scaled, minmax_scale(X, axis=1), atol=1e-5)
    np.testing.assert_allclose(scaled.min(axis=1), 0, atol=1e-9)
    np.testing.assert_allclose(scaled.max(axis=1), 1, atol=1e-9)
    _no_scale_warning(lambda: pipe.predict(raw))


def test_fit_on_a_dataframe_warns_of_nothing(fitted):
    pd = pytest.importorskip("pandas")
    _, X, y = fitted
    frame = pd.DataFrame(X, columns=[f"s{i}" for i in range(X.shape[1])])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # "X does not have valid feature names"
        warnings.simplefilter("ignore", ConvergenceWarning)  # a tiny fit may learn little
        clf = HeartbeatCNNClassifier(**TINY).fit(frame, y)
    assert clf.feature_names_in_.tolist() == list(frame.columns)


def test_warnings_point_at_the_callers_line(fitted):
    # The same check runs from fit, predict and scikit-learn's score: each warning must name
    # this file, not a line inside ecgbeat or scikit-learn.
    clf, X, y = fitted
    calls = {
        "fit": lambda: HeartbeatCNNClassifier(**TINY).fit(X * 10, y),
        "predict_proba": lambda: clf.predict_proba(X * 10),
        "predict": lambda: clf.predict(X * 10),
        "score": lambda: clf.score(X * 10, y),
        "cross_val_score": lambda: cross_val_score(clone(clf), X * 10, y, cv=2),
        "fit, too few beats to validate": lambda: HeartbeatCNNClassifier(**TINY).fit(
            X[[0, 1, 40, 80]], y[[0, 1, 40, 80]]
        ),
    }
    for name, call in calls.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        # Only ecgbeat's own (TensorFlow's and Keras' may come too, from their own lines).
        ours = [
            w
            for w in caught
            if w.category is InputScaleWarning or str(w.message).startswith("too few beats")
        ]
        assert ours, name
        assert {w.filename for w in ours} == {__file__}, (name, [w.filename for w in ours])
