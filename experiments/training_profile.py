"""Training-step profile: where the time of one training step goes, op by op.

Trains the estimator's own compiled training network (borrowed from ``ecgbeat._training.TRAINERS``,
in the precision that ``precision="auto"`` picks) on random beats of the reference length: it times
``--repeat`` epochs of ``--beats`` beats, then records one more epoch with the TensorFlow profiler
and sums the time of every op by layer and op type. It also reports how busy each of TensorFlow's
compute threads was during that epoch: the share of the wall time in which it ran an op. The
network has the reference project's dropout (``dropout=None``), as the estimator's did when the
committed results were made; the estimator now trains with half that rate by default.

``--threads INTER INTRA`` sets TensorFlow's inter- and intra-op thread counts before anything else
runs (a process-wide setting, so only from the command line); ``--threads 1 1`` gives the CPU time
of each op without any splitting over cores.

Each run is added under its thread setting to ``experiments/results/training_profile.json``.

Usage::

    python -m experiments.training_profile
    python -m experiments.training_profile --threads 1 1
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks._common import peak_rss_mib, provenance

REPO = Path(__file__).resolve().parents[1]

N_SAMPLES = 187
N_CLASSES = 5


def busy_share(intervals: list[tuple[int, int]]) -> float:
    """The share of the span of ``intervals`` (start, end) that they cover: how busy a thread was."""
    intervals = sorted(intervals)
    covered = 0
    start, end = intervals[0]
    for s, e in intervals[1:]:
        if s > end:
            covered += end - start
            start, end = s, e
        else:
            end = max(end, e)
    covered += end - start
    return covered / (intervals[-1][1] - intervals[0][0])


def op_times(trace_dir: str, layer_names: list[str], n_beats: int) -> dict:
    """Op time per beat (µs) by (layer, op type), and each compute thread's busy share."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    files = sorted(Path(trace_dir).rglob("*.xplane.pb"))
    space = xplane_pb2.XSpace()
    space.ParseFromString(files[-1].read_bytes())
    # Keras names a layer's ops ".../conv_8_1/..." (a suffix per call); the gradient's ops carry
    # "gradient_tape" in their path.
    layer_pattern = re.compile(
        r"/(" + "|".join(map(re.escape, sorted(layer_names, key=len, reverse=True))) + r")(_\d+)?/"
    )
    per_op: collections.Counter = collections.Counter()
    threads = []
    for plane in space.planes:
        metadata = plane.event_metadata
        for line in plane.lines:
            if not line.name.startswith("tf_Compute") or not line.events:
                continue
            ops = []
            for event in line.events:
                name = metadata[event.metadata_id].name
                if ":" not in name or "::" in name:  # bookkeeping: "ExecutorState::Process"...
                    continue
                ops.append((event.offset_ps, event.offset_ps + event.duration_ps))
                path, op_type = name.rsplit(":", 1)
                layer = layer_pattern.search("/" + path + "/")
                where = layer.group(1) if layer else "other"
                if "gradient" in path.lower():
                    where = f"{where} (backward)"
                per_op[(where, op_type)] += event.duration_ps
            if ops:
                threads.append(round(busy_share(ops), 3))
    total = sum(per_op.values())
    return {
        "op_time_us_per_beat": round(total / 1e6 / n_beats, 1),
        "compute_thread_busy_share": threads,
        "top_ops": [
            {"layer": layer, "op": op, "us_per_beat": round(ps / 1e6 / n_beats, 2)}
            for (layer, op), ps in per_op.most_common(25)
        ],
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", nargs=2, type=int, metavar=("INTER", "INTRA"), default=None)
    parser.add_argument("--beats", type=int, default=16384, help="beats per timed epoch")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=5, help="timed epochs before the profile")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    parser.add_argument("--output", default=str(REPO / "experiments/results/training_profile.json"))
    args = parser.parse_args(argv)
    if args.quick:
        args.beats, args.repeat = 512, 1
    load_at_start = os.getloadavg()

    import tensorflow as tf

    if args.threads is not None:
        # Raises RuntimeError once TensorFlow has started: the setting is the process's.
        tf.config.threading.set_inter_op_parallelism_threads(args.threads[0])
        tf.config.threading.set_intra_op_parallelism_threads(args.threads[1])

    from ecgbeat._backend import default_training_precision
    from ecgbeat._training import TRAINERS
    from ecgbeat.networks import build_network

    precision = default_training_precision()
    rng = np.random.default_rng(0)
    X = rng.random((args.beats, N_SAMPLES, 1), dtype=np.float32)
    y = rng.integers(0, N_CLASSES, args.beats)
    dataset = (
        tf.data.Dataset.from_tensor_slices((X, y))
        .shuffle(args.beats, seed=0)
        .batch(args.batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    model = build_network("cnn", N_SAMPLES, N_CLASSES, dropout=None, seed=0)
    rates = []
    with TRAINERS.borrow(model, 1e-3, precision) as trainer:
        trainer.fit(dataset, epochs=1, verbose=0)  # traces the step
        for _ in range(args.repeat):
            start = time.perf_counter()
            trainer.fit(dataset, epochs=1, verbose=0)
            rates.append(round(args.beats / (time.perf_counter() - start)))
        with tempfile.TemporaryDirectory() as trace_dir:
            tf.profiler.experimental.start(trace_dir)
            start = time.perf_counter()
            trainer.fit(dataset, epochs=1, verbose=0)
            profiled_seconds = time.perf_counter() - start
            tf.profiler.experimental.stop()
            profile = op_times(trace_dir, [layer.name for layer in model.layers], args.beats)
    threads = tf.config.threading
    run = {
        "precision": precision,
        "batch_size": args.batch_size,
        "threads": {
            "inter_op": threads.get_inter_op_parallelism_threads(),
            "intra_op": threads.get_intra_op_parallelism_threads(),
        },
        "train_beats_per_second": {"best": max(rates), "all": rates},
        "profiled_epoch_wall_us_per_beat": round(profiled_seconds / args.beats * 1e6, 1),
        **profile,
        "peak_rss_mib": peak_rss_mib(),
        "load_average_at_start": load_at_start,
        **provenance(__file__, argv),
    }
    if not args.quick:
        output = Path(args.output)
        runs = json.loads(output.read_text()) if output.exists() else {}
        key = "default_threads" if args.threads is None else "inter{}_intra{}".format(*args.threads)
        runs[key] = run
        output.write_text(json.dumps(runs, indent=1) + "\n")
    print(json.dumps(run, indent=1))
    return run


if __name__ == "__main__":
    main()
