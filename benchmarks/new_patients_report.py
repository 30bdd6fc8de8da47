"""Report a finished model on new patients: DS2 at annotated and detected peaks, the R-peak shift
curve, and record 208's ectopic burden on the default path.

This reads DS2 (de Chazal et al. 2004's test patients): run it once per finished candidate, to
report, never to choose (choices are made on DS1 by ``experiments/ds1_selection.py``). Of its 22
records, 202 is no new patient to a DS1 model: it comes from the patient of DS1's record 201, as
the published split has it.

* ``annotated`` / ``detected``: Se, +P, F1 per AAMI class and macro-F1 over N, S, V, F on DS2, with
  beats cut at the reference annotations and at Pan-Tompkins peaks (each detected beat takes the
  class of the reference beat within 150 ms; detections of no beat count as false positives of the
  class the model gives them, and reference beats with no detection as false negatives of theirs);
* ``shift``: every annotated R peak moved by ``k`` samples at 125 Hz (``k * 360 / 125`` at the
  records' 360 Hz, rounded), ``k`` from -3 to 3, then cut as the model's card says: DS2 accuracy
  and macro-F1 for each ``k``;
* ``record_208``: ``classify_record`` on record 208 (a DS1 record: the DS2 model has seen it, the
  figure is about the detector path) with detected peaks, against its annotated ectopic burden;
* ``reference`` (``--parts reference``, not by default: about half an hour on 2 cores): the
  reference project's recipe trained on DS1 in this run (:data:`REFERENCE_PARAMS`: the estimator
  with the earlier defaults, batch 32, early stopping and decay on validation accuracy, as
  ``benchmarks.inter_patient`` runs it) on beats cut as the reference project cut them (annotated
  peaks, no refinement, no R-R features), scored on DS2 at annotated and at detected peaks as the
  model is.

Writes ``benchmarks/results/new_patients_<model>.json``.

Usage::

    python -m benchmarks.new_patients_report --model mitbih-ds1 [--data-home ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from benchmarks._common import metrics_at_detected_peaks, provenance
from ecgbeat import HeartbeatCNNClassifier
from ecgbeat.beats import cut_beats, feature_rows
from ecgbeat.classifier import EARLIER_DEFAULTS
from ecgbeat.datasets import AAMI_SYMBOLS, MITBIH_DS2, fetch_mitbih, read_annotations, read_lead
from ecgbeat.evaluation import aami_metrics
from ecgbeat.records import beat_cutting, classify_record

REPO = Path(__file__).resolve().parents[1]

NAMES = ["N", "S", "V", "F", "Q"]
#: The reference project's recipe, as ``benchmarks.inter_patient`` trains it.
REFERENCE_PARAMS = {
    **EARLIER_DEFAULTS,
    "epochs": 40,
    "batch_size": 32,
    "monitor": "val_accuracy",
    "early_stopping_patience": 5,
    "lr_decay_patience": 3,
    "random_state": 0,
}


def _summary(metrics: dict) -> dict:
    keys = ("accuracy", "macro_f1_NSVF", "Se", "+P", "confusion_matrix")
    return {key: metrics[key] for key in keys}


def _detected_summary(clf, found) -> dict:
    """The summary at detected peaks: detections of no beat and missed beats both counted."""
    return {
        **_summary(metrics_at_detected_peaks(clf, found, NAMES)),
        "unmatched_detections": len(found.unmatched.data),
        "missed_beats": len(found.missed.target),
    }


def range_points(accuracies) -> float:
    """How far apart the highest and the lowest of ``accuracies`` (fractions) lie, in points,
    rounded to 0.01: from the unrounded accuracies (the difference of the 4-digit ones that the
    results file records can be 0.01 off; the committed reports took it so)."""
    return round(100 * (max(accuracies) - min(accuracies)), 2)


def default_output(model: str) -> Path:
    """Where the report of ``model`` goes without ``--output``: a shipped model's name, or a
    model file's name without ``.keras`` (its path would make folders under results/)."""
    name = Path(model).name.removesuffix(".keras")
    return REPO / "benchmarks" / "results" / f"new_patients_{name}.json"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    parser.add_argument("--output")
    parser.add_argument(
        "--records", nargs="+", default=list(MITBIH_DS2), help="DS2 records (default: all 22)"
    )
    parser.add_argument(
        "--parts",
        nargs="+",
        choices=["ds2", "shift", "208", "reference"],
        default=["ds2", "shift", "208"],
        help="what to measure (a model trained on all 48 records has no new patients: 208 only)",
    )
    args = parser.parse_args(argv)
    clf = HeartbeatCNNClassifier.from_pretrained(args.model)
    card = getattr(clf, "model_card_", None) or {}
    cut = beat_cutting(clf)
    result = {}

    part = {"split": "inter-patient", "subset": "test", "records": args.records}
    if "ds2" in args.parts:
        ds2 = fetch_mitbih(args.data_home, **part, **cut)
        y_pred = clf.predict(ds2.data)
        result["annotated"] = _summary(aami_metrics(ds2.target, y_pred, target_names=NAMES))
        print("annotated", result["annotated"], flush=True)
        found = fetch_mitbih(args.data_home, **part, detector="pan-tompkins", **cut)
        result["detected"] = _detected_summary(clf, found)
        print("detected", result["detected"], flush=True)

    folder = Path(args.data_home) / "mitdb"
    signals = {}
    for record in args.records if "shift" in args.parts else []:
        signal, fs, _, _ = read_lead(folder / record, ("MLII", "V5"), record)
        samples, symbols = read_annotations(folder / record, "atr", signal.size, record)
        keep = np.isin(symbols, list(AAMI_SYMBOLS))
        signals[record] = (signal, fs, samples[keep], symbols[keep])
    result["shift"] = {}
    accuracies = []  # unrounded: the range of the rounded ones is up to 0.01 points off
    for k in range(-3, 4) if signals else []:
        y_true, y_pred = [], []
        for signal, fs, peaks, symbols in signals.values():
            moved = np.clip(peaks + round(k * fs / 125), 0, signal.size - 1)
            seg, rr = cut_beats(
                signal,
                fs,
                np.unique(moved),
                refine_radius=cut["refine_radius"],
                before_r=cut["before_r"],
            )
            rows = feature_rows(
                seg.beats,
                rr,
                rhythm=cut["rhythm"],
                template=cut["template"],
                zscores=cut["zscores"],
            )
            # The beats keep their order; clipping at the ends can merge the first or last.
            labels = np.array([AAMI_SYMBOLS[s] for s in symbols])[: len(rows)]
            y_true.append(labels)
            y_pred.append(clf.predict(rows)[: len(labels)])
        y_true, y_pred = np.concatenate(y_true), np.concatenate(y_pred)
        m = aami_metrics(y_true, y_pred, target_names=NAMES)
        result["shift"][str(k)] = {"accuracy": m["accuracy"], "macro_f1_NSVF": m["macro_f1_NSVF"]}
        accuracies.append(float(np.mean(y_true == y_pred)))
        print("shift", k, result["shift"][str(k)], flush=True)
    if accuracies:
        result["shift_accuracy_range_points"] = range_points(accuracies)
    if "reference" in args.parts:
        result["reference"] = _reference(args, part)
    if "208" not in args.parts:
        return _write(args, argv, card, result)
    table = classify_record(folder / "208", clf)
    _, symbols = read_annotations(folder / "208", "atr", 650000, "208")
    labels = np.array([AAMI_SYMBOLS[s] for s in symbols if s in AAMI_SYMBOLS])
    summary = table.summary()
    result["record_208"] = {
        "beats_detected": len(table),
        "beats_unreadable": summary["unreadable_beats"],
        "beats_annotated": int(labels.size),
        # Over the readable beats, as ecgbeat predict reports it.
        "ectopic_burden_predicted": round(summary["ectopic_burden"], 4),
        "ectopic_burden_annotated": round(float(np.mean(labels != 0)), 4),
    }
    print("208", result["record_208"], flush=True)
    return _write(args, argv, card, result)


def _reference(args, part: dict) -> dict:
    """The reference recipe, trained on DS1 now, on DS2 at annotated and detected peaks."""
    train = fetch_mitbih(args.data_home, split="inter-patient", subset="train")
    clf = HeartbeatCNNClassifier(**REFERENCE_PARAMS)
    start = time.perf_counter()
    clf.fit(train.data, train.target)
    out = {"params": REFERENCE_PARAMS, "train_seconds": round(time.perf_counter() - start, 1)}
    ds2 = fetch_mitbih(args.data_home, **part)
    out["annotated"] = _summary(aami_metrics(ds2.target, clf.predict(ds2.data), target_names=NAMES))
    found = fetch_mitbih(args.data_home, **part, detector="pan-tompkins")
    out["detected"] = _detected_summary(clf, found)
    print("reference", out, flush=True)
    return out


def _write(args, argv, card, result) -> dict:
    output = {
        "benchmark": f"model {args.model!r} on new patients (DS2), once, to report",
        **provenance(__file__, argv),
        "model_card_command": card.get("command"),
        "results": result,
    }
    path = Path(args.output or default_output(args.model))
    path.write_text(json.dumps(output, indent=1) + "\n")
    return output


if __name__ == "__main__":
    main()
