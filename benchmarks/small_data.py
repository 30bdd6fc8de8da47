"""Small data: the estimator's defaults against the reference recipe, on patients never trained on.

A user fits ``HeartbeatCNNClassifier()`` on a few hundred beats of their own. This script asks, at
100, 300, 1,000 and 3,000 training beats and for several label sets, whether the defaults learn
at least as well as the reference recipe written plainly in Keras (the reference CNN, Adam 1e-3,
batch 32, ``validation_split=0.1``, early stopping with patience 5 and learning-rate decay with
patience 3 on validation accuracy, at most 200 epochs), in the same run, on the same beats.

Tasks (``TASKS``): MIT-BIH beats (lead MLII, annotated R peaks) with the labels

* ``aami5-int``: the 5 AAMI classes as integers 0..4;
* ``binary-str``: ``"normal"`` (N) and ``"abnormal"`` (S, V, F, Q), as strings;
* ``nsv3-float``: N, S and V as floats 0.0, 1.0, 2.0 (F and Q beats left out);

each at every size, plus ``ptbdb-leads``: the PTB fixture record (1000 Hz, another device) cut by
``fetch_ptbdb`` from four leads, the lead being the label (series that are not MIT-BIH beats;
one patient, so training takes the first 60 % of the recording and testing the rest). That task
is the same in both modes below: in report mode its row repeats what select mode chose on, and
only the MIT-BIH tasks are scored on patients that guided no choice.

Training beats are drawn from some patients and all the beats of other patients are the test set
(grouped by patient, as a new patient meets the model). The draw is stratified: each class at its
share among the training patients' beats (2 beats at least), so that training and test beats have
about the same class mix and accuracy compares fairly with predicting the majority class. Each
task runs with ``--seeds`` seeds (the draw and the fits).

Two modes, so that test patients never guide a choice:

``--mode select``
    Training beats from half of the DS1 records, scored on the other half (DS1 only). Every
    default chosen for small data is chosen here. ``--params`` (JSON) changes the estimator's
    settings in the defaults row, to compare candidates (``--min-epoch-steps N`` is
    ``{"min_steps_per_epoch": N}``).
``--mode report``
    Training beats from DS1, scored on DS2 but record 202 (its patient is that of DS1's record
    201, which de Chazal's split keeps on the other side:
    :data:`ecgbeat.datasets.MITBIH_SAME_PATIENT`): run once, on the
    finished defaults, for the committed table. Also reports the reference project's transfer
    table on the same draws: ``freeze_conv=True`` and a full fine-tune, both from the shipped
    ``"mitbih-ds1"`` model (trained on DS1 only, 201 included). The fine-tune is the estimator's
    default (every layer from the start); the row ``fine_tune_head_first``
    (``train_head_first=True``: the head on frozen convolutions, then every layer at a tenth of
    the rate) runs only when ``--rows`` names it.

In ``select`` mode the transfer rows start from a model fitted here on the training half of DS1
(as ``mitbih-ds1`` was fitted on all of DS1), so that transfer settings are chosen without DS2.
``--base-recipe`` says how that start model is fitted (``fit_base_model``), in report mode too,
where it is then fitted on all of DS1 in place of the shipped ``mitbih-ds1``.

Each row reports accuracy and macro-F1 (over the classes present in the test beats), mean and
minimum over the seeds, and how many fits predicted one class for every test beat. Writes
``benchmarks/results/small_data_<mode>.json`` (select mode: under the candidate's ``--name``,
beside the candidates already there).

Usage::

    python -m benchmarks.small_data --mode select [--params '{"epochs": 48}'] [--seeds 3]
    python -m benchmarks.small_data --mode select --rows freeze_conv fine_tune \
        --transfer-params '{"learning_rate": 0.0001}' --name transfer_lr1e-4
    python -m benchmarks.small_data --mode report
    python -m benchmarks.small_data --quick        # smoke test: one size, one seed, tiny fits
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from benchmarks._common import provenance, sqrt_balanced_class_weight
from benchmarks.train_speed import reference_callbacks, reference_model
from ecgbeat import HeartbeatCNNClassifier
from ecgbeat.datasets import (
    MITBIH_DS1,
    MITBIH_DS2,
    MITBIH_SAME_PATIENT,
    fetch_mitbih,
    fetch_ptbdb,
)

REPO = Path(__file__).resolve().parents[1]

SIZES = (100, 300, 1000, 3000)
LABEL_SETS = ("aami5-int", "binary-str", "nsv3-float")
PTB_LEADS = ("i", "ii", "v1", "v6")
#: Each class keeps at least this many beats in a draw (scikit-learn's stratified splits need 2).
MIN_CLASS_BEATS = 2


def relabel(target: np.ndarray, label_set: str) -> tuple[np.ndarray, np.ndarray]:
    """Labels of ``label_set`` for AAMI codes ``target`` (0..4), and which beats the set keeps."""
    if label_set == "aami5-int":
        return target.astype(np.int64), np.ones(target.size, dtype=bool)
    if label_set == "binary-str":
        return np.where(target == 0, "normal", "abnormal"), np.ones(target.size, dtype=bool)
    if label_set == "nsv3-float":
        return target.astype(np.float64), target <= 2
    raise ValueError(f"unknown label set {label_set!r}")


def draw(y: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Row indices of a stratified draw of ``size`` beats: each class at its share of ``y``
    (``MIN_CLASS_BEATS`` at least, where there are that many), the largest class filling the
    rest: a small data set with the class mix of the patients it comes from."""
    classes, counts = np.unique(y, return_counts=True)
    quota = np.minimum(
        counts, np.maximum(MIN_CLASS_BEATS, np.round(size * counts / counts.sum()))
    ).astype(int)
    largest = np.argmax(counts)
    quota[largest] = min(counts[largest], size - (quota.sum() - quota[largest]))
    rows = [
        rng.choice(np.flatnonzero(y == c), q, replace=False)
        for c, q in zip(classes, quota, strict=True)
    ]
    return rng.permutation(np.concatenate(rows))


def scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """Accuracy, macro-F1 over the classes in ``y_true``, and whether one class was predicted."""
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=np.unique(y_true), average="macro")),
        "single_class": bool(np.unique(y_pred).size == 1),
    }


def fit_reference(X, y, seed: int, max_epochs: int):
    """The reference recipe in plain Keras; returns a predict function on labels of ``y``.

    Seeded with ``keras.utils.set_random_seed``, which sets the process's global seeds (Python,
    NumPy, TensorFlow): run this script as a program, not inside another one's process.
    """
    import keras

    keras.utils.set_random_seed(seed)
    classes = np.unique(y)
    codes = np.searchsorted(classes, y)
    model = reference_model(X.shape[1], classes.size)
    model.fit(
        X[:, :, None],
        codes,
        batch_size=32,
        epochs=max_epochs,
        validation_split=0.1,
        verbose=0,
        callbacks=reference_callbacks(),
    )
    return lambda X_test: classes[np.argmax(model.predict(X_test[:, :, None], verbose=0), 1)]


def split_records(mode: str, quick: bool = False) -> tuple[list[str], list[str]]:
    """The training patients and the test patients of ``mode`` (``quick``: two and two)."""
    ds1 = sorted(MITBIH_DS1)
    if quick:
        return ["201", "208"], ["203", "209"]
    if mode == "select":
        return ds1[::2], ds1[1::2]
    # Until 2026-12-02 the test records were all of DS2, 202 among them (see MITBIH_SAME_PATIENT).
    return ds1, [
        record for record in sorted(MITBIH_DS2) if MITBIH_SAME_PATIENT.get(record) not in ds1
    ]


def mitbih_tasks(data_home: str, records: tuple[list[str], list[str]], sizes, label_sets):
    """``(name, size, (X_pool, y_pool), (X_test, y_test))`` for each MIT-BIH task."""
    train_records, test_records = records
    data = fetch_mitbih(data_home, records=train_records + test_records)
    in_train = np.isin(data.groups, train_records)
    in_test = np.isin(data.groups, test_records)
    for label_set in label_sets:
        labels, kept = relabel(data.target, label_set)
        for size in sizes:
            yield (
                f"{label_set}-{size}",
                size,
                (data.data[in_train & kept], labels[in_train & kept]),
                (data.data[in_test & kept], labels[in_test & kept]),
            )


