"""Reproduce the results tables: train on MIT-BIH, evaluate once on the held-out part.

For each split (``random``: the Kaggle-style 80/20 split of the published numbers;
``inter-patient``: de Chazal's DS1 -> DS2, new patients) this trains the reference network on the
training part with the estimator's defaults, measures it once on the test part and prints a
table beside the reference project's published numbers. At full size it takes minutes per split
on two CPU cores (about 87,000 training beats, up to 48 short epochs).
``tools/train_pretrained.py`` is the procedure that wrote the shipped models and their cards,
with the estimator's earlier defaults (decay on plateau, every beat, dropout 0.1).

    python examples/reproduce_results.py --data-home ~/ecgbeat_data --output results.json

``ECGBEAT_EXAMPLE_QUICK=1`` uses four records, a few hundred beats and one epoch: a smoke run
whose numbers mean nothing (and, when the records are not on disk, the shipped sample's beats of
those records, split by beat: it then runs offline).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat.datasets import fetch_mitbih, load_sample
from ecgbeat.evaluation import classification_metrics
from ecgbeat.exceptions import DataNotFoundError

QUICK = os.environ.get("ECGBEAT_EXAMPLE_QUICK") == "1"
#: The reference project's published numbers (Kachuee et al. 2018; random split).
REFERENCE = {"random": {"accuracy": 0.985, "macro_f1": 0.915}}
# The quick smoke run trains once; the full run does both splits.
DEFAULT_SPLITS = ["random"] if QUICK else ["random", "inter-patient"]
QUICK_RECORDS = {
    "random": ["100", "119", "208", "213"],
    "inter-patient": ["119", "208", "100", "213"],
}


def quick_sample(records: list[str]):
    """The shipped sample's beats of ``records``, a fifth of them marked as the test part."""
    data = load_sample()
    keep = np.isin(data.record, records)
    data.data, data.target = data.data[keep], data.target[keep]
    data.is_test = np.arange(keep.sum()) % 5 == 0
    print(f"records not on disk: a smoke run on the shipped sample's {keep.sum()} beats of them")
    return data


def run(split: str, data_home, epochs: int) -> dict:
    records = QUICK_RECORDS[split] if QUICK else None
    try:
        data = fetch_mitbih(data_home, split=split, records=records)
        whole = True
    except DataNotFoundError:
        if not QUICK:
            raise
        data, whole = quick_sample(records), False
    train, test = np.flatnonzero(~data.is_test), np.flatnonzero(data.is_test)
    if QUICK and whole:
        train, test = train[::20], test[::5]
    clf = HeartbeatCNNClassifier(epochs=epochs, random_state=0)
    start = time.perf_counter()
    clf.fit(data.data[train], data.target[train])
    seconds = time.perf_counter() - start
    # The test part is touched once, here, after all training and model selection.
    metrics = classification_metrics(
        data.target[test], clf.predict(data.data[test]), target_names=data.target_names
    )
    return {
        "split": split,
        "n_train": int(train.size),
        "n_test": int(test.size),
        "epochs_run": clf.n_epochs_,
        "train_seconds": round(seconds, 1),
        **metrics,
    }


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None, help="folder holding mitdb/")
    parser.add_argument(
        "--split", choices=["random", "inter-patient"], action="append", help="default: both"
    )
    parser.add_argument("--epochs", type=int, default=1 if QUICK else 48)
    parser.add_argument("--output", help="write the results as JSON")
    args = parser.parse_args(argv)

    results = [run(split, args.data_home, args.epochs) for split in args.split or DEFAULT_SPLITS]
    if QUICK:
        print("quick mode: a smoke run (few beats, one epoch), not comparable with the reference")
    print(
        "| split | train / test beats | accuracy | macro-F1 | reference accuracy | reference macro-F1 |"
    )
    print("|---|---|---|---|---|---|")
    for r in results:
        ref = REFERENCE.get(r["split"])
        ref_cells = f"{ref['accuracy']:.1%} | {ref['macro_f1']:.3f}" if ref else "- | -"
        print(
            f"| {r['split']} | {r['n_train']} / {r['n_test']} | {r['accuracy']:.1%} | "
            f"{r['macro_f1']:.3f} | {ref_cells} |"
        )
    for r in results:
        recalls = ", ".join(f"{k} {v['recall']:.3f}" for k, v in r["per_class"].items())
        print(f"{r['split']}: recall per class: {recalls}")
    if args.output:
        with open(args.output, "w") as stream:
            json.dump(results, stream, indent=1)
        print(f"wrote {args.output}")
    return results


if __name__ == "__main__":
    try:
        main()
    except DataNotFoundError as exc:
        raise SystemExit(f"reproduce_results.py: {exc}") from None
