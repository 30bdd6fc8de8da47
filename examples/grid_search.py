"""Model selection with GridSearchCV: learning rate, and whether to start from the pretrained model.

The estimator is a plain scikit-learn classifier, so GridSearchCV clones it for each fold; the
``pretrained`` parameter travels with the clone, so "start from the pretrained weights" is a grid
point like any other. Folds are grouped by patient (records 201 and 202 are one): a patient's
beats never sit on both sides.

    python examples/grid_search.py
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat.datasets import load_sample

QUICK = os.environ.get("ECGBEAT_EXAMPLE_QUICK") == "1"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model",
        default=os.environ.get("ECGBEAT_EXAMPLE_MODEL", "mitbih"),
        help="pretrained model to try as a starting point (default: mitbih)",
    )
    args = parser.parse_args(argv)

    sample = load_sample()
    X, y, groups = sample.data, sample.target, sample.patient
    if QUICK:
        rng = np.random.default_rng(0)
        keep = np.sort(rng.choice(len(y), 160, replace=False))
        X, y, groups = X[keep], y[keep], groups[keep]
    grid = {"pretrained": [None, args.model]}
    if not QUICK:
        grid["learning_rate"] = [1e-3, 3e-3]
    cv = StratifiedGroupKFold(n_splits=2 if QUICK else 3)
    if QUICK:
        cv = [next(cv.split(X, y, groups))]  # one split: two fits instead of four
    search = GridSearchCV(
        HeartbeatCNNClassifier(epochs=1 if QUICK else 15, random_state=0),
        grid,
        cv=cv,
        scoring="f1_macro",  # accuracy would reward ignoring the rare classes
        error_score="raise",
        refit=not QUICK,  # the quick run only compares; the full run keeps the best model
    )
    search.fit(X, y, groups=groups)
    for params, mean, std in zip(
        search.cv_results_["params"],
        search.cv_results_["mean_test_score"],
        search.cv_results_["std_test_score"],
        strict=True,
    ):
        print(f"{params}: macro-F1 {mean:.4f} ± {std:.4f}")
    print(f"best: {search.best_params_} (macro-F1 {search.best_score_:.4f})")


if __name__ == "__main__":
    main()