def ptb_task(data_home: str):
    """The PTB fixture's beats from four leads, labelled by lead: earlier 60 % / later 40 %."""
    X_parts, y_parts, t_parts = [], [], []
    for lead in PTB_LEADS:
        bunch = fetch_ptbdb(data_home, lead=lead, download_if_missing=False, progress=False)
        X_parts.append(bunch.data)
        y_parts.append(np.full(len(bunch.data), lead))
        t_parts.append(bunch.r_peaks)
    X, y, t = np.concatenate(X_parts), np.concatenate(y_parts), np.concatenate(t_parts)
    early = t < np.quantile(t, 0.6)
    return ("ptbdb-leads", int(early.sum()), (X[early], y[early]), (X[~early], y[~early]))


def run_row(make, X, y, X_test, y_test) -> dict:
    start = time.perf_counter()
    predict = make(X, y)
    result = scores(y_test, predict(X_test))
    result["seconds"] = round(time.perf_counter() - start, 1)
    return result


def summarise(runs: list[dict]) -> dict:
    return {
        "accuracy_mean": round(float(np.mean([r["accuracy"] for r in runs])), 4),
        "accuracy_min": round(float(np.min([r["accuracy"] for r in runs])), 4),
        "macro_f1_mean": round(float(np.mean([r["macro_f1"] for r in runs])), 4),
        "macro_f1_min": round(float(np.min([r["macro_f1"] for r in runs])), 4),
        "single_class_fits": int(sum(r["single_class"] for r in runs)),
        "seconds_mean": round(float(np.mean([r["seconds"] for r in runs])), 1),
    }


def fit_base_model(data, path: Path, quick: bool, recipe: str = "today") -> str:
    """A 5-class model fitted on the training records (``data``), saved to ``path``.

    ``recipe``: ``"today"``, 16 epochs of the defaults; ``"new-patients"``, the estimator's
    settings for new patients on beats alone: every default (48 epochs), the validation split
    by record, ``augmentation="ecg"`` and square-root-balanced class weights.
    """
    # A smoke run's start: one pass over its beats, not the 32 steps an epoch that learn.
    smoke = {"epochs": 1, "min_steps_per_epoch": 1} if quick else {}
    if recipe == "today":
        clf = HeartbeatCNNClassifier(random_state=0, **(smoke or {"epochs": 16}))
        clf.fit(data.data, data.target)
    else:
        clf = HeartbeatCNNClassifier(
            augmentation="ecg",
            class_weight=sqrt_balanced_class_weight(data.target),
            random_state=0,
            **smoke,
        )
        clf.fit(data.data, data.target, groups=data.groups)
    clf.save(path)
    return str(path)


