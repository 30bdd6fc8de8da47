"""The streaming classifier against the whole recording at once, and its latency.

``agreement`` (each record of ``--records``, lead MLII, V5 where absent): the record goes
through :class:`ecgbeat.streaming.StreamClassifier` in chunks of random length (1 sample to 1 s,
seeded) and through :func:`ecgbeat.records.classify_signal` in one piece, with the same model.
Per record and pooled: the beats of each, how many of the stream's beats lie at the very sample
of a batch beat (and within 150 ms), how many of those get the same class, each path's agreement
with the annotated AAMI classes (beats matched one-to-one within 150 ms), and the ectopic burden
of each. The stream's time over the signal's duration is its real-time factor.

``latency`` (``--latency-record``, its first ``--latency-minutes``): the signal arrives one hop
(0.5 s) at a time, as a monitor's driver would hand it over; each call that returns beats is
timed, from the moment it receives the samples that complete them to the table: median and
99th percentile, with the network in TensorFlow and, with ``--low-latency``, in ONNX Runtime.
And how long after its next R peak a beat's class comes (the detector's decision time and the
hop), median and largest.

The default model was trained on all 48 records: the figures are about the stream against the
batch path, not about new patients. Writes ``benchmarks/results/streaming.json``.

Usage::

    python -m benchmarks.streaming [--records 100 101 ...] [--low-latency]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from wfdb.processing import compare_annotations

from benchmarks._common import provenance
from ecgbeat.datasets import AAMI_SYMBOLS, MITBIH_DS1, MITBIH_DS2, read_annotations, read_lead
from ecgbeat.records import DEFAULT_MODEL, classify_signal, fitted_classifier
from ecgbeat.streaming import StreamClassifier

REPO = Path(__file__).resolve().parents[1]
NAMES = ["N", "S", "V", "F", "Q"]


def stream_table(signal, fs, clf, sizes, **params) -> tuple[dict, float, list]:
    """Feed ``signal`` in chunks of ``sizes`` (then the rest) and finish: joined columns, the
    seconds it took, and for each call the samples seen, its beats' samples and its seconds."""
    stream = StreamClassifier(fs, clf, **params)
    tables, calls, position = [], [], 0
    started = time.perf_counter()
    for size in [*sizes, signal.size]:
        chunk = signal[position : position + size]
        position += chunk.size
        start = time.perf_counter()
        table = stream.update(chunk)
        calls.append((position, table.sample, time.perf_counter() - start))
        tables.append(table)
        if position >= signal.size:
            break
    tables.append(stream.finish())
    seconds = time.perf_counter() - started
    columns = {c: np.concatenate([getattr(t, c) for t in tables]) for c in ("sample", "label")}
    return columns, seconds, calls


def accuracy(ref: np.ndarray, ref_class: np.ndarray, samples, labels, fs) -> tuple[int, int]:
    """Beats matched to the annotations within 150 ms, and how many of them have their class."""
    cmp = compare_annotations(ref, np.asarray(samples), window_width=round(0.150 * fs))
    hit = cmp.matched_ref_inds >= 0
    predicted = np.asarray(labels)[cmp.matched_test_inds[hit]]
    return int(hit.sum()), int(np.sum(predicted == ref_class[cmp.matched_ref_inds[hit]]))


