"""Regenerate the MIT-BIH sample that ships in ``ecgbeat/datasets/data/``.

The sample is drawn only from the test part of ``fetch_mitbih(split="random")``: per AAMI class,
a fixed number of beats chosen by ``numpy.random.default_rng(SAMPLE_SEED)`` without replacement,
kept in their original order (record, then time). The same data and code give the same sample;
``--check`` verifies the shipped file against a fresh build, and a sample that differs from the
shipped one replaces it only with ``--overwrite``.

Usage::

    python -m tools.make_sample [--data-home ../shared/data] [--check | --overwrite]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ecgbeat._atomic import replacing
from ecgbeat.datasets import AAMI_CLASSES, RANDOM_SPLIT_SEED, fetch_mitbih

SAMPLE_SEED = 0
PER_CLASS = {"N": 1500, "S": 400, "V": 400, "F": 150, "Q": 400}
OUT_DIR = Path(__file__).resolve().parents[1] / "ecgbeat" / "datasets" / "data"
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

DESCR = """\
ecgbeat sample: {n} real MIT-BIH Arrhythmia Database heartbeats
===============================================================
{counts}
Records: {records}.

Provenance: built by tools/make_sample.py from the raw PhysioNet records (mitdb 1.0.0) with
fetch_mitbih(split="random", subset="test"): lead MLII (V5 in 102 and 104), R peaks from the
reference annotations, Kachuee et al. (2018) segmentation (125 Hz, 10 s windows scaled to
[0, 1], 1.2 median R-R intervals, zero-padded to 187 samples, float32). Only beats of the TEST
part of the stratified random 80/20 split (seed {split_seed}) are used; per class
{per_class} beats were drawn with numpy.random.default_rng({seed}).choice without
replacement and kept in record/time order. Fields: data, target (AAMI label 0..4), record,
r_peaks (sample index at 360 Hz), symbol (MIT-BIH annotation symbol).

These data are derived from the MIT-BIH Arrhythmia Database, available on PhysioNet under the
Open Data Commons Attribution License v1.0. Please cite:
Moody GB, Mark RG. The impact of the MIT-BIH Arrhythmia Database. IEEE Eng in Med and Biol
20(3):45-50 (2001).
Goldberger AL, Amaral LAN, Glass L, Hausdorff JM, Ivanov PCh, Mark RG, Mietus JE, Moody GB,
Peng C-K, Stanley HE. PhysioBank, PhysioToolkit, and PhysioNet: Components of a New Research
Resource for Complex Physiologic Signals. Circulation 101(23):e215-e220 (2000).
License: Open Data Commons Attribution License v1.0
(https://opendatacommons.org/licenses/by/1-0/).
"""


def build(data_home: Path) -> tuple[dict[str, np.ndarray], str]:
    """Arrays and DESCR text of the sample."""
    test = fetch_mitbih(data_home, split="random", subset="test", download_if_missing=False)
    rng = np.random.default_rng(SAMPLE_SEED)
    chosen = []
    for label, name in enumerate(AAMI_CLASSES):
        idx = np.flatnonzero(test.target == label)
        chosen.append(rng.choice(idx, size=min(PER_CLASS[name], idx.size), replace=False))
    keep = np.sort(np.concatenate(chosen))
    arrays = {
        "data": test.data[keep].astype(np.float32),
        "target": test.target[keep].astype(np.int8),
        "record": test.record[keep],
        "r_peaks": test.r_peaks[keep].astype(np.int32),
        "symbol": test.symbol[keep],
    }
    counts = np.bincount(arrays["target"], minlength=5)
    text = DESCR.format(
        n=keep.size,
        counts="Classes: "
        + ", ".join(f"{c} {n}" for c, n in zip(AAMI_CLASSES, counts, strict=True))
        + ".",
        records=" ".join(np.unique(arrays["record"]).tolist()),
        split_seed=RANDOM_SPLIT_SEED,
        per_class=", ".join(f"{k} {v}" for k, v in PER_CLASS.items()),
        seed=SAMPLE_SEED,
    )
    return arrays, text


def _same_sample(npz: Path, txt: Path, arrays: dict[str, np.ndarray], text: str) -> bool:
    with np.load(npz) as shipped:
        same = set(shipped.files) == set(arrays) and all(
            np.array_equal(shipped[k], arrays[k]) for k in arrays
        )
    return same and txt.read_text(encoding="utf-8") == text


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` verify) the sample files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", type=Path, default=DEFAULT_DATA)
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--check", action="store_true", help="compare with the shipped files")
    what.add_argument(
        "--overwrite", action="store_true", help="replace a shipped sample that differs"
    )
    args = parser.parse_args(argv)
    arrays, text = build(args.data_home)
    npz, txt = OUT_DIR / "mitbih_sample.npz", OUT_DIR / "mitbih_sample.txt"
    shipped = npz.exists() or txt.exists()
    same = npz.exists() and txt.exists() and _same_sample(npz, txt, arrays, text)
    if args.check:
        print("sample is reproducible" if same else "sample DIFFERS from a fresh build")
        return 0 if same else 1
    if same:
        print(f"{npz} and {txt} are already this sample: nothing to write")
        return 0
    if shipped and not args.overwrite:
        parser.error(
            f"the fresh sample differs from the shipped {npz.name} and {txt.name}, which "
            "load_sample gives every user: pass --overwrite to replace them"
        )
    # Both written before either replaces its file: the beats never sit beside the description
    # of others, and a failure leaves the two as they were.
    with replacing(txt) as txt_tmp, replacing(npz, suffix=".npz") as npz_tmp:
        np.savez_compressed(npz_tmp, **arrays)
        txt_tmp.write_text(text, encoding="utf-8")
    print(f"wrote {npz} ({npz.stat().st_size} bytes) and {txt}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
