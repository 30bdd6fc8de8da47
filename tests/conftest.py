"""Shared test fixtures.

The raw PhysioNet data used by some tests lives in ``../shared/data`` beside the repository (or wherever
``ECGBEAT_SHARED_DATA`` points). A user's clone does not have it: those tests are skipped there, with the
reason. In CI (``CI=true``) the data is always present, so a missing folder is an error, never a skip.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Lets scikit-learn's array-API check run on NumPy input instead of skipping itself.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

# Each pytest-xdist worker sizes TensorFlow's thread pools to its share of the cores: by default
# every process takes them all, and two workers on CI's two cores then contend (test_classifier
# and test_pretrained side by side took 103 s against 124 s, 2026-12-02). Only the environment,
# which TensorFlow reads when it starts: tf.config.threading's getters still say "not set", as
# the Dask test of the thread limit needs.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    _cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    _threads = str(max(1, (_cores or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", _threads)
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", _threads)

SHARED_DATA = Path(
    os.environ.get("ECGBEAT_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def _shared_dir(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.is_dir():
        message = f"shared test data {path} is not on this machine"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + " (required in CI)")
        pytest.skip(message)
    return path


#: The training arithmetic that ``precision="auto"`` resolves to in this test run: float32 by
#: default, whatever the CPU, so that every result of the suite is the same on CPUs with and
#: without bfloat16 instructions. ``ECGBEAT_TEST_PRECISION=mixed_bfloat16`` runs the suite on the
#: other path (emulated where the CPU lacks bfloat16) to check that no test depends on it.
TEST_PRECISION = os.environ.get("ECGBEAT_TEST_PRECISION", "float32")


@pytest.fixture(scope="session", autouse=True)
def _auto_precision_is_fixed():
    if TEST_PRECISION not in ("float32", "mixed_bfloat16"):
        pytest.exit(
            f"ECGBEAT_TEST_PRECISION must be float32 or mixed_bfloat16, not {TEST_PRECISION}"
        )
    from ecgbeat import _backend

    read_cpu_flags = _backend.cpu_has_bfloat16

    def cpu_has_bfloat16(cpuinfo_path: str | None = None) -> bool:
        # A path given is a test of the flag reading itself: read it.
        if cpuinfo_path is not None:
            return read_cpu_flags(cpuinfo_path)
        return TEST_PRECISION == "mixed_bfloat16"

    with pytest.MonkeyPatch.context() as patch:
        # Tests of the choice itself patch this again, for themselves.
        patch.setattr(_backend, "cpu_has_bfloat16", cpu_has_bfloat16)
        yield


@pytest.fixture(scope="session")
def mitdb_dir() -> Path:
    """Folder with the raw MIT-BIH Arrhythmia Database (``NNN.hea/.dat/.atr``)."""
    return _shared_dir("mitdb")


@pytest.fixture(scope="session")
def ptbdb_dir() -> Path:
    """Folder with the PTB Diagnostic format fixture (``s0010_re``, ``RECORDS``, ``CONTROLS``)."""
    return _shared_dir("ptbdb")


@pytest.fixture(scope="session")
def kaggle_dir() -> Path:
    """Folder with ``mitbih_test_first10.csv``, real rows of the Kaggle CSV layout."""
    return _shared_dir("kaggle")


#: The longest modules, longest first, by their test time in a full run on CI's kind of machine
#: (2026-12-01: from 275 s for test_benchmark_scripts down to 20 s for test_model_cards).
#: pytest-xdist hands out whole modules (``--dist loadfile --no-loadscope-reorder``) in
#: collection order: taking the longest first leaves the short ones to even out the two
#: workers at the end. By default it takes the modules with the most tests first, which left
#: test_training_pool (12 tests, 116 s) and test_examples (9 tests, 105 s) for the end. Only
#: the order changes; the modules not listed (each under 20 s) follow these.
LONGEST_MODULES = (
    "test_benchmark_scripts.py",
    "test_sklearn_checks.py",
    "test_training_pool.py",
    "test_docs.py",
    "test_examples.py",
    "test_classifier.py",
    "test_pretrained.py",
    "test_cli.py",
    "test_class_sampling.py",
    "test_persistence.py",
    "test_dask.py",
    "test_plot.py",
    "test_rhythm.py",
    "test_low_latency.py",
    "test_streaming.py",
    "test_sklearn_integration.py",
    "test_offline.py",
    "test_model_cards.py",
)


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        name = item.path.name
        return LONGEST_MODULES.index(name) if name in LONGEST_MODULES else len(LONGEST_MODULES)

    items.sort(key=rank)  # stable: each module's tests keep their order


def snapshot(folder: Path) -> dict:
    """Every file under ``folder``: a regular file's size, mtime and SHA-256; a link's target.

    A link is not followed: a test links a record's file to /proc/self/mem, which no one can
    read, and the link itself must stay as it was.
    """
    return {
        p.relative_to(folder).as_posix(): (
            (os.readlink(p),)
            if p.is_symlink()
            else (
                p.stat().st_size,
                p.stat().st_mtime_ns,
                hashlib.sha256(p.read_bytes()).hexdigest(),
            )
        )
        for p in sorted(folder.rglob("*"))
        if p.is_symlink() or p.is_file()
    }


def make_synthetic_beats(
    n_per_class: int = 40, n_samples: int = 64, labels=("N", "V", "S"), seed: int = 0
):
    """Separable toy beats: one Gaussian bump per class, at a class-specific place, plus noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t = np.arange(n_samples)
    X, y = [], []
    for k, label in enumerate(labels):
        centre = (k + 1) * n_samples / (len(labels) + 1)
        bump = np.exp(-0.5 * ((t - centre) / 3.0) ** 2)
        X.append(bump + 0.1 * rng.standard_normal((n_per_class, n_samples)))
        y += [label] * n_per_class
    order = rng.permutation(len(y))
    return np.vstack(X)[order].astype(np.float32), np.asarray(y)[order]


@pytest.fixture
def beats():
    """120 separable toy beats of 64 samples, classes 'N', 'S', 'V'."""
    return make_synthetic_beats()


# Settings that train the toy problem to 100 % in a few seconds: one cosine cycle over the 10
# epochs, from 3e-3 (twice learning_rate) down, so that the last epochs settle.
# The toy's 7 steps of 16 beats an epoch suffice: no repeated draws (min_steps_per_epoch=1), so
# that the many tests built on it stay fast; test_class_sampling.py tests the default. (Batches
# of 16 learned the toy in 8 seeds of 8, batches of 8 in 5, in two thirds of the time: each step
# of these tiny batches costs about as much as the next, whatever its size.)
FAST_PARAMS = dict(
    epochs=10,
    batch_size=16,
    learning_rate=1.5e-3,
    lr_cycle_epochs=10,
    dropout=0.0,
    min_steps_per_epoch=1,
    random_state=0,
)
