"""The signal path before the network, and the stream's compute per hop, against another checkout.

What ``ecgbeat predict`` and :class:`ecgbeat.streaming.StreamClassifier` do to the signal before
a beat reaches the network: read the record, find its R peaks with the detector's quality check
(:func:`ecgbeat.qrs.pan_tompkins_marked`), cut and refine the beats and add their R-R and
template columns (:func:`ecgbeat.beats.cut_beats`, :func:`ecgbeat.beats.feature_rows`), timed
per step over every record; and the stream's compute per half-second hop that returns a beat
(record 101, the first ``--stream-minutes``, the network in ONNX Runtime when it is installed,
as ``benchmarks.streaming --low-latency`` times it).

With ``--against PATH`` (a checkout of an earlier commit, e.g. ``git worktree add /tmp/before
HEAD~5``) the same measurements run on that checkout's ``ecgbeat`` too, in the same run,
alternating, each in its own process; every figure is the best of ``--rounds``. Timings on one
machine vary from day to day: the ratio between the two checkouts in one run is the figure to
compare. The results also say whether both gave the same R peaks, quality marks and rows
(every record), and the same stream tables (samples, classes and probabilities; record 101
always, whatever ``--records``).

Usage::

    python -m benchmarks.signal_path [--against PATH] [--records 100 101 ...] [--rounds 2]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def _digest(*arrays) -> str:
    """A short fingerprint of arrays' values: equal fingerprints, equal results."""
    h = hashlib.sha256()
    for array in arrays:
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()[:16]


