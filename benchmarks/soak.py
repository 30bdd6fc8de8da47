"""Soak test: classify a long stream of beats and watch the process's resident memory.

Beats arrive in chunks (default 50,000), each a fresh array, as a streaming service would see
them. Every chunk goes through ``predict_proba`` of the reference ``"cnn"`` network; after each
chunk the resident memory (``VmRSS`` of ``/proc/self/status``) is sampled. Memory is called flat
when the least-squares slope of RSS over the second half of the run is below
``--flat-mib-per-million`` MiB per million beats (the first half lets allocator pools and
TensorFlow's caches settle).

The beats are synthetic but realistic: real MIT-BIH beats from the sample shipped with ecgbeat
(``load_sample``), each drawn at random and varied by amplitude, a shift of a few samples and
noise, then clipped to [0, 1]. The network is the shipped pretrained model when it exists,
otherwise the reference architecture trained for one epoch on that sample: the weights do not
matter for memory and speed, only the architecture does.

Results go to ``benchmarks/results/soak.json`` (rewritten after every chunk, so a run that is
stopped keeps what it measured) with the date, the machine and the command.

Usage::

    python -m benchmarks.soak --beats 20000000 --max-minutes 20
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from benchmarks._common import provenance
from ecgbeat import HeartbeatCNNClassifier
from ecgbeat.datasets import load_sample

REPO = Path(__file__).resolve().parents[1]

RESULT = REPO / "benchmarks" / "results" / "soak.json"


def rss_mib() -> float:
    """Resident memory of this process now, MiB (``VmRSS`` is in kB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (this benchmark needs Linux)")


def make_classifier(source: str) -> tuple[HeartbeatCNNClassifier, str]:
    """The pretrained model if asked and present, else the reference network fitted briefly."""
    if source == "pretrained":
        try:
            return HeartbeatCNNClassifier.from_pretrained("mitbih"), "pretrained 'mitbih'"
        except Exception as error:  # absent or not yet trained: fall back, and say so
            print(f"pretrained model unavailable ({error}); using a 1-epoch model", flush=True)
    X, y = load_sample(return_X_y=True)
    clf = HeartbeatCNNClassifier("cnn", epochs=1, validation_fraction=0, random_state=0).fit(X, y)
    return clf, "reference 'cnn' trained 1 epoch on the 2,850-beat sample (weights untuned)"


class BeatStream:
    """Chunks of realistic beats: real sample beats, varied and noised."""

    def __init__(self, seed: int) -> None:
        self.templates = load_sample(return_X_y=True)[0].astype(np.float32)
        self.rng = np.random.default_rng(seed)

    def chunk(self, n: int) -> np.ndarray:
        rng = self.rng
        beats = self.templates[rng.integers(0, len(self.templates), n)]
        beats = np.roll(beats, rng.integers(-3, 4), axis=1)  # one shift per chunk: cheap
        beats *= rng.uniform(0.8, 1.05, (n, 1)).astype(np.float32)
        beats += rng.normal(0, 0.01, beats.shape).astype(np.float32)
        return np.clip(beats, 0.0, 1.0, out=beats)


def slope_per_million(beats: np.ndarray, rss: np.ndarray) -> float:
    """Least-squares slope of RSS (MiB) against beats, per million beats."""
    if beats.size < 2:
        return float("nan")
    return float(np.polyfit(beats / 1e6, rss, 1)[0])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beats", type=int, default=20_000_000, help="beats to classify")
    parser.add_argument("--chunk", type=int, default=50_000, help="beats per predict_proba call")
    parser.add_argument("--max-minutes", type=float, default=None, help="stop after this time")
    parser.add_argument("--model", choices=["pretrained", "untrained"], default="pretrained")
    parser.add_argument("--flat-mib-per-million", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args(argv)

    rss_at_start = rss_mib()
    args.load_at_start = round(os.getloadavg()[0], 2)  # other processes share the cores
    args.command = provenance(__file__, argv)["command"]
    clf, model_source = make_classifier(args.model)
    stream = BeatStream(args.seed)
    clf.predict_proba(stream.chunk(1000))  # first call builds TensorFlow's kernels: not soak

    samples: list[dict] = []
    counts = np.zeros(len(clf.classes_), dtype=np.int64)
    done = 0
    start = time.perf_counter()
    report: dict = {}
    while done < args.beats:
        n = min(args.chunk, args.beats - done)
        t0 = time.perf_counter()
        proba = clf.predict_proba(stream.chunk(n))
        counts += np.bincount(proba.argmax(axis=1), minlength=len(counts))
        done += n
        samples.append(
            {
                "beats": done,
                "rss_mib": round(rss_mib(), 1),
                "seconds": round(time.perf_counter() - t0, 3),
            }
        )
        elapsed = time.perf_counter() - start
        stopped = args.max_minutes is not None and elapsed > 60 * args.max_minutes
        report = summarise(args, samples, elapsed, done, counts, clf, model_source, rss_at_start)
        report["complete"] = done >= args.beats
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")
        if len(samples) % 20 == 0 or stopped or done >= args.beats:
            s = report["summary"]
            print(
                f"{done:>11,} beats  {s['beats_per_second']:>8,.0f}/s  RSS {samples[-1]['rss_mib']:.0f}"
                f" MiB  slope(2nd half) {s['rss_slope_second_half_mib_per_million']:+.2f}"
                " MiB/M",
                flush=True,
            )
        if stopped:
            break
    return report


def summarise(args, samples, elapsed, done, counts, clf, model_source, rss_at_start) -> dict:
    beats = np.array([s["beats"] for s in samples], dtype=np.float64)
    rss = np.array([s["rss_mib"] for s in samples])
    half = len(samples) // 2
    slope = slope_per_million(beats[half:], rss[half:])
    import keras
    import tensorflow as tf

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "load_average_1min_at_start": args.load_at_start,
            "load_average_1min_now": round(os.getloadavg()[0], 2),
        },
        "command": args.command,
        "model": model_source,
        "architecture": clf.architecture,
        "beat_length": int(clf.n_features_in_),
        "chunk": args.chunk,
        "predict_batch_size": clf.predict_batch_size,
        "beats_requested": args.beats,
        "summary": {
            "beats_done": done,
            "seconds": round(elapsed, 1),
            "beats_per_second": round(done / elapsed, 1),
            "rss_before_model_mib": round(rss_at_start, 1),
            "rss_first_chunk_mib": float(rss[0]),
            "rss_last_chunk_mib": float(rss[-1]),
            "rss_max_mib": float(rss.max()),
            "rss_second_half_range_mib": float(np.ptp(rss[half:])) if half else None,
            "rss_slope_second_half_mib_per_million": round(slope, 3),
            "flat_threshold_mib_per_million": args.flat_mib_per_million,
            "flat": bool(abs(slope) < args.flat_mib_per_million) if half else None,
            "predicted_class_counts": dict(
                zip(map(str, clf.classes_.tolist()), counts.tolist(), strict=True)
            ),
        },
        "chunks": samples,
    }


if __name__ == "__main__":
    main()
