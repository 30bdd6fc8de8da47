"""Quickstart: the pretrained model, a model of your own, and saving it.

Runs offline with what ships in the package (the pretrained model and 2,850 sample beats)::

    python examples/quickstart.py

``ECGBEAT_EXAMPLE_QUICK=1`` shrinks the training to seconds (used by the tests).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat.datasets import load_sample
from ecgbeat.evaluation import classification_metrics

QUICK = os.environ.get("ECGBEAT_EXAMPLE_QUICK") == "1"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model",
        default=os.environ.get("ECGBEAT_EXAMPLE_MODEL", "mitbih"),
        help="pretrained model name or .keras file (default: mitbih)",
    )
    args = parser.parse_args(argv)

    # 1. The pretrained model on the shipped sample (beats it never saw in training).
    sample = load_sample()
    names = sample.target_names
    pretrained = HeartbeatCNNClassifier.from_pretrained(args.model)
    y_pred = pretrained.predict(sample.data)
    metrics = classification_metrics(sample.target, y_pred, target_names=names)
    print(
        f"pretrained {args.model}: accuracy {metrics['accuracy']:.4f}, "
        f"macro-F1 {metrics['macro_f1']:.4f} on {len(y_pred)} sample beats"
    )

    # 2. A model of your own: any labels, any beat length. (A stratified split of beats, as in
    #    the Kaggle release: the same patients on both sides; see grid_search.py for groups.)
    X, y = sample.data, np.asarray(names)[sample.target]  # string labels work too
    if QUICK:
        keep = np.concatenate([np.flatnonzero(y == c)[:40] for c in names])
        X, y = X[keep], y[keep]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    clf = HeartbeatCNNClassifier(epochs=2 if QUICK else 30, class_weight="balanced", random_state=0)
    clf.fit(X_train, y_train)
    print(
        f"own model: {clf.n_epochs_} epochs (kept epoch {clf.best_epoch_}), "
        f"classes {clf.classes_.tolist()}, test accuracy {clf.score(X_test, y_test):.4f}"
    )

    # 3. Save without pickle, load, and check that nothing changed.
    path = Path(tempfile.mkdtemp()) / "my-model.keras"
    clf.save(path)
    restored = HeartbeatCNNClassifier.load(path)
    same = np.array_equal(restored.predict_proba(X_test), clf.predict_proba(X_test))
    print(f"saved to {path.name} and loaded back: identical predictions {same}")


if __name__ == "__main__":
    main()
