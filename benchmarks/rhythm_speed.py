"""Prediction speed of the rhythm-aware networks against the beats-only one, same rows, same run.

``mitbih-ds1-rhythm`` reads 194 columns (the beat and 7 R-R features, split inside the network by
two cropping layers and joined before the dense head), ``mitbih-ds1-rhythm-template`` 197 (3
template features more); ``mitbih-ds1`` reads the 187-sample beat. All ``predict_proba`` the same
100,000 beats (random beats in [0, 1] with plausible features; speed does not depend on the
values), best of ``--repeat`` runs, alternating them. The template features' own cost is timed
too: ``ecgbeat.template.template_features`` on the 100,000 beats as 48 recordings.

With ``--train``, training time too: the new-patients recipe of ``tools.train_pretrained`` with
the R-R features (``mitbih-ds1-rhythm``'s) and with the template features
(``mitbih-ds1-rhythm-template``'s), each fitted on DS1 in this run, one after the other, with the
same seed; loading the beats is not timed.

Writes ``benchmarks/results/rhythm_speed.json``, or the file that ``--output`` names.

Usage::

    python -m benchmarks.rhythm_speed [--beats 100000] [--repeat 3] [--train] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from benchmarks._common import best_seconds, provenance
from ecgbeat import HeartbeatCNNClassifier
from ecgbeat.template import N_TEMPLATE_FEATURES, template_features

REPO = Path(__file__).resolve().parents[1]
RESULT = REPO / "benchmarks" / "results" / "rhythm_speed.json"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beats", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--train", action="store_true", help="time the two recipes' fits on DS1")
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    parser.add_argument("--output", type=Path, default=RESULT)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    beats = rng.random((args.beats, 187), dtype=np.float32)
    rr = rng.uniform(0.5, 1.5, (args.beats, 7)).astype(np.float32)
    records = np.arange(args.beats) * 48 // args.beats
    template = template_features(beats, records)
    models = {
        "mitbih-ds1": (HeartbeatCNNClassifier.from_pretrained("mitbih-ds1"), beats),
        "mitbih-ds1-rhythm": (
            HeartbeatCNNClassifier.from_pretrained("mitbih-ds1-rhythm"),
            np.hstack([beats, rr]),
        ),
        "mitbih-ds1-rhythm-template": (
            HeartbeatCNNClassifier.from_pretrained("mitbih-ds1-rhythm-template"),
            np.hstack([beats, rr, template]),
        ),
    }
    for clf, X in models.values():
        clf.predict_proba(X[:5000])  # warm up
    seconds = dict.fromkeys(models, float("inf"))
    for _ in range(args.repeat):
        for name, (clf, X) in models.items():
            seconds[name] = min(seconds[name], best_seconds(lambda c=clf, x=X: c.predict_proba(x)))
    results = {
        name: {"seconds": round(s, 3), "beats_per_second": round(args.beats / s)}
        for name, s in seconds.items()
    }
    results["rhythm_over_beats_time_ratio"] = round(
        seconds["mitbih-ds1-rhythm"] / seconds["mitbih-ds1"], 3
    )
    results["template_over_rhythm_time_ratio"] = round(
        seconds["mitbih-ds1-rhythm-template"] / seconds["mitbih-ds1-rhythm"], 3
    )
    results["template_features_seconds"] = round(
        best_seconds(lambda: template_features(beats, records)), 3
    )
    if args.train:
        results["training"] = train_seconds(args.data_home)
    output = {
        "benchmark": f"predict_proba on {args.beats} rows, best of {args.repeat}, same run",
        **provenance(__file__, argv),
        "results": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(output, indent=1) + "\n")
    print(json.dumps(results, indent=1))
    return output


def train_seconds(data_home: str) -> dict:
    """Fit the R-R and the R-R + template new-patients recipes on DS1, same run; seconds each."""
    from benchmarks._common import sqrt_balanced_class_weight
    from ecgbeat.datasets import fetch_mitbih
    from tools.train_pretrained import NEW_PATIENTS, TEMPLATE_PARAMS

    cut = {key: NEW_PATIENTS[key] for key in ("refine_radius", "before_r")}
    data = fetch_mitbih(
        data_home, split="inter-patient", subset="train", rhythm=True, template=True, **cut
    )
    weights = sqrt_balanced_class_weight(data.target, digits=4)
    recipes = {
        "rhythm": (data.data[:, :-N_TEMPLATE_FEATURES], NEW_PATIENTS["params"]),
        "rhythm_template": (data.data, {**NEW_PATIENTS["params"], **TEMPLATE_PARAMS}),
    }
    out = {}
    for name, (X, params) in recipes.items():
        clf = HeartbeatCNNClassifier(**params, class_weight=weights, random_state=0)
        start = time.perf_counter()
        clf.fit(X, data.target, groups=data.groups)
        out[name] = {"seconds": round(time.perf_counter() - start, 1), "n_epochs": clf.n_epochs_}
        print(name, out[name], flush=True)
    out["template_over_rhythm_time_ratio"] = round(
        out["rhythm_template"]["seconds"] / out["rhythm"]["seconds"], 3
    )
    return out


if __name__ == "__main__":
    main()
