"""Reproduce a shipped model card's test metrics from the installed package and the raw data.

Loads ``HeartbeatCNNClassifier.from_pretrained(name)``, rebuilds the card's split from the raw
MIT-BIH records, predicts its test part and compares every metric with the card's
``test_metrics``; for a card that also holds figures at detected R peaks
(``test_metrics_detected``: the DS1 models of the new-patients recipes), the test part cut at
Pan-Tompkins peaks too, as ``tools.measure_detected`` measured them. Exit status 1 when anything
differs. A model trained on all 48 records has no test part (its card quotes its DS1 twin's
metrics): evaluate the twin.

Usage::

    python -m benchmarks.evaluate_pretrained --name mitbih [--data-home ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat.datasets import fetch_mitbih
from ecgbeat.evaluation import aami_metrics, classification_metrics
from ecgbeat.pretrained import model_card
from ecgbeat.records import beat_cutting
from tools._common import metrics_at_detected_peaks

REPO = Path(__file__).resolve().parents[1]


def evaluate(name: str, data_home: str, *, detected: bool = False) -> tuple[dict, dict]:
    """Measured test metrics of the shipped model ``name``, and those of its card.

    ``detected``: the test part cut at Pan-Tompkins peaks instead (the beats the detector missed
    counted as misses), against the card's ``test_metrics_detected``.
    """
    card = model_card(name)
    clf = HeartbeatCNNClassifier.from_pretrained(name)
    data = fetch_mitbih(
        data_home=data_home,
        split=card["data"]["split"],
        subset="test",
        detector="pan-tompkins" if detected else None,
        **beat_cutting(clf),
    )
    if detected:
        measured = metrics_at_detected_peaks(clf, data, card["target_names"])
        return measured, card["test_metrics_detected"]
    measured = card_metrics(
        data.target, clf.predict(data.data), card["test_metrics"], card["target_names"]
    )
    return measured, card["test_metrics"]


def card_metrics(y_true, y_pred, test_metrics: dict, target_names) -> dict:
    """The metrics that a card's ``test_metrics`` hold, measured on ``y_true`` and ``y_pred``.

    ``macro_f1_NSVF`` is :func:`ecgbeat.evaluation.aami_metrics`' (the mean of the unrounded
    F1s of N, S, V, F), as ``tools.train_pretrained`` writes it; the mean of the F1s rounded to
    4 digits can differ in the last digit and report a mismatch where there is none.
    """
    if "Se" in test_metrics:  # cards of the new-patients recipe
        return aami_metrics(y_true, y_pred, target_names=target_names)
    metrics = classification_metrics(y_true, y_pred, target_names=target_names)
    if "macro_f1_NSVF" in test_metrics:
        nsvf = aami_metrics(y_true, y_pred, target_names=target_names)["macro_f1_NSVF"]
        metrics["macro_f1_NSVF"] = nsvf
    return metrics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="mitbih")
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    args = parser.parse_args(argv)
    shipped = model_card(args.name)
    split = shipped["data"]["split"]
    if split not in ("random", "inter-patient"):
        # "the DS2 metrics of its DS1 twin 'mitbih-ds1-rhythm' (same recipe), below; ..."
        quoted = shipped.get("expected_on_new_patients", "another model's metrics").split(" (")[0]
        parser.error(
            f"{args.name!r} was trained on the split {split!r} and has no test part: its card "
            f"quotes {quoted}; evaluate that model instead"
        )
    status = 0
    for detected in (False, True) if "test_metrics_detected" in shipped else (False,):
        key = "test_metrics_detected" if detected else "test_metrics"
        measured, card = evaluate(args.name, args.data_home, detected=detected)
        print(json.dumps({key: {"measured": measured, "card": card}}, indent=1))
        if measured != card:
            print(f"MISMATCH: the measured {key} of {args.name!r} differ from its card")
            status = 1
        else:
            print(f"{args.name}: the model card's {key} are reproduced exactly")
    return status


if __name__ == "__main__":
    sys.exit(main())