def agreement(args, clf, folder: Path) -> dict:
    pooled: dict[str, float] = {}
    per_record = {}
    for record in args.records:
        signal, fs, _, _ = read_lead(folder / record, ("MLII", "V5"), record)
        samples, symbols = read_annotations(folder / record, "atr", signal.size, record)
        is_beat = np.isin(symbols, list(AAMI_SYMBOLS))
        ref = samples[is_beat]
        ref_class = np.array([NAMES[AAMI_SYMBOLS[s]] for s in symbols[is_beat]])
        rng = np.random.default_rng([args.seed, int(record)])
        sizes = rng.integers(1, round(fs) + 1, size=signal.size // round(fs / 2))
        stream, stream_seconds, _ = stream_table(signal, fs, clf, sizes)
        start = time.perf_counter()
        batch = classify_signal(signal, fs, clf, name=record)
        batch_seconds = time.perf_counter() - start
        same = np.isin(stream["sample"], batch.sample)
        where = np.searchsorted(batch.sample, stream["sample"][same])
        cmp = compare_annotations(batch.sample, stream["sample"], round(0.150 * fs))
        counts = {
            "seconds_of_signal": signal.size / fs,
            "stream_seconds": stream_seconds,
            "batch_seconds": batch_seconds,
            "beats_stream": len(stream["sample"]),
            "beats_batch": len(batch),
            "beats_same_sample": int(same.sum()),
            "beats_within_150ms": int(np.sum(cmp.matched_test_inds >= 0)),
            "same_sample_same_class": int(np.sum(stream["label"][same] == batch.label[where])),
            "stream_not_normal": int(np.sum(stream["label"] != "N")),
            "batch_not_normal": int(np.sum(batch.label != "N")),
            "reference_beats": int(ref.size),
            "reference_not_normal": int(np.sum(ref_class != "N")),
        }
        for path, samples_, labels in (
            ("stream", stream["sample"], stream["label"]),
            ("batch", batch.sample, batch.label),
        ):
            matched, right = accuracy(ref, ref_class, samples_, labels, fs)
            counts[f"{path}_matched_reference"] = matched
            counts[f"{path}_right_class"] = right
        per_record[record] = {
            "class_agreement_percent": round(
                100 * counts["same_sample_same_class"] / counts["beats_same_sample"], 2
            ),
            "burden_stream_percent": round(
                100 * counts["stream_not_normal"] / counts["beats_stream"], 2
            ),
            "burden_batch_percent": round(
                100 * counts["batch_not_normal"] / counts["beats_batch"], 2
            ),
            "burden_annotated_percent": round(
                100 * counts["reference_not_normal"] / counts["reference_beats"], 2
            ),
        }
        for key, value in counts.items():
            pooled[key] = pooled.get(key, 0) + value
        print(record, per_record[record], flush=True)

    def pct(a, b):
        return round(100 * pooled[a] / pooled[b], 3)

    return {
        "records": args.records,
        "chunks": "random lengths of 1 sample to 1 s (numpy default_rng([seed, record]))",
        "pooled": {
            **{k: round(v, 2) if isinstance(v, float) else v for k, v in pooled.items()},
            "stream_beats_at_a_batch_beat_percent": pct("beats_same_sample", "beats_stream"),
            "batch_beats_found_by_stream_percent": pct("beats_same_sample", "beats_batch"),
            "class_agreement_percent": pct("same_sample_same_class", "beats_same_sample"),
            "stream_accuracy_percent": pct("stream_right_class", "stream_matched_reference"),
            "batch_accuracy_percent": pct("batch_right_class", "batch_matched_reference"),
            "stream_real_time_factor": round(
                pooled["seconds_of_signal"] / pooled["stream_seconds"]
            ),
        },
        "per_record": per_record,
    }


def latency(clf, folder: Path, record: str, minutes: float, *, low_latency: bool) -> dict:
    """The stream's compute per hop that returns beats, and its delay after the next R peak,
    on the first ``minutes`` of ``record`` fed half a second at a time (also run by
    ``benchmarks.inference``)."""
    signal, fs, _, _ = read_lead(folder / record, ("MLII", "V5"), record)
    signal = signal[: round(minutes * 60 * fs)]
    hop = round(0.5 * fs)
    result = {"record": record, "minutes": minutes, "chunk_samples": hop}
    engines = {"tensorflow": {}}
    if low_latency:
        engines["onnxruntime"] = {"low_latency": True}
    for engine, params in engines.items():
        sizes = [hop] * (signal.size // hop)
        stream_table(signal[: 20 * hop], fs, clf, [hop] * 20, **params)  # warm-up
        columns, _, calls = stream_table(signal, fs, clf, sizes, **params)
        beats = [(seen, samples, s) for seen, samples, s in calls if len(samples)]
        times = np.array([s for _, _, s in beats]) * 1e3
        # How long after its next R peak each beat was classified (the next beat's R peak).
        emitted = np.concatenate([np.full(len(samples), seen) for seen, samples, _ in beats])
        order = columns["sample"][: emitted.size]
        after_next = (emitted[:-1] - order[1:]) / fs
        result[engine] = {
            "calls_with_beats": len(beats),
            "beats_per_call_mean": round(float(np.mean([len(b[1]) for b in beats])), 2),
            "compute_ms": {
                "median": round(float(np.median(times)), 3),
                "p99": round(float(np.percentile(times, 99)), 3),
            },
            "seconds_after_next_r_peak": {
                "median": round(float(np.median(after_next)), 3),
                "max": round(float(np.max(after_next)), 3),
            },
        }
        print(engine, result[engine], flush=True)
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    parser.add_argument("--records", nargs="+", default=sorted(MITBIH_DS1))
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latency-record", default="101")
    parser.add_argument("--latency-minutes", type=float, default=10.0)
    parser.add_argument("--low-latency", action="store_true", help="also time ONNX Runtime")
    parser.add_argument(
        "--parts", nargs="+", choices=["agreement", "latency"], default=["agreement", "latency"]
    )
    parser.add_argument("--output", default=str(REPO / "benchmarks/results/streaming.json"))
    args = parser.parse_args(argv)
    if set(args.records) & set(MITBIH_DS2):
        print("note: DS2 records are read; report only, choose nothing from them")
    folder = Path(args.data_home) / "mitdb"
    clf = fitted_classifier(args.model)
    output = {
        "benchmark": "StreamClassifier against classify_signal (same model), and its latency",
        **provenance(__file__, argv),
        "model": args.model,
    }
    if "latency" in args.parts:
        output["latency"] = latency(
            clf, folder, args.latency_record, args.latency_minutes, low_latency=args.low_latency
        )
    if "agreement" in args.parts:
        output["agreement"] = agreement(args, clf, folder)
    Path(args.output).write_text(json.dumps(output, indent=1) + "\n")
    return output


if __name__ == "__main__":
    main()
