"""Speed-up of ecgbeat on a Dask cluster from 1 to 2 workers: batch classification and a grid search.

Two jobs, each timed in this process without Dask (the baseline), then on a ``LocalCluster`` of 1
and of 2 worker processes with 1 thread each (TensorFlow limited to that thread):

1. ``classify_records`` over the 48 MIT-BIH records (Pan-Tompkins R peaks, lead MLII), one task
   per record. The classifier is the shipped ``mitbih`` model when it is there, else a ``cnn``
   of the same size fitted for one epoch: prediction costs the same whatever the weights.
2. ``GridSearchCV`` of 4 candidates x 2 folds = 8 small fits on real beats of the shipped sample:
   with 2 workers through :func:`ecgbeat.distributed.dask_backend`; with 1 worker as one task
   running the serial search (joblib would run it in this process: the backend has one thread).

Each cluster is started and warmed up first (TensorFlow imported and the model sent to every
worker by a run over one record per worker), so the times are those of the work, not of the
start-up, which is reported apart. The machine may be shared: classification is timed
``--repeat`` times (the fastest is kept), the CPU seconds the workers used are reported beside the
wall times, and the load average and whether the pretrained-model training job was running are
written with the result, so that a busy run is read as such. Writes ``benchmarks/results/dask_scaling.json``.

Usage::

    python -m benchmarks.dask_scaling [--mitdb ../shared/data/mitdb] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import platform
import time
from pathlib import Path

import numpy as np

from benchmarks._common import provenance
from ecgbeat.classifier import EARLIER_DEFAULTS

DEFAULT_MITDB = Path(__file__).resolve().parents[2] / "shared" / "data" / "mitdb"
RESULT = Path(__file__).resolve().parent / "results" / "dask_scaling.json"
GRID = {"learning_rate": [1e-3, 3e-3], "batch_size": [32, 64]}


def machine_load() -> dict:
    """The load average and whether the background training job is running."""
    training = False
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"train_pretrained" in cmdline.read_bytes():
                training = True
                break
        except OSError:
            continue
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {"loadavg_1_5_15": [round(x, 2) for x in load], "train_pretrained_running": training}


def load_classifier(name: str):
    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.datasets import load_sample

    if name == "mitbih":
        try:
            return HeartbeatCNNClassifier.from_pretrained("mitbih"), "pretrained mitbih"
        except Exception as exc:  # the model file may not be there yet
            print(f"pretrained mitbih not usable ({exc}); fitting a cnn for one epoch instead")
    X, y = load_sample(return_X_y=True)
    clf = HeartbeatCNNClassifier(epochs=1, batch_size=64, validation_fraction=0, random_state=0)
    return clf.fit(X, y), "cnn fitted for 1 epoch on the shipped sample"


def grid_search(X, y, n_jobs: int | None):
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    from ecgbeat import HeartbeatCNNClassifier

    # The recipe of the committed results.
    estimator = HeartbeatCNNClassifier(
        epochs=3, validation_fraction=0, random_state=0, **EARLIER_DEFAULTS
    )
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    return GridSearchCV(estimator, GRID, cv=cv, refit=False, n_jobs=n_jobs).fit(X, y)


def worker_cpu_seconds(client) -> float:
    """CPU time used so far by all worker processes together (all their threads)."""
    return sum(client.run(time.process_time).values())


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, round(time.perf_counter() - start, 2)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mitdb", type=Path, default=DEFAULT_MITDB)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--classifier", choices=["mitbih", "quick"], default="mitbih")
    parser.add_argument(
        "--repeat", type=int, default=2, help="classify runs per cluster; the fastest is kept"
    )
    parser.add_argument("--records", type=int, default=None, help="only the first N records")
    parser.add_argument("--output", type=Path, default=RESULT)
    args = parser.parse_args(argv)

    import distributed

    from ecgbeat.datasets import load_sample
    from ecgbeat.distributed import classify_records, dask_backend

    names = (args.mitdb / "RECORDS").read_text().split()[: args.records]
    records = [str(args.mitdb / name) for name in names]
    load_before = machine_load()
    print(f"machine: {os.cpu_count()} CPUs, {load_before}")
    classifier, classifier_kind = load_classifier(args.classifier)
    X, y = load_sample(return_X_y=True)
    rng = np.random.default_rng(0)
    subset = np.sort(rng.choice(len(y), 600, replace=False))
    X, y = X[subset], y[subset]

    local, local_s = timed(classify_records, records, classifier)
    beats = sum(len(t) for t in local.tables)
    print(f"classify {len(records)} records here, no Dask: {beats} beats in {local_s} s")
    _, search_local_s = timed(grid_search, X, y, 1)
    print(
        f"grid search ({len(GRID['learning_rate']) * len(GRID['batch_size']) * 2} fits) "
        f"here, n_jobs=1: {search_local_s} s"
    )

    runs = {}
    for n in args.workers:
        start = time.perf_counter()
        with (
            distributed.LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            # Warm-up: TensorFlow imported and the model received on every worker.
            classify_records(records[:n], classifier, client=client)
            startup_s = round(time.perf_counter() - start, 2)
            # On a shared machine other jobs come and go: keep the fastest of a few runs, and
            # the workers' CPU seconds, which other jobs do not inflate as much as wall time.
            classify_runs, classify_cpu = [], []
            for _ in range(args.repeat):
                cpu = worker_cpu_seconds(client)
                result, seconds = timed(classify_records, records, classifier, client=client)
                classify_cpu.append(round(worker_cpu_seconds(client) - cpu, 2))
                classify_runs.append(seconds)
                assert not result.errors, result.errors
                for a, b in zip(result.tables, local.tables, strict=True):
                    assert np.array_equal(a.label, b.label), a.record
            cpu = worker_cpu_seconds(client)
            if n == 1:
                # joblib runs a search sequentially in the calling process when the backend has one
                # thread; so the one-worker baseline is the whole serial search as one task there.
                _, search_s = timed(lambda: client.submit(grid_search, X, y, 1).result())
            else:
                with dask_backend(client):
                    _, search_s = timed(grid_search, X, y, None)
            search_cpu = round(worker_cpu_seconds(client) - cpu, 2)
        runs[str(n)] = {
            "startup_and_warmup_seconds": startup_s,
            "classify_seconds": min(classify_runs),
            "classify_seconds_all_runs": classify_runs,
            "classify_worker_cpu_seconds": classify_cpu,
            "grid_search_seconds": search_s,
            "grid_search_worker_cpu_seconds": search_cpu,
        }
        print(
            f"{n} worker(s): start-up {startup_s} s, classify {classify_runs} s "
            f"(worker CPU {classify_cpu} s), grid search {search_s} s (worker CPU {search_cpu} s)"
        )

    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
        },
        "command": provenance(__file__, argv)["command"],
        "load_before": load_before,
        "load_after": machine_load(),
        "cluster": "distributed.LocalCluster(n_workers=N, threads_per_worker=1, processes=True)",
        "classify": {
            "records": len(records),
            "beats": beats,
            "classifier": classifier_kind,
            "detector": "pan-tompkins",
            "local_seconds": local_s,
        },
        "grid_search": {
            "beats": len(y),
            "grid": GRID,
            "folds": 2,
            "epochs": 3,
            "local_n_jobs_1_seconds": search_local_s,
        },
        "workers": runs,
    }
    if "1" in runs and "2" in runs:
        for job, key in (("classify", "classify_seconds"), ("grid_search", "grid_search_seconds")):
            result[job]["speedup_2_over_1_workers"] = round(runs["1"][key] / runs["2"][key], 2)
        print(
            f"speed-up 1 -> 2 workers: classify {result['classify']['speedup_2_over_1_workers']}x, "
            f"grid search {result['grid_search']['speedup_2_over_1_workers']}x"
        )
    busy = (
        result["load_before"]["train_pretrained_running"]
        or result["load_after"]["train_pretrained_running"]
    )
    result["machine_busy"] = bool(busy or result["load_before"]["loadavg_1_5_15"][0] > 1.0)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")
    return result


if __name__ == "__main__":
    main()
