"""Training variants: how many epochs (and seconds) a changed ecgbeat recipe needs to the target.

A cheaper companion to ``train_speed.py`` for trying ideas: it trains ``HeartbeatCNNClassifier``
only (no baseline), with estimator parameters given as JSON, on the same shuffled MIT-BIH rows,
and logs the test macro-F1 after each epoch (its own time excluded) with ``train_speed.py``'s
callback, and the estimator's ``history_`` (training and validation loss and accuracy).
``--adam-ema M`` trains with Keras' ``Adam(use_ema=True, ema_momentum=M)``, the
average written back into the network at the end of every epoch, which the estimator does not
offer (it is an experiment). ``--cosine-restarts N`` is short for the estimator's parameters
``lr_schedule="cosine_restarts", lr_cycle_epochs=N``: cosine annealing with warm restarts, each
cycle from twice ``learning_rate`` down to 0, the first lasting ``N`` epochs.

Each run is added under ``--name`` to ``experiments/results/training_variants.json``.

``--holdout F`` scores on the last fraction ``F`` of the shuffled training rows instead of the
test part, and trains on the rest: the test part is then never scored (the runs without it
scored the test part after each epoch, and some defaults were chosen on those numbers: see
docs/training.md). The holdout is drawn by beat, not by patient: its beats come from the
patients the fit trains on, as the random split's test part does. It tells how a setting does
on that split without reading its test part; it holds out no patient, so it is not the
validation by patient that a choice needs (``experiments.ds1_selection`` is).

Usage::

    python -m experiments.training_variants --name ema099 --params '{"epochs": 12}' --adam-ema 0.99
    python -m experiments.training_variants --name sgdr16 --params '{"epochs": 48}' --cosine-restarts 16
"""

from __future__ import annotations

import argparse
import functools
import json
import os
from pathlib import Path

import numpy as np

from benchmarks._common import peak_rss_mib, provenance
from benchmarks.train_speed import TARGET_MACRO_F1, final_scores, progress_callback, shuffled_split

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="the key of this run in the results file")
    parser.add_argument("--params", default="{}", help="HeartbeatCNNClassifier parameters, JSON")
    parser.add_argument("--adam-ema", type=float, default=None, metavar="MOMENTUM")
    parser.add_argument("--cosine-restarts", type=int, default=None, metavar="FIRST_CYCLE")
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    parser.add_argument("--quick", action="store_true", help="4 records, for a smoke test")
    parser.add_argument(
        "--holdout",
        type=float,
        default=None,
        metavar="F",
        help="score on this fraction of the training rows (by beat: the training patients' "
        "beats), never on the test part",
    )
    parser.add_argument(
        "--output", default=str(REPO / "experiments/results/training_variants.json")
    )
    args = parser.parse_args(argv)
    params = json.loads(args.params)
    load_at_start = os.getloadavg()

    import keras

    from ecgbeat import HeartbeatCNNClassifier

    X_train, y_train, X_test, y_test = shuffled_split(args.data_home, quick=args.quick)
    if args.holdout is not None:
        # The training rows are shuffled already: their last part is a random holdout.
        n_holdout = round(args.holdout * len(y_train))
        X_test, y_test = X_train[-n_holdout:], y_train[-n_holdout:]
        X_train, y_train = X_train[:-n_holdout], y_train[:-n_holdout]

    params.setdefault("random_state", 0)
    if args.cosine_restarts is not None:
        params.update(lr_schedule="cosine_restarts", lr_cycle_epochs=args.cosine_restarts)
    clf = HeartbeatCNNClassifier(**params)
    from ecgbeat._training import TRAINERS

    adam = keras.optimizers.Adam
    if args.adam_ema is not None:
        # The estimator's trainer builds its optimizer as keras.optimizers.Adam(learning_rate=..),
        # once per pooled trainer: empty the pool before and after, so that only this fit averages.
        batches = int(np.ceil(0.9 * len(y_train) / clf.batch_size))
        keras.optimizers.Adam = functools.partial(
            adam, use_ema=True, ema_momentum=args.adam_ema, ema_overwrite_frequency=batches
        )
        TRAINERS.clear()
    record: dict = {}
    try:
        clf.set_params(callbacks=[progress_callback(X_test, y_test, record)])
        clf.fit(X_train, y_train)
    finally:
        if args.adam_ema is not None:
            keras.optimizers.Adam = adam
            TRAINERS.clear()
    y_pred = clf.predict(X_test)
    reached = next((e for e in record["epochs"] if e["test_macro_f1"] >= TARGET_MACRO_F1), None)
    run = {
        "params": json.loads(args.params),
        "scored_on": (
            f"holdout: the last {args.holdout:g} of the shuffled training rows"
            if args.holdout is not None
            else "the test part of the random split"
        ),
        "adam_ema_momentum": args.adam_ema,
        "cosine_restarts_first_cycle": args.cosine_restarts,
        "learning_rates": clf.history_["learning_rate"],
        # The validation scores that chose the weights kept, beside the test scores per epoch.
        "history": {
            key: [round(value, 5) for value in values]
            for key, values in clf.history_.items()
            if key != "learning_rate"
        },
        "epoch_reaching_target": reached["epoch"] if reached else None,
        "seconds_to_target": reached["train_seconds"] if reached else None,
        "final": {**final_scores(y_test, y_pred), "best_epoch": int(clf.best_epoch_)},
        "per_epoch": record["epochs"],
        "peak_rss_mib": peak_rss_mib(),
        "load_average_at_start": load_at_start,
        **provenance(__file__, argv),
    }
    if not args.quick:
        output = Path(args.output)
        runs = json.loads(output.read_text()) if output.exists() else {}
        runs[args.name] = run
        output.write_text(json.dumps(runs, indent=1) + "\n")
    print(json.dumps(run, indent=1))
    return run


if __name__ == "__main__":
    main()
