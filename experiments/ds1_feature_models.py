"""Do plain models on the rhythm and template columns find S beats that the CNN misses? DS1 only.

The chosen recipe (``experiments/ds1_selection.py``, ``..._template_loader``) finds 45 % of the
held-out DS1 folds' S beats at a positive predictivity of 21 %. Published inter-patient systems
that find more S beats (de Chazal et al. 2004: about 76 %) are linear models over R-R intervals
and a few shape numbers, weighted for the rare classes. This runs such models on the same
columns the CNN reads after its beat (the 7 R-R and 3 template features of
``fetch_mitbih(rhythm=True, template=True, refine_radius=0.12)``), alone and with the beat
itself coarsened to 24 samples, in the same 4 folds over the DS1 records as
``ds1_selection`` (``StratifiedGroupKFold``, shuffled with seed 0), pooled:

* ``logistic``: standardised columns, ``LogisticRegression(class_weight="balanced")``;
* ``lda``: ``LinearDiscriminantAnalysis`` with equal class priors (de Chazal's weighting);
* ``boosting``: ``HistGradientBoostingClassifier(class_weight="balanced")``.

No DS2 beat is read. Writes ``experiments/results/ds1_feature_models.json``.

Usage::

    python -m experiments.ds1_feature_models [--data-home ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from benchmarks._common import provenance
from ecgbeat.datasets import fetch_mitbih
from experiments.ds1_selection import nsvf_metrics

REPO = Path(__file__).resolve().parents[1]
BEAT_LENGTH = 187


def coarse_beat(X: np.ndarray, points: int = 24) -> np.ndarray:
    """The beat part of each row, averaged over ``points`` equal stretches."""
    beats = X[:, :BEAT_LENGTH]
    edges = np.linspace(0, BEAT_LENGTH, points + 1).round().astype(int)
    return np.add.reduceat(beats, edges[:-1], axis=1) / np.diff(edges)


def models(seed: int) -> dict:
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "logistic": lambda: make_pipeline(
            StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=2000)
        ),
        # Equal priors: each class weighs the same whatever its count, as de Chazal et al.
        # weighted their discriminants.
        "lda": lambda n_classes: LinearDiscriminantAnalysis(
            priors=np.full(n_classes, 1 / n_classes)
        ),
        "boosting": lambda: HistGradientBoostingClassifier(
            class_weight="balanced", random_state=seed
        ),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--records", nargs="+", help="DS1 records (default: all 22)")
    parser.add_argument(
        "--output", default=str(REPO / "experiments/results/ds1_feature_models.json")
    )
    args = parser.parse_args(argv)
    from sklearn.model_selection import StratifiedGroupKFold

    common = {"split": "inter-patient", "subset": "train", "progress": False}
    plain = fetch_mitbih(args.data_home, records=args.records, **common)
    ds1 = fetch_mitbih(
        args.data_home,
        records=args.records,
        refine_radius=0.12,
        rhythm=True,
        template=True,
        **common,
    )
    assert np.array_equal(ds1.groups, plain.groups)
    # The folds of ds1_selection: they depend on the records and classes alone.
    folds = list(
        StratifiedGroupKFold(args.folds, shuffle=True, random_state=args.seed).split(
            plain.data, plain.target, plain.groups
        )
    )
    columns = {
        "features": ds1.data[:, BEAT_LENGTH:],
        "features_and_coarse_beat": np.hstack([ds1.data[:, BEAT_LENGTH:], coarse_beat(ds1.data)]),
    }
    results = {}
    for model_name, make in models(args.seed).items():
        for columns_name, X in columns.items():
            y_pred = np.empty_like(ds1.target)
            start = time.perf_counter()
            for train, test in folds:
                n_classes = np.unique(ds1.target[train]).size
                clf = make(n_classes) if model_name == "lda" else make()
                clf.fit(X[train], ds1.target[train])
                y_pred[test] = clf.predict(X[test])
            name = f"{model_name}_{columns_name}"
            results[name] = {
                "seconds": round(time.perf_counter() - start, 1),
                "pooled": nsvf_metrics(ds1.target, y_pred),
            }
            pooled = results[name]["pooled"]
            print(name, pooled["macro_f1_NSVF"], pooled["Se"], pooled["+P"], flush=True)
    output = {
        "experiment": "plain models on the R-R and template columns, DS1 grouped CV (the folds "
        "of ds1_selection); no DS2 beat is read",
        **provenance(__file__, argv),
        "results": results,
    }
    Path(args.output).write_text(json.dumps(output, indent=1) + "\n")
    return output


if __name__ == "__main__":
    main()
