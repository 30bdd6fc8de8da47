"""Regenerate the table of the MIT-BIH random split that ships in ``ecgbeat/datasets/data/``.

``fetch_mitbih(split="random")`` is the stratified 80/20 split of all 109,446 beats (seed
``RANDOM_SPLIT_SEED``), as the Kaggle release was made. Computed over the beats loaded, it would
depend on which records were loaded (``records=["100", "101"]`` would split differently from all
48); the shipped table makes it a fixed function of record and beat: for each record, one flag
per annotated beat (in annotation order, the record's last beat excluded as in the release), True
for the test part. The table is the split of the whole database, so the shipped models' test
parts are unchanged. ``--check`` verifies the shipped file against a fresh build; a table that
differs from the shipped one (and so every shipped model's test part) replaces it only with
``--overwrite``.

Usage::

    python -m tools.make_random_split [--data-home ../shared/data] [--check | --overwrite]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from ecgbeat._atomic import replacing
from ecgbeat.datasets import MITBIH_RECORDS, RANDOM_SPLIT_SEED, fetch_mitbih

OUT = Path(__file__).resolve().parents[1] / "ecgbeat/datasets/data/mitbih_random_split.npz"
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def random_split_table(target: np.ndarray, groups: np.ndarray) -> dict[str, np.ndarray]:
    """Test-part flags per record, for the beats of the whole database in load order."""
    _, test_idx = train_test_split(
        np.arange(target.size), test_size=0.2, stratify=target, random_state=RANDOM_SPLIT_SEED
    )
    is_test = np.zeros(target.size, dtype=bool)
    is_test[test_idx] = True
    return {record: is_test[groups == record] for record in MITBIH_RECORDS}


def _same_table(path: Path, table: dict[str, np.ndarray]) -> bool:
    with np.load(path) as shipped:
        return set(shipped.files) == set(table) and all(
            np.array_equal(shipped[r], table[r]) for r in table
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=str(DEFAULT_DATA))
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--check", action="store_true", help="compare with the shipped file")
    what.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a shipped table that differs from the fresh build (it changes the test "
        "part of every shipped model trained on split='random')",
    )
    args = parser.parse_args(argv)
    beats = fetch_mitbih(args.data_home, download_if_missing=False, progress=False)
    table = random_split_table(beats.target, beats.groups)
    same = OUT.exists() and _same_table(OUT, table)
    if args.check:
        print("shipped table matches a fresh build" if same else "shipped table DIFFERS")
        return 0 if same else 1
    if same:
        print(f"{OUT} is already this table: nothing to write")
        return 0
    if OUT.exists() and not args.overwrite:
        parser.error(
            f"the fresh table differs from the shipped {OUT}, which fixes the test part of every "
            "shipped model trained on split='random': pass --overwrite to replace it"
        )
    with replacing(OUT, suffix=".npz") as tmp:
        np.savez_compressed(tmp, **table)
    n_test = sum(int(flags.sum()) for flags in table.values())
    print(f"wrote {OUT}: {n_test} test beats of {beats.target.size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