def measure(data_home: str, records: list[str], stream_minutes: float) -> dict:
    """The timings of the ``ecgbeat`` this process imports (run in a worker process)."""
    from ecgbeat.beats import cut_beats, feature_rows
    from ecgbeat.datasets import read_lead
    from ecgbeat.qrs import pan_tompkins_marked
    from ecgbeat.records import DEFAULT_MODEL, beat_cutting, fitted_classifier
    from ecgbeat.streaming import StreamClassifier

    folder = Path(data_home) / "mitdb"
    clf = fitted_classifier(DEFAULT_MODEL)
    cut = beat_cutting(clf)
    layout = {key: cut.pop(key) for key in ("rhythm", "template", "zscores")}
    # Once before the clock: the first read imports wfdb, the first cut designs the filters.
    signal, fs, _, _ = read_lead(folder / records[0], ("MLII", "V5"), records[0])
    cut_beats(signal[: round(60 * fs)], fs, pan_tompkins_marked(signal[: round(60 * fs)], fs)[0])
    steps = {"read": 0.0, "detect_and_quality": 0.0, "cut_and_columns": 0.0}
    digests = []
    for record in records:
        start = time.perf_counter()
        signal, fs, _, _ = read_lead(folder / record, ("MLII", "V5"), record)
        steps["read"] += time.perf_counter() - start
        start = time.perf_counter()
        peaks, marks = pan_tompkins_marked(signal, fs)
        steps["detect_and_quality"] += time.perf_counter() - start
        start = time.perf_counter()
        segments, rr = cut_beats(signal, fs, peaks, **cut)
        rows = feature_rows(segments.beats, rr, **layout)
        steps["cut_and_columns"] += time.perf_counter() - start
        digests.append(_digest(peaks, marks.readable, rows))

    try:
        import onnxruntime  # noqa: F401

        low_latency = True
    except ImportError:
        low_latency = False
    signal, fs, _, _ = read_lead(folder / "101", ("MLII", "V5"), "101")
    signal = signal[: round(stream_minutes * 60 * fs)]
    hop = round(0.5 * fs)
    stream = StreamClassifier(fs, clf, low_latency=low_latency)
    with_beats, tables = [], []
    for k in range(signal.size // hop):
        start = time.perf_counter()
        table = stream.update(signal[k * hop : (k + 1) * hop])
        seconds = time.perf_counter() - start
        if len(table) and k >= 20:  # the first hops warm the network up
            with_beats.append(seconds)
        tables.append(table)
    tables.append(stream.finish())
    sample = np.concatenate([t.sample for t in tables])
    label = np.concatenate([t.label for t in tables]).astype(str)
    proba = np.concatenate([t.proba for t in tables])
    return {
        "records": len(records),
        "seconds": {key: round(value, 3) for key, value in steps.items()},
        "seconds_total": round(sum(steps.values()), 3),
        "results_digest": _digest(*[d.encode() for d in digests]),
        "stream": {
            "network": "onnxruntime" if low_latency else "tensorflow",
            "hops_with_beats": len(with_beats),
            "compute_ms_median": round(1e3 * float(np.median(with_beats)), 3),
            "compute_ms_p99": round(1e3 * float(np.percentile(with_beats, 99)), 3),
            "beats": int(sample.size),
            "tables_digest": _digest(sample, label.astype("U8"), proba),
        },
    }


def _run(checkout: Path, args) -> dict:
    """:func:`measure` in a new process that imports ``checkout``'s ecgbeat."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    argv = [sys.executable, str(Path(__file__).resolve()), "--worker"]
    argv += ["--data-home", args.data_home, "--stream-minutes", str(args.stream_minutes)]
    argv += ["--records", *args.records]
    done = subprocess.run(argv, env=env, cwd=checkout, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the worker on {checkout} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _best(runs: list[dict]) -> dict:
    """Each timing's best over the rounds; the rest from the first round."""
    best = copy.deepcopy(runs[0])
    best["seconds"] = {k: min(r["seconds"][k] for r in runs) for k in best["seconds"]}
    best["seconds_total"] = min(r["seconds_total"] for r in runs)
    for key in ("compute_ms_median", "compute_ms_p99"):
        best["stream"][key] = min(r["stream"][key] for r in runs)
    best["same_results_every_round"] = len({r["results_digest"] for r in runs}) == 1
    return best


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    parser.add_argument("--records", nargs="+", help="default: all 48 MIT-BIH records")
    parser.add_argument("--stream-minutes", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--against", type=Path, help="another checkout to time in the same run")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--output", default=str(REPO / "benchmarks/results/signal_path.json"))
    args = parser.parse_args(argv)
    args.data_home = str(Path(args.data_home).resolve())
    if args.records is None:
        from ecgbeat.datasets import MITBIH_RECORDS

        args.records = list(MITBIH_RECORDS)
    if args.worker:  # the checkout's own ecgbeat only: no import of this one's benchmarks
        result = measure(args.data_home, args.records, args.stream_minutes)
        print(json.dumps(result))
        return result
    from benchmarks._common import provenance

    checkouts = {"this": REPO}
    if args.against is not None:
        checkouts["against"] = args.against.resolve()
    runs = {name: [] for name in checkouts}
    for _ in range(args.rounds):
        for name, checkout in checkouts.items():
            runs[name].append(_run(checkout, args))
            print(name, json.dumps(runs[name][-1]), flush=True)
    result = {name: _best(value) for name, value in runs.items()}
    if args.against is not None:
        this, other = result["this"], result["against"]
        result["against_path_commit"] = subprocess.run(
            ["git", "-C", str(args.against), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        result["ratio_this_over_against"] = {
            "signal_path_seconds": round(this["seconds_total"] / other["seconds_total"], 3),
            "stream_compute_ms_median": round(
                this["stream"]["compute_ms_median"] / other["stream"]["compute_ms_median"], 3
            ),
        }
        result["same_peaks_marks_and_rows"] = this["results_digest"] == other["results_digest"]
        result["same_stream_tables"] = (
            this["stream"]["tables_digest"] == other["stream"]["tables_digest"]
        )
    output = {
        "benchmark": "the signal path before the network (read, detect + quality, cut + "
        "columns) over the records, and the stream's compute per hop that returns a beat",
        **provenance(__file__, argv),
        **result,
    }
    Path(args.output).write_text(json.dumps(output, indent=1) + "\n")
    print(json.dumps(output, indent=1))
    return output


if __name__ == "__main__":
    main()