#: The rows that ``--rows`` can name (``fine_tune_head_first`` runs only when named).
ROWS = ("reference", "defaults", "freeze_conv", "fine_tune", "fine_tune_head_first")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-home", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--mode", choices=["select", "report"], default="select")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--params", default="{}", help="estimator settings (JSON) for the defaults row"
    )
    parser.add_argument("--min-epoch-steps", type=int, default=None)
    parser.add_argument("--reference-epochs", type=int, default=200)
    parser.add_argument("--sizes", nargs="*", type=int, default=list(SIZES))
    parser.add_argument("--tasks", nargs="*", default=None, help="only these task names")
    parser.add_argument("--no-transfer", action="store_true")
    parser.add_argument(
        "--transfer-params",
        default="{}",
        help="estimator settings (JSON) for the two transfer rows, to compare candidates",
    )
    parser.add_argument(
        "--rows",
        nargs="*",
        default=None,
        # Named rows only: an unknown name (a row since renamed) was skipped without a word.
        choices=ROWS,
        help=f"only these rows ({', '.join(ROWS)})",
    )
    parser.add_argument(
        "--base-recipe",
        choices=["today", "new-patients"],
        default=None,
        help="fit the transfer rows' start model here, on the training records, this way "
        "(fit_base_model); default: 'today' in select mode, the shipped 'mitbih-ds1' in "
        "report mode",
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", default=None)
    parser.add_argument("--name", default="defaults", help="the candidate's key (select mode)")
    args = parser.parse_args(argv)
    params = json.loads(args.params)
    if args.min_epoch_steps is not None:
        params["min_steps_per_epoch"] = args.min_epoch_steps
    # A smoke test: two epochs of one step each (the default's 32 steps an epoch is for
    # learning, which a smoke test does not measure).
    quick_fit = {"epochs": 2, "min_steps_per_epoch": 1} if args.quick else {}
    params = {**quick_fit, **params}
    if args.quick:
        sizes, label_sets, seeds, ref_epochs = (100,), ("binary-str",), 1, 2
    else:
        sizes, label_sets, seeds, ref_epochs = (
            args.sizes,
            LABEL_SETS,
            args.seeds,
            args.reference_epochs,
        )

    records = split_records(args.mode, args.quick)
    tasks = list(mitbih_tasks(args.data_home, records, sizes, label_sets))
    tasks.append(ptb_task(args.data_home))
    if args.tasks:
        tasks = [task for task in tasks if task[0] in args.tasks]

    transfer_from = base = None
    tmp = tempfile.TemporaryDirectory()
    if not args.no_transfer:
        if args.mode == "report" and args.base_recipe is None:
            transfer_from = base = "mitbih-ds1"
        else:
            recipe = args.base_recipe or "today"
            data = fetch_mitbih(args.data_home, records=records[0])
            if args.quick:  # a start to transfer from, not a good one: 500 beats
                rows_drawn = np.sort(draw(data.target, 500, np.random.default_rng(0)))
                data = Bunch(**{key: data[key][rows_drawn] for key in ("data", "target", "groups")})
            transfer_from = fit_base_model(data, Path(tmp.name) / "base.keras", args.quick, recipe)
            base = f"fitted on the training records ({recipe})"
    transfer_params = {**quick_fit, **json.loads(args.transfer_params)}

    rows = {
        "reference": lambda s: lambda X, y: fit_reference(X, y, s, ref_epochs),
        "defaults": lambda s: (
            lambda X, y: HeartbeatCNNClassifier(random_state=s, **params).fit(X, y).predict
        ),
    }
    if transfer_from is not None:
        rows["freeze_conv"] = lambda s: (
            lambda X, y: (
                HeartbeatCNNClassifier(
                    pretrained=transfer_from, freeze_conv=True, random_state=s, **transfer_params
                )
                .fit(X, y)
                .predict
            )
        )
        rows["fine_tune"] = lambda s: (
            lambda X, y: (
                HeartbeatCNNClassifier(pretrained=transfer_from, random_state=s, **transfer_params)
                .fit(X, y)
                .predict
            )
        )
        rows["fine_tune_head_first"] = lambda s: (
            lambda X, y: (
                HeartbeatCNNClassifier(
                    pretrained=transfer_from,
                    train_head_first=True,
                    random_state=s,
                    **transfer_params,
                )
                .fit(X, y)
                .predict
            )
        )

    if args.rows:
        rows = {name: make for name, make in rows.items() if name in args.rows}
    else:
        rows.pop("fine_tune_head_first", None)
    results = {}
    for name, size, (X_pool, y_pool), (X_test, y_test) in tasks:
        runs: dict[str, list] = {row: [] for row in rows}
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            rows_drawn = draw(y_pool, size, rng) if name != "ptbdb-leads" else np.arange(size)
            X, y = X_pool[rows_drawn], y_pool[rows_drawn]
            for row, make in rows.items():
                runs[row].append(run_row(make(seed), X, y, X_test, y_test))
        results[name] = {
            "train_beats": int(size),
            "train_classes": {
                str(c): int(n) for c, n in zip(*np.unique(y, return_counts=True), strict=True)
            },
            "test_beats": len(y_test),
            **{row: summarise(r) for row, r in runs.items()},
        }
        print(name, json.dumps({row: results[name][row] for row in rows}), flush=True)

    output = {
        "benchmark": "small data: defaults vs the reference recipe (and transfer), new patients",
        "mode": args.mode,
        "params": params,
        "transfer_params": transfer_params,
        "training_records": records[0],
        "test_records": records[1],
        "transfer_from": base,
        "seeds": seeds,
        "results": results,
        **provenance(__file__, argv),
    }
    if not args.quick or args.output:
        path = Path(args.output or REPO / "benchmarks" / "results" / f"small_data_{args.mode}.json")
        if args.mode == "select":
            # Candidates accumulate, each under its --name; a rerun replaces its own entry.
            document = json.loads(path.read_text()) if path.exists() else {"runs": {}}
            document["runs"][args.name] = output
            path.write_text(json.dumps(document, indent=1) + "\n")
        else:
            path.write_text(json.dumps(output, indent=1) + "\n")
    return output


if __name__ == "__main__":
    main()
