"""Train a pretrained model on MIT-BIH, evaluate it on the held-out part, ship it with its card.

Writes ``ecgbeat/pretrained/<name>.keras`` and ``ecgbeat/pretrained/<name>.json`` (the model card:
data and split, preprocessing, training settings, test metrics, SHA-256 of the weights), and
rewrites ``ecgbeat/pretrained/SHA256SUMS``, the cards' SHA-256. A failure while writing them leaves
the three as they were.

Model selection uses only the training part (the estimator's stratified validation split, of
whole patients in the new-patients recipes: the card's ``validation_groups``); the test part
is touched once, after training, to measure the card's metrics.

The new-patients recipe (``--recipe new-patients``): beats cut at R peaks refined to their dominant
extremum (0.12 s), the 7 R-R interval features beside each beat, the validation split by patient,
``augmentation="ecg"`` and the estimator's current training defaults; chosen on DS1 alone
(``experiments/ds1_selection.py``, ``experiments/peak_alignment.py``). ``--recipe
new-patients-template`` adds the 3 template features of :mod:`ecgbeat.template` after the R-R ones
(the beat against its record's median beat; also chosen on DS1 alone), and ``--recipe
new-patients-zscores`` the 2 R-R z-scores of :func:`ecgbeat.rhythm.rr_zscores` after those (how
early or late a beat comes against its record's spread of intervals; also chosen on DS1 alone).
With ``--split all`` it
trains on all 48 records and has no test part: its card carries the DS2 metrics of its DS1 twin
(``--twin``) as the expected performance on new patients.

Usage::

    python -m tools.train_pretrained --name mitbih --split random
    python -m tools.train_pretrained --name mitbih-ds1 --split inter-patient
    python -m tools.train_pretrained --name mitbih-resnet --split random --architecture resnet
    python -m tools.train_pretrained --name mitbih-ds1 --split inter-patient --recipe new-patients
    python -m tools.train_pretrained --name mitbih-rhythm --split all --recipe new-patients \
        --twin mitbih-ds1

An existing model of the same name is never replaced unless ``--overwrite`` is given.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import time
from pathlib import Path

import numpy as np

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat._atomic import replacing
from ecgbeat.classifier import EARLIER_DEFAULTS
from ecgbeat.cli._common import CommandError, check_writable
from ecgbeat.datasets import fetch_mitbih
from ecgbeat.evaluation import aami_metrics
from ecgbeat.pretrained import ATTRIBUTION, model_card
from ecgbeat.rhythm import N_RR_FEATURES, N_RR_ZSCORES
from ecgbeat.template import N_TEMPLATE_FEATURES
from tools._common import (
    cards_manifest,
    metrics_at_detected_peaks,
    provenance,
    sqrt_balanced_class_weight,
)

REPO = Path(__file__).resolve().parents[1]

SPLITS = {
    "random": "Kaggle-style stratified random 80/20 split of all 48 records "
    "(ecgbeat.datasets.fetch_mitbih(split='random')); trained on the train part",
    "inter-patient": "de Chazal et al. 2004 inter-patient split: trained on DS1 (22 records), "
    "tested on DS2 (22 records of 21 other patients: DS2's 202 is the patient of DS1's 201); "
    "paced records excluded",
    "all": "all 48 records, no test part (the expected performance on new patients is that of "
    "the DS1 twin named in the card, on DS2)",
}
#: The options of ``--recipe earlier`` and their defaults (the other recipes refuse them).
EARLIER_OPTIONS = {
    "epochs": 40,
    "batch_size": 128,
    "learning_rate": 1e-3,
    "monitor": "val_loss",
    "early_stopping_patience": 8,
    "lr_decay_patience": 3,
}
#: The new-patients recipe: segmentation and estimator parameters (see the module docstring).
NEW_PATIENTS = {
    "refine_radius": 0.12,
    "before_r": 0.0,
    "params": {"n_rr_features": N_RR_FEATURES, "augmentation": "ecg"},
}
#: What ``--recipe new-patients-template`` adds: the template features after the R-R ones.
TEMPLATE_PARAMS = {"n_rr_features": N_RR_FEATURES + N_TEMPLATE_FEATURES}
#: What ``--recipe new-patients-zscores`` adds: the R-R z-scores after the template features.
ZSCORE_PARAMS = {"n_rr_features": N_RR_FEATURES + N_TEMPLATE_FEATURES + N_RR_ZSCORES}


def recipe_of(new_patients: bool, template: bool, zscores: bool) -> dict:
    """The ``segmentation`` of a card: how the beats were cut and which features follow them
    (a card without it, or without some of its keys, was cut as the earlier recipe cuts)."""
    return {
        "refine_radius": NEW_PATIENTS["refine_radius"] if new_patients else None,
        "before_r": NEW_PATIENTS["before_r"] if new_patients else 0.0,
        "rr_features": new_patients,
        "template_features": template,
        "rr_zscores": zscores,
    }


def _weighting(class_weight) -> str | None:
    """The ``--class-weight`` that gave a card's class weights (a dict: "sqrt-balanced")."""
    return "sqrt-balanced" if isinstance(class_weight, dict) else class_weight


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--split", choices=sorted(SPLITS), required=True)
    parser.add_argument("--architecture", default="cnn", choices=["cnn", "resnet"])
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    # The options of the earlier recipe (default None: not given; EARLIER_OPTIONS fills them).
    parser.add_argument("--epochs", type=int, help="default: 40")
    parser.add_argument("--batch-size", type=int, help="default: 128")
    parser.add_argument("--learning-rate", type=float, help="default: 0.001")
    parser.add_argument(
        "--class-weight",
        default=None,
        choices=["balanced", "sqrt-balanced"],
        help="'balanced', or 'sqrt-balanced' (square root of the balanced weights: rare classes "
        "count more without the extreme weights that destabilise training)",
    )
    parser.add_argument("--monitor", choices=["val_loss", "val_accuracy"], help="default: val_loss")
    parser.add_argument("--early-stopping-patience", type=int, help="default: 8")
    parser.add_argument("--lr-decay-patience", type=int, help="default: 3")
    parser.add_argument(
        "--max-class-ratio",
        type=float,
        default=None,
        help="undersample dominant classes per epoch (the estimator's max_class_ratio); "
        "default: every beat, as the shipped models were trained before it existed",
    )
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument(
        "--recipe",
        choices=["earlier", "new-patients", "new-patients-template", "new-patients-zscores"],
        default="earlier",
        help="'earlier': the shipped beat-only models' recipe (the options above, which the "
        "other recipes refuse); 'new-patients': refined "
        "peaks, R-R features, validation by patient, augmentation, the current defaults; "
        "'new-patients-template': those and the template features; 'new-patients-zscores': "
        "those and the R-R z-scores",
    )
    parser.add_argument("--twin", help="with --split all: the DS1 model whose DS2 metrics to quote")
    # Default None: not given (--no-save refuses it), then ecgbeat/pretrained.
    parser.add_argument("--out", help="folder to ship the model to; default: ecgbeat/pretrained")
    parser.add_argument("--no-save", action="store_true", help="evaluate only; ship nothing")
    parser.add_argument(
        "--overwrite", action="store_true", help="replace a model of the same name in --out"
    )
    args = parser.parse_args(argv)

    # A name ecgbeat.pretrained.load finds: a card in its folder (no "/"), not read as a path
    # (".keras"), listed in SHA256SUMS (no space).
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", args.name) or args.name.endswith(".keras"):
        parser.error(
            f"--name {args.name!r}: a model's name is letters, digits, '.', '_' and '-', "
            "starting with a letter or digit, and does not end in '.keras'"
        )
    new_patients = args.recipe.startswith("new-patients")
    zscores = args.recipe == "new-patients-zscores"
    template = zscores or args.recipe == "new-patients-template"
    given = [
        name for name in (*EARLIER_OPTIONS, "max_class_ratio") if getattr(args, name) is not None
    ]
    if new_patients and given:
        options = ", ".join("--" + name.replace("_", "-") for name in given)
        parser.error(
            f"{options}: options of --recipe earlier; --recipe {args.recipe} trains with the "
            "estimator's current defaults"
        )
    for name, default in EARLIER_OPTIONS.items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.no_save:
        # They were accepted and ignored: whoever gave them expected a model to be written.
        ignored = [f"--{name}" for name in ("out", "overwrite") if getattr(args, name)]
        if ignored:
            parser.error(f"{' and '.join(ignored)}: --no-save writes no model")
    out = Path(args.out or REPO / "ecgbeat" / "pretrained")
    if not (args.no_save or args.overwrite):
        for existing in (out / f"{args.name}.keras", out / f"{args.name}.json"):
            if existing.exists():
                parser.error(f"{existing} exists; pass --overwrite to replace it")
    if not args.no_save:
        # Before hours of training: a --out that is a file, or that cannot take one of the three
        # files, failed only when they were written, and the trained model was lost.
        for target in (f"{args.name}.keras", f"{args.name}.json", "SHA256SUMS"):
            try:
                check_writable(out / target, "--out")
            except CommandError as exc:
                parser.error(str(exc))
    if args.split == "all" and not (new_patients and args.twin):
        parser.error("--split all is for --recipe new-patients with a --twin")
    if args.twin and args.split != "all":
        parser.error(
            f"--twin is for --split all (a model with no test part quotes its twin's); "
            f"--split {args.split} measures its own test part"
        )
    if args.split == "all":
        # Its card quotes the twin's DS2 metrics: check them now, not after the training.
        try:
            twin = model_card(args.twin)
        except ValueError as exc:
            parser.error(f"--twin {args.twin!r}: {exc}")
        if twin["data"]["split"] != "inter-patient":
            parser.error(
                f"--twin {args.twin!r} was trained on the split {twin['data']['split']!r}: "
                "the twin is a DS1 model (--split inter-patient), whose DS2 metrics the card quotes"
            )
        # The card says "same recipe": the twin's cut, features, network and class weights.
        theirs = {
            **recipe_of(False, False, False),
            **twin.get("segmentation", {}),
            "architecture": twin.get("architecture"),
            "class_weight": _weighting(twin.get("training", {}).get("class_weight")),
        }
        ours = {
            **recipe_of(new_patients, template, zscores),
            "architecture": args.architecture,
            "class_weight": args.class_weight,
        }
        unlike = [
            f"{key} {theirs.get(key)!r} (here {value!r})"
            for key, value in ours.items()
            if theirs.get(key) != value
        ]
        if unlike:
            parser.error(
                f"--twin {args.twin!r} was trained with another recipe: {', '.join(unlike)}; "
                "the card quotes its DS2 metrics as those of the same recipe"
            )
    # The shipped models' recipe: the estimator's earlier defaults, with every beat unless
    # --max-class-ratio says otherwise, in float32 (they were trained before precision existed;
    # "auto" trains in bfloat16 on a CPU with bfloat16 instructions).
    params = dict(
        EARLIER_DEFAULTS,
        precision="float32",
        architecture=args.architecture,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        max_class_ratio=args.max_class_ratio,
        monitor=args.monitor,
        early_stopping_patience=args.early_stopping_patience,
        lr_decay_patience=args.lr_decay_patience,
        random_state=args.random_state,
        verbose=2,
    )
    if new_patients:
        params = {
            **NEW_PATIENTS["params"],
            **(TEMPLATE_PARAMS if template else {}),
            **(ZSCORE_PARAMS if zscores else {}),
            "architecture": args.architecture,
            "random_state": args.random_state,
            "verbose": 2,
        }
    try:
        # Before the data (the class weights come from them): a value that the estimator
        # refuses (--epochs 0) failed only in fit, after the whole database was read and cut.
        HeartbeatCNNClassifier(**params)._validate_params()
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    cut = {}
    if new_patients:
        cut = {key: NEW_PATIENTS[key] for key in ("refine_radius", "before_r")}
        cut |= {"rhythm": True, "template": template, "zscores": zscores}
    split = None if args.split == "all" else args.split
    data = fetch_mitbih(data_home=args.data_home, split=split, **cut)
    if split is None:
        data.is_test = np.zeros(len(data.target), dtype=bool)
    train, test = ~data.is_test, data.is_test
    class_weight = args.class_weight
    if class_weight == "sqrt-balanced":
        class_weight = sqrt_balanced_class_weight(data.target[train], digits=4)
    params["class_weight"] = class_weight
    clf = HeartbeatCNNClassifier(**params)
    start = time.perf_counter()
    # By patient, not by record: trained on all 48 records, 201 and 202 (one patient) could fall
    # on both sides of the validation split that picks the epoch. The models of 2026-11-29/30
    # (mitbih-rhythm, mitbih-rhythm-template) were trained with data.groups, by record.
    groups = data.patient[train] if new_patients else None
    clf.fit(data.data[train], data.target[train], groups=groups)
    train_seconds = time.perf_counter() - start
    names = list(data.target_names)
    extra = {}
    if split is None:
        metrics = twin["test_metrics"]
        extra["expected_on_new_patients"] = (
            f"the DS2 metrics of its DS1 twin {args.twin!r} (same recipe), below; "
            "at detected R peaks in test_metrics_detected"
        )
        # With how they were measured, where tools.measure_detected measured them again.
        for key in ("test_metrics_detected", "test_metrics_detected_measured"):
            if key in twin:
                extra[key] = twin[key]
    else:
        y_pred = clf.predict(data.data[test])
        metrics = aami_metrics(data.target[test], y_pred, target_names=names)
    if new_patients and split == "inter-patient":
        # The user's path: beats cut at detected peaks; detections of no beat count against
        # the class the model gives them, beats with no detection against their own.
        found = fetch_mitbih(
            data_home=args.data_home, split=split, subset="test", detector="pan-tompkins", **cut
        )
        extra["test_metrics_detected"] = metrics_at_detected_peaks(clf, found, names)

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
        "1.2 x median R-R from each R peak, zero-padded to 187 samples"
        + (
            f"; each R peak first moved to the dominant extremum within "
            f"{NEW_PATIENTS['refine_radius']} s (ecgbeat.qrs.refine_r_peaks), each beat starting "
            f"{NEW_PATIENTS['before_r']} s before its R peak (segment_beats' before_r), and the "
            "7 R-R interval features of ecgbeat.rhythm.rr_features after the beat's 187 samples"
            + (
                ", then the 3 template features of ecgbeat.template.template_features (the beat "
                "against the median of all the beats cut from its record)"
                if template
                else ""
            )
            + (
                ", then the 2 R-R z-scores of ecgbeat.rhythm.rr_zscores (rr_pre and rr_post "
                "against the standard deviation of the record's intervals)"
                if zscores
                else ""
            )
            if new_patients
            else ""
        ),
        "segmentation": recipe_of(new_patients, template, zscores),
        "training": {
            **{k: v for k, v in clf.get_params().items() if k not in ("callbacks", "verbose")},
            # What precision="auto" chose on this machine (bfloat16 on a CPU that has it).
            "precision": clf.precision_,
            # What the validation part that picks the epoch holds out whole (fit's groups):
            # "patient" (data.patient), or None for a stratified split of the beats.
            "validation_groups": "patient" if groups is not None else None,
            "best_epoch": clf.best_epoch_,
            "n_epochs": clf.n_epochs_,
            "train_seconds": round(train_seconds, 1),
        },
        "test_metrics": metrics,
        **extra,
        "attribution": ATTRIBUTION,
        **provenance(__file__, argv),
    }
    if args.no_save:
        print(json.dumps(metrics, indent=1))
        return card
    clf.model_card_ = {k: v for k, v in card.items() if k not in ("file",)}
    card_name = f"{args.name}.json"
    # The weights, the card and the manifest that model_card() checks each card against are
    # all written before any replaces its file: a failure on the way leaves the three as they
    # were, never new weights beside the card of the old ones. They are moved into place as the
    # blocks end, innermost first: the weights, then the card, then the manifest.
    with (
        replacing(out / "SHA256SUMS") as sums_tmp,
        replacing(out / card_name) as card_tmp,
        replacing(out / card["file"], suffix=".keras") as model_tmp,
    ):
        clf.save(model_tmp)
        card["sha256"] = _sha256(model_tmp.read_bytes())
        card_text = (json.dumps(card, indent=1) + "\n").encode()
        card_tmp.write_bytes(card_text)
        sums_tmp.write_text(cards_manifest(out, {card_name: card_text}))
    print(json.dumps(metrics, indent=1))
    return card


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


if __name__ == "__main__":
    main()
