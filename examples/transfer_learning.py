"""Transfer learning: reuse the MIT-BIH network for a small new task, normal vs abnormal beats.

The target task has few labelled beats: a handful of DS2 records (patients of the inter-patient
test set), relabelled normal (AAMI N) vs abnormal (anything else), split by patient. Three ways
to train on it are compared on patients that none of them saw:

* from scratch (random weights);
* ``from_pretrained(..., freeze_conv=True)``: the pretrained convolutions kept, only the dense
  head trained (the output layer is new: two classes instead of five);
* ``from_pretrained(...)``: everything fine-tuned from the pretrained weights
  (``train_head_first=True`` trains the new head on frozen convolutions first).

The shipped ``mitbih`` model was trained on the random split, which includes beats of these
patients; for a clean experiment start from a model trained on DS1 only
(``ecgbeat train --data mitbih --split inter-patient -o ds1.keras`` then ``--model ds1.keras``).

    python examples/transfer_learning.py --data-home ~/ecgbeat_data
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat.datasets import fetch_mitbih, load_sample
from ecgbeat.evaluation import classification_metrics
from ecgbeat.exceptions import DataNotFoundError

QUICK = os.environ.get("ECGBEAT_EXAMPLE_QUICK") == "1"
# Records with many abnormal beats on both sides of the patient split.
TRAIN_RECORDS = ["200", "213", "233"] if not QUICK else ["213", "233"]
TEST_RECORDS = ["210", "219", "221"] if not QUICK else ["221"]


def load(records, data_home):
    """Beats of ``records`` labelled normal / abnormal, and whether they are the whole records.

    The quick smoke run falls back to the shipped sample's beats of these records when the
    records are not on disk, so that it runs offline.
    """
    try:
        data = fetch_mitbih(data_home, records=records)
        whole = True
    except DataNotFoundError:
        if not QUICK:
            raise
        data, whole = load_sample(), False
        keep = np.isin(data.record, records)
        data.data, data.target = data.data[keep], data.target[keep]
    y = np.where(data.target == 0, "normal", "abnormal")
    return data.data, y, whole


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None, help="folder holding mitdb/")
    parser.add_argument(
        "--model",
        default=os.environ.get("ECGBEAT_EXAMPLE_MODEL", "mitbih"),
        help="pretrained model to start from (default: mitbih)",
    )
    parser.add_argument("--epochs", type=int, default=1 if QUICK else 20)
    args = parser.parse_args(argv)

    X_train, y_train, whole = load(TRAIN_RECORDS, args.data_home)
    X_test, y_test, _ = load(TEST_RECORDS, args.data_home)
    if QUICK and whole:
        X_train, y_train = X_train[::15], y_train[::15]
        X_test, y_test = X_test[::10], y_test[::10]
    if not whole:
        print("records not on disk: a smoke run on the shipped sample's beats of them")
    print(
        f"train: {len(y_train)} beats of records {', '.join(TRAIN_RECORDS)} "
        f"({np.mean(y_train == 'abnormal'):.1%} abnormal)"
    )
    print(
        f"test:  {len(y_test)} beats of records {', '.join(TEST_RECORDS)} "
        f"({np.mean(y_test == 'abnormal'):.1%} abnormal)"
    )

    common = dict(epochs=args.epochs, class_weight="balanced", random_state=0)
    candidates = {
        "from scratch": HeartbeatCNNClassifier(**common),
        "pretrained, conv frozen": HeartbeatCNNClassifier.from_pretrained(
            args.model, freeze_conv=True, **common
        ),
        "pretrained, fine-tuned": HeartbeatCNNClassifier.from_pretrained(args.model, **common),
    }
    results = {}
    for name, clf in candidates.items():
        clf.fit(X_train, y_train)
        m = classification_metrics(y_test, clf.predict(X_test))
        results[name] = m
        print(
            f"{name:<24} accuracy {m['accuracy']:.4f}  macro-F1 {m['macro_f1']:.4f}  "
            f"abnormal recall {m['per_class']['abnormal']['recall']:.4f}"
        )
    return results


if __name__ == "__main__":
    try:
        main()
    except DataNotFoundError as exc:
        raise SystemExit(f"transfer_learning.py: {exc}") from None
