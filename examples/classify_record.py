"""Classify a raw ECG recording end to end, and draw what was found.

A WFDB record (header + signal file) goes through QRS detection, beat segmentation and the
pretrained classifier; the result is one row per beat, a summary (beats per class, ectopic
burden), a picture of a strip with the beats coloured by class, and a Grad-CAM picture of the
first ventricular beat. When the record has reference annotations (``.atr``), the predicted
classes are compared with the cardiologists' labels.

    python examples/classify_record.py ~/ecgbeat_data/mitdb/208 --out figures/

Without a record, it takes ``mitdb/208`` from the data home, or, when the database is not on
disk, the first minute of that record, which ships beside this script (``examples/data/``).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # writes files; needs no display

import numpy as np

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat.datasets import AAMI_CLASSES, AAMI_SYMBOLS, get_data_home
from ecgbeat.plot import plot_saliency, plot_table_strip
from ecgbeat.records import classify_record

QUICK = os.environ.get("ECGBEAT_EXAMPLE_QUICK") == "1"
#: The first minute of record 208, for a run without the database (see data/README.md).
EXCERPT = Path(__file__).resolve().parent / "data" / "mitdb208_60s"


def default_record() -> str:
    """Record 208 from the data home if it is there, else the minute that ships here."""
    full = get_data_home() / "mitdb" / "208"
    return str(full if full.with_suffix(".hea").is_file() else EXCERPT)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "record",
        nargs="?",
        default=default_record(),
        help="WFDB record path without extension (default: mitdb/208 in the data home, or "
        "its first minute, shipped in examples/data/)",
    )
    parser.add_argument(
        "--model",
        default=os.environ.get("ECGBEAT_EXAMPLE_MODEL", "mitbih"),
        help="model name or .keras file (default: mitbih)",
    )
    parser.add_argument("--out", default=".", help="folder for the pictures")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    clf = HeartbeatCNNClassifier.from_pretrained(args.model)
    table = classify_record(args.record, clf)  # R peaks from the Pan-Tompkins detector
    summary = table.summary()
    print(
        f"record {table.record} (lead {table.lead}): {summary['beats']} beats in "
        f"{summary['duration_s']} s, ectopic burden {summary['ectopic_burden']:.1%}"
    )
    print("beats per class:", summary["counts"])

    # Agreement with the reference annotations, beat by beat (R peaks within 150 ms).
    record = Path(args.record)
    if record.with_suffix(".atr").is_file():
        import wfdb

        ann = wfdb.rdann(str(record), "atr")
        symbols = np.asarray(ann.symbol)
        is_beat = np.isin(symbols, list(AAMI_SYMBOLS))
        ref_samples = np.asarray(ann.sample)[is_beat]
        ref_labels = np.array([AAMI_CLASSES[AAMI_SYMBOLS[s]] for s in symbols[is_beat]])
        nearest = np.clip(np.searchsorted(ref_samples, table.sample), 1, len(ref_samples) - 1)
        left = ref_samples[nearest - 1]
        pick = np.where(
            table.sample - left < ref_samples[nearest] - table.sample, nearest - 1, nearest
        )
        matched = np.abs(ref_samples[pick] - table.sample) <= 0.15 * table.fs
        agree = np.mean(ref_labels[pick][matched] == table.label[matched])
        print(
            f"{matched.sum()} beats matched to the reference annotations; "
            f"the classes agree on {agree:.1%} of them"
        )

    import wfdb

    signal = wfdb.rdrecord(args.record, channel_names=[table.lead]).p_signal[:, 0]
    fig, _ = plot_table_strip(table, signal)  # starts just before the first ectopic beat
    fig.tight_layout()
    fig.savefig(out / f"{table.record}-strip.png", dpi=110)
    print(f"wrote {out / f'{table.record}-strip.png'}")

    ventricular = np.flatnonzero(table.label == "V")
    if ventricular.size:
        from ecgbeat.beats import cut_beats, feature_rows
        from ecgbeat.qrs import detect_r_peaks
        from ecgbeat.records import beat_cutting

        # The rows classify_record gave the model (the beat, then the R-R and template columns
        # where the model reads them), cut the same way at the same R peaks: beat i is row i.
        cut = beat_cutting(clf)
        columns = {key: cut.pop(key) for key in ("rhythm", "template", "zscores")}
        segments, rr = cut_beats(signal, table.fs, detect_r_peaks(signal, table.fs), **cut)
        rows = feature_rows(segments.beats, rr, **columns)
        fig, _ = plot_saliency(clf, rows[ventricular[0]])
        fig.savefig(out / f"{table.record}-saliency.png", dpi=110)
        print(f"wrote {out / f'{table.record}-saliency.png'}")
    return summary


if __name__ == "__main__":
    main()
