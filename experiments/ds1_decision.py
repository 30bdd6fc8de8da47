"""Would a decision rule other than the most probable class find more S beats? DS1 only.

The network's probabilities are trained with class weights (the square root of scikit-learn's
"balanced" ones). A per-class offset added to the log-probabilities before the argmax moves the
boundary between the classes further, as a stronger weight would, without training again. This
chooses the offsets of S, V and F (N and Q stay at 0) on the held-out probabilities of DS1's
grouped cross-validation (``python -m experiments.ds1_selection --variants ... --save-proba
DIR``), and estimates honestly what they give: for each fold, the offsets that maximise the
pooled macro-F1 (N, S, V, F) of the *other* three folds are applied to it, and the folds'
predictions are pooled (nested cross-validation). The offsets chosen on all four folds are the
ones a model would ship with. No DS2 beat is read.

Writes ``experiments/results/ds1_decision.json``.

Usage::

    python -m experiments.ds1_decision --proba DIR/<variant>.npz
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np

from benchmarks._common import provenance
from experiments.ds1_selection import nsvf_metrics

REPO = Path(__file__).resolve().parents[1]
#: Offsets tried for each of S, V and F, in natural-log units (0: the plain argmax).
GRID = np.arange(-1.0, 3.01, 0.25)
SCORED = [0, 1, 2, 3]  # N, S, V, F


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean F1 of N, S, V, F over the classes present in ``y_true`` (as nsvf_metrics)."""
    scores = []
    for c in SCORED:
        true, pred = y_true == c, y_pred == c
        if not true.any():
            continue
        tp = np.sum(true & pred)
        scores.append(2 * tp / max(true.sum() + pred.sum(), 1))
    return float(np.mean(scores))


def decide(log_proba: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    return np.argmax(log_proba + offsets, axis=1)


def best_offsets(log_proba: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """The grid's S, V, F offsets with the highest pooled macro-F1 (ties: the smallest)."""
    best, best_score = np.zeros(log_proba.shape[1]), -1.0
    for s, v, f in itertools.product(GRID, GRID, GRID):
        offsets = np.zeros(log_proba.shape[1])
        offsets[1:4] = s, v, f
        score = macro_f1(y, decide(log_proba, offsets))
        if score > best_score + 1e-12:
            best, best_score = offsets, score
    return best, best_score


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proba", required=True, help="an .npz of ds1_selection --save-proba")
    parser.add_argument("--output", default=str(REPO / "experiments/results/ds1_decision.json"))
    args = parser.parse_args(argv)
    saved = np.load(args.proba)
    classes, y, fold = saved["classes"], saved["target"], saved["fold"]
    assert np.array_equal(classes, np.arange(len(classes)))
    log_proba = np.log(np.clip(saved["proba"], 1e-12, None))
    nested = np.empty_like(y)
    per_fold = []
    for k in np.unique(fold):
        inner = fold != k
        offsets, inner_score = best_offsets(log_proba[inner], y[inner])
        nested[~inner] = decide(log_proba[~inner], offsets)
        per_fold.append(
            {
                "fold": int(k),
                "offsets_S_V_F": offsets[1:4].tolist(),
                "inner_macro_f1": round(inner_score, 4),
                "macro_f1_plain": round(macro_f1(y[~inner], np.argmax(log_proba[~inner], 1)), 4),
                "macro_f1_offsets": round(macro_f1(y[~inner], nested[~inner]), 4),
            }
        )
        print(per_fold[-1], flush=True)
    chosen, score_all = best_offsets(log_proba, y)
    output = {
        "experiment": "per-class log-probability offsets chosen on DS1's held-out folds "
        "(nested: each fold scored with offsets chosen on the other three); no DS2 beat",
        **provenance(__file__, argv),
        "grid": GRID.tolist(),
        "plain": nsvf_metrics(y, np.argmax(log_proba, axis=1)),
        "nested": nsvf_metrics(y, nested),
        "folds": per_fold,
        "chosen_on_all_folds": {
            "offsets_S_V_F": chosen[1:4].tolist(),
            "macro_f1_in_sample": round(score_all, 4),
        },
    }
    Path(args.output).write_text(json.dumps(output, indent=1) + "\n")
    return output


if __name__ == "__main__":
    main()
