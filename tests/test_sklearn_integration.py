"""HeartbeatCNNClassifier inside scikit-learn's tools: pipelines, searches, CV, calibration, metrics."""

from __future__ import annotations

import numpy as np
from conftest import FAST_PARAMS, make_synthetic_beats
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import classification_report, confusion_matrix, f1_score, roc_auc_score
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_val_predict,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer

from ecgbeat import HeartbeatCNNClassifier

TINY = {**FAST_PARAMS, "epochs": 3}
# Worker processes do not share the test run's fixed precision="auto": the comparisons of
# processes with the serial run name the arithmetic, so that they hold on every CPU.
TINY_FLOAT32 = {**TINY, "precision": "float32"}
# For the tests that ask the toy to be learned: on 40 to 90 of its beats, FAST_PARAMS make 3 to 5
# steps an epoch, which learned it at some seeds and not others (cross-validated accuracy from
# 0.3 to 1.0 over seeds 0-3, in float32 and in bfloat16): another CPU's rounding could fail
# them. 8 steps an epoch learned it at each.
LEARNS = {**FAST_PARAMS, "min_steps_per_epoch": 8}


def test_pipeline_and_metrics():
    X, y = make_synthetic_beats(n_per_class=30)
    pipe = make_pipeline(Normalizer(norm="max"), HeartbeatCNNClassifier(**LEARNS)).fit(X, y)
    y_pred = pipe.predict(X)
    assert f1_score(y, y_pred, average="macro") == 1.0
    np.testing.assert_array_equal(np.diag(confusion_matrix(y, y_pred)), [30, 30, 30])
    assert "macro avg" in classification_report(y, y_pred)
    assert roc_auc_score(y, pipe.predict_proba(X), multi_class="ovr") == 1.0


def test_grid_search_in_two_processes_matches_serial():
    X, y = make_synthetic_beats(n_per_class=20)
    grid = {"learning_rate": [1e-3, 3e-3], "architecture": ["cnn"]}
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    estimator = HeartbeatCNNClassifier(**TINY_FLOAT32)
    parallel = GridSearchCV(estimator, grid, cv=cv, n_jobs=2).fit(X, y)
    serial = GridSearchCV(estimator, grid, cv=cv, n_jobs=1).fit(X, y)
    np.testing.assert_array_equal(
        parallel.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )
    assert parallel.best_params_ == serial.best_params_
    assert isinstance(parallel.best_estimator_, HeartbeatCNNClassifier)
    assert parallel.predict(X).shape == y.shape


def test_cross_val_score_and_predict_proba():
    X, y = make_synthetic_beats(n_per_class=20)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(HeartbeatCNNClassifier(**LEARNS), X, y, cv=cv)
    assert scores.shape == (3,) and scores.min() > 0.8
    proba = cross_val_predict(HeartbeatCNNClassifier(**TINY), X, y, cv=cv, method="predict_proba")
    assert proba.shape == (60, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_calibrated_classifier():
    X, y = make_synthetic_beats(n_per_class=30, labels=("N", "V"))
    calibrated = CalibratedClassifierCV(HeartbeatCNNClassifier(**FAST_PARAMS), cv=2).fit(X, y)
    proba = calibrated.predict_proba(X)
    assert proba.shape == (60, 2)
    assert (calibrated.predict(X) == y).mean() > 0.9
