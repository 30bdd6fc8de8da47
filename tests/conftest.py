"""Shared test fixtures.

The raw PhysioNet data used by some tests lives in ``../shared/data`` beside the repository (or wherever
``ECGBEAT_SHARED_DATA`` points). A user's clone does not have it: those tests are skipped there, with the
reason. In CI (``CI=true``) the data is always present, so a missing folder is an error, never a skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

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
