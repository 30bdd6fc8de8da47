"""Training speed: time until the test macro-F1 first reaches the reference result, ours vs baseline.

Same data (MIT-BIH, Kaggle-style random split rebuilt from raw), same machine, same run:

* ``baseline``: the reference recipe written plainly in Keras: the reference CNN (``"valid"``
  padding, as published), Adam 1e-3, batch 32, ``validation_split=0.1``, early stopping
  (patience 5) and learning-rate decay (patience 3) on validation accuracy;
* ``ecgbeat``: ``HeartbeatCNNClassifier()`` with its default settings, ``epochs`` included
  (``precision="auto"``: bfloat16 arithmetic on CPUs that have it); with ``--with-float32`` also
  ``precision="float32"``, with ``--with-earlier-defaults`` also the estimator's training
  defaults before 2026-11-26 (decay on plateau, every beat, dropout 0.1), to show what each
  changes. ``--max-epochs`` caps the baseline and these comparison runs.

After every epoch a callback measures the test macro-F1; its own time is excluded from the
training clock. Reports the wall time until macro-F1 >= 0.915 (the reference project's number),
the final accuracy and macro-F1, throughput (beats/s) and peak memory, and writes
``benchmarks/results/train_speed.json``.

Usage::

    python -m benchmarks.train_speed [--data-home ../shared/data] [--max-epochs 40]
    python -m benchmarks.train_speed --quick     # smoke test: a few records, 1 epoch
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from benchmarks._common import peak_rss_mib, provenance
from ecgbeat.classifier import EARLIER_DEFAULTS

REPO = Path(__file__).resolve().parents[1]

TARGET_MACRO_F1 = 0.915


def reference_model(n_samples: int, n_classes: int):
    """The reference project's network, exactly as published (valid padding)."""
    import keras
    from keras import layers

    inputs = keras.Input((n_samples, 1))
    x = inputs
    for filters, kernel in [(16, 5), (32, 3), (32, 3)]:
        x = layers.Conv1D(filters, kernel, activation="relu", padding="valid")(x)
        x = layers.Conv1D(filters, kernel, activation="relu", padding="valid")(x)
        x = layers.MaxPool1D(2)(x)
        x = layers.Dropout(0.1)(x)
    x = layers.Conv1D(256, 3, activation="relu", padding="valid")(x)
    x = layers.Conv1D(256, 3, activation="relu", padding="valid")(x)
    x = layers.GlobalMaxPool1D()(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(n_classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def reference_callbacks():
    """The reference recipe's callbacks: early stopping (patience 5) and decay (patience 3) on
    validation accuracy, the best weights restored."""
    import keras

    return [
        keras.callbacks.EarlyStopping(
            monitor="val_accuracy", mode="max", patience=5, restore_best_weights=True
        ),
        keras.callbacks.ReduceLROnPlateau(monitor="val_accuracy", mode="max", patience=3),
    ]


def shuffled_split(data_home: str, quick: bool = False):
    """``X_train, y_train, X_test, y_test`` of the MIT-BIH random split, training rows shuffled.

    ``quick`` builds 4 records only, for smoke tests: records whose training part holds at least
    two beats of every class, so that the estimator can hold out a stratified validation split;
    of their training beats it keeps at most 600 N beats and 150 of each other class, so that
    N, over three times the median class count, is still undersampled by the defaults.
    """
    from ecgbeat.datasets import fetch_mitbih

    records = ["100", "105", "119", "208"] if quick else None
    data = fetch_mitbih(data_home=data_home, split="random", records=records)
    X_train, y_train = data.data[~data.is_test], data.target[~data.is_test]
    # The beats come ordered by record, and Keras' validation_split takes the last 10 %: the
    # reference project shuffled its training rows first (df.sample(frac=1)), so both runs get
    # the same shuffled rows, as any user of the recipe would.
    order = np.random.default_rng(0).permutation(len(y_train))
    if quick:
        kept = np.zeros(order.size, dtype=bool)
        for label in np.unique(y_train):
            kept[np.flatnonzero(y_train[order] == label)[: 600 if label == 0 else 150]] = True
        order = order[kept]
    X_test, y_test = data.data[data.is_test], data.target[data.is_test]
    return X_train[order], y_train[order], X_test, y_test


def final_scores(y_test, y_pred) -> dict:
    """Accuracy and macro-F1 on the test beats, rounded as the results files record them."""
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "accuracy": round(float(accuracy_score(y_test, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_test, y_pred, average="macro")), 4),
    }


def progress_callback(X_test, y_test, record: dict):
    """A Keras callback that logs test macro-F1 and accuracy per epoch against training time only."""
    import keras

    class Progress(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            record.update(epochs=[], start=time.perf_counter(), excluded=0.0)

        def on_epoch_end(self, epoch, logs=None):
            pause = time.perf_counter()
            y_pred = np.argmax(self.model.predict(X_test, batch_size=4096, verbose=0), axis=1)
            scores = final_scores(y_test, y_pred)
            record["epochs"].append(
                {
                    "epoch": epoch + 1,
                    "train_seconds": round(pause - record["start"] - record["excluded"], 1),
                    "test_macro_f1": scores["macro_f1"],
                    "test_accuracy": scores["accuracy"],
                }
            )
            record["excluded"] += time.perf_counter() - pause

    return Progress()


def summarise(record: dict, beats_per_epoch: int, final: dict) -> dict:
    reached = next((e for e in record["epochs"] if e["test_macro_f1"] >= TARGET_MACRO_F1), None)
    total = record["epochs"][-1]["train_seconds"] if record["epochs"] else float("nan")
    return {
        "seconds_to_target": reached["train_seconds"] if reached else None,
        "epoch_reaching_target": reached["epoch"] if reached else None,
        "total_train_seconds": total,
        "epochs_run": len(record["epochs"]),
        "beats_per_epoch": beats_per_epoch,
        "train_beats_per_second": (
            round(beats_per_epoch * len(record["epochs"]) / total) if total else None
        ),
        "final": final,
        "per_epoch": record["epochs"],
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    parser.add_argument("--max-epochs", type=int, default=40)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--with-float32",
        action="store_true",
        help="also train ecgbeat with precision='float32', to show what bfloat16 contributes",
    )
    parser.add_argument(
        "--with-earlier-defaults",
        action="store_true",
        help="also train ecgbeat with its training defaults before 2026-11-26 (plateau decay, "
        "every beat, dropout 0.1), to show what the current defaults change",
    )
    parser.add_argument("--output", default=str(REPO / "benchmarks/results/train_speed.json"))
    args = parser.parse_args(argv)
    load_at_start = os.getloadavg()  # other processes on the cores make both runs slower

    from ecgbeat import HeartbeatCNNClassifier

    X_train, y_train, X_test, y_test = shuffled_split(args.data_home, quick=args.quick)
    epochs = 1 if args.quick else args.max_epochs

    results = {}
    baseline_record: dict = {}
    model = reference_model(X_train.shape[1], 5)
    model.fit(
        X_train[:, :, None],
        y_train,
        batch_size=32,
        epochs=epochs,
        validation_split=0.1,
        verbose=0,
        callbacks=[
            *reference_callbacks(),
            progress_callback(X_test[:, :, None], y_test, baseline_record),
        ],
    )
    y_pred = np.argmax(model.predict(X_test[:, :, None], verbose=0), axis=1)
    # Keras' validation_split trains on the first 90 % of the rows.
    n_fit = int(len(X_train) * 0.9)
    results["baseline"] = summarise(baseline_record, n_fit, final_scores(y_test, y_pred))
    results["baseline"]["peak_rss_mib_so_far"] = peak_rss_mib()
    print(
        "baseline", {k: v for k, v in results["baseline"].items() if k != "per_epoch"}, flush=True
    )

    # "Default settings" include the number of epochs: only the comparison runs are capped.
    runs = {"ecgbeat": {"epochs": 1} if args.quick else {}}
    if args.with_float32:
        runs["ecgbeat_float32"] = {"precision": "float32", "epochs": epochs}
    if args.with_earlier_defaults:
        runs["ecgbeat_earlier_defaults"] = {**EARLIER_DEFAULTS, "epochs": epochs}
    for name, params in runs.items():
        ours_record: dict = {}
        clf = HeartbeatCNNClassifier(
            random_state=0,
            callbacks=[progress_callback(X_test, y_test, ours_record)],
            **params,
        ).fit(X_train, y_train)
        # Beats per epoch: each class's share of the stratified 90 % times its sampling rate.
        per_class = np.unique(y_train, return_counts=True)[1] * 0.9
        drawn = int(np.round(per_class * clf.sampling_rates_).sum())
        results[name] = summarise(ours_record, drawn, final_scores(y_test, clf.predict(X_test)))
        results[name]["precision"] = clf.precision_
        results[name]["sampling_rates"] = [round(float(r), 4) for r in clf.sampling_rates_]
        results[name]["settings"] = {
            key: clf.get_params()[key]
            for key in ("epochs", "lr_schedule", "lr_cycle_epochs", "max_class_ratio", "dropout")
        }
        results[name]["best_epoch"] = clf.best_epoch_
        results[name]["peak_rss_mib_so_far"] = peak_rss_mib()
        print(name, {k: v for k, v in results[name].items() if k != "per_epoch"}, flush=True)

    base, ours = results["baseline"]["seconds_to_target"], results["ecgbeat"]["seconds_to_target"]
    output = {
        "benchmark": f"training time until test macro-F1 >= {TARGET_MACRO_F1}, same data and run",
        "target_macro_f1": TARGET_MACRO_F1,
        "speedup_to_target": round(base / ours, 2) if base and ours else None,
        "results": results,
        "peak_rss_mib": peak_rss_mib(),
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg(),
        **provenance(__file__, argv),
    }
    if not args.quick:
        Path(args.output).write_text(json.dumps(output, indent=1) + "\n")
    print(json.dumps({k: v for k, v in output.items() if k != "results"}, indent=1))
    return output


if __name__ == "__main__":
    main()
