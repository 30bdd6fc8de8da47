"""Train a pretrained model on MIT-BIH, evaluate it on the held-out part, ship it with its card.

Writes ``ecgbeat/pretrained/<name>.keras`` and ``ecgbeat/pretrained/<name>.json`` (the model card:
data and split, preprocessing, training settings, test metrics, SHA-256 of the weights).

Model selection uses only the training part (the estimator's stratified validation split); the
test part is touched once, after training, to measure the card's metrics.

Usage::

    python benchmarks/train_pretrained.py --name mitbih --split random
    python benchmarks/train_pretrained.py --name mitbih-ds1 --split inter-patient
    python benchmarks/train_pretrained.py --name mitbih-resnet --split random --architecture resnet
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from _common import EARLIER_DEFAULTS, provenance  # noqa: E402

from ecgbeat import HeartbeatCNNClassifier  # noqa: E402
from ecgbeat.datasets import fetch_mitbih  # noqa: E402
from ecgbeat.evaluation import classification_metrics  # noqa: E402
from ecgbeat.pretrained import ATTRIBUTION  # noqa: E402

SPLITS = {
    "random": "Kaggle-style stratified random 80/20 split of all 48 records "
    "(ecgbeat.datasets.fetch_mitbih(split='random')); trained on the train part",
    "inter-patient": "de Chazal et al. 2004 inter-patient split: trained on DS1 (22 records), "
    "tested on DS2 (22 other patients); paced records excluded",
}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--split", choices=sorted(SPLITS), required=True)
    parser.add_argument("--architecture", default="cnn", choices=["cnn", "resnet"])
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument(
        "--class-weight",
        default=None,
        help="'balanced', or 'sqrt-balanced' (square root of the balanced weights: rare classes "
        "count more without the extreme weights that destabilise training)",
    )
    parser.add_argument("--monitor", default="val_loss", choices=["val_loss", "val_accuracy"])
    parser.add_argument("--early-stopping-patience", type=int, default=8)
    parser.add_argument("--lr-decay-patience", type=int, default=3)
    parser.add_argument(
        "--max-class-ratio",
        type=float,
        default=None,
        help="undersample dominant classes per epoch (the estimator's max_class_ratio); "
        "default: every beat, as the shipped models were trained before it existed",
    )
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--out", default=str(REPO / "ecgbeat" / "pretrained"))
    parser.add_argument("--no-save", action="store_true", help="evaluate only; ship nothing")
    args = parser.parse_args(argv)

    data = fetch_mitbih(data_home=args.data_home, split=args.split)
    train, test = ~data.is_test, data.is_test
    class_weight = args.class_weight
    if class_weight == "sqrt-balanced":
        counts = np.bincount(data.target[train])
        present = np.flatnonzero(counts)
        balanced = train.sum() / (len(present) * counts[present])
        class_weight = {
            int(c): round(float(np.sqrt(w)), 4) for c, w in zip(present, balanced, strict=True)
        }
    # The shipped models' recipe: the estimator's earlier defaults, with every beat unless
    # --max-class-ratio says otherwise.
    params = dict(
        EARLIER_DEFAULTS,
        architecture=args.architecture,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        class_weight=class_weight,
        max_class_ratio=args.max_class_ratio,
        monitor=args.monitor,
        early_stopping_patience=args.early_stopping_patience,
        lr_decay_patience=args.lr_decay_patience,
        random_state=args.random_state,
        verbose=2,
    )
    clf = HeartbeatCNNClassifier(**params)
    start = time.perf_counter()
    clf.fit(data.data[train], data.target[train])
    train_seconds = time.perf_counter() - start
    y_pred = clf.predict(data.data[test])
    metrics = classification_metrics(data.target[test], y_pred, target_names=data.target_names)
    metrics["macro_f1_NSVF"] = round(
        float(np.mean([metrics["per_class"][c]["f1"] for c in ("N", "S", "V", "F")])), 4
    )

    card = {
        "name": args.name,
        "file": f"{args.name}.keras",
        "architecture": args.architecture,
        "classes": clf.classes_.tolist(),
        "target_names": list(data.target_names),
        "data": {
            "database": "MIT-BIH Arrhythmia Database v1.0.0 (PhysioNet), raw records, lead MLII "
            "(V5 where MLII is absent: records 102, 104)",
            "split": args.split,
            "split_description": SPLITS[args.split],
            "n_train": int(train.sum()),
            "n_test": int(test.sum()),
            "train_class_counts": np.bincount(data.target[train], minlength=5).tolist(),
            "test_class_counts": np.bincount(data.target[test], minlength=5).tolist(),
        },
        "preprocessing": "ecgbeat.beats.segment_beats defaults: Kachuee et al. 2018 §III.A, "
        "R peaks from the reference annotations, 125 Hz, 10 s windows scaled to [0, 1], "
        "1.2 x median R-R from each R peak, zero-padded to 187 samples",
        "training": {
            **{k: v for k, v in clf.get_params().items() if k not in ("callbacks", "verbose")},
            "best_epoch": clf.best_epoch_,
            "n_epochs": clf.n_epochs_,
            "train_seconds": round(train_seconds, 1),
        },
        "test_metrics": metrics,
        "attribution": ATTRIBUTION,
        **provenance(__file__, argv),
    }
    if args.no_save:
        print(json.dumps(metrics, indent=1))
        return card
    out = Path(args.out)
    model_path = out / card["file"]
    clf.model_card_ = {k: v for k, v in card.items() if k not in ("file",)}
    clf.save(model_path)
    card["sha256"] = hashlib.sha256(model_path.read_bytes()).hexdigest()
    (out / f"{args.name}.json").write_text(json.dumps(card, indent=1) + "\n")
    print(json.dumps(metrics, indent=1))
    return card


if __name__ == "__main__":
    main()
