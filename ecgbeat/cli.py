"""The ``ecgbeat`` command: demo, predict, train, evaluate and data.

Run ``ecgbeat --help`` or ``ecgbeat COMMAND --help``. Heavy libraries (TensorFlow, matplotlib,
wfdb) are imported by the command that needs them, so ``ecgbeat --help`` answers at once.

Exit codes: 0 success, 1 a command failed (bad input file, a record that could not be read...),
2 wrong usage (unknown option, bad value). Errors are one line on stderr, never a traceback;
``ECGBEAT_DEBUG=1`` shows the traceback as well.

Examples
--------
>>> from ecgbeat.cli import main
>>> main(["--version"])  # doctest: +ELLIPSIS
ecgbeat ...
0
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from ecgbeat._backend import import_tensorflow_quietly
from ecgbeat._install import install_hint
from ecgbeat._progress import epoch_bar, progress_bar
from ecgbeat._version import __version__
from ecgbeat.exceptions import ECGBeatError

__all__ = ["build_parser", "main"]

T = TypeVar("T")

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
_AAMI = ("N", "S", "V", "F", "Q")


class _CommandError(ECGBeatError):
    """A command cannot run as asked; its message is shown to the user as is."""


# --------------------------------------------------------------------------- output helpers


def _progress(items: Iterable[T], *, total: int, desc: str, args, unit: str) -> Iterator[T]:
    """A bar on stderr when it is a terminal and ``--quiet`` is not given."""
    enabled = None if not getattr(args, "quiet", False) else False
    return progress_bar(items, total=total, desc=desc, unit=unit, enabled=enabled)


def _info(args, message: str) -> None:
    """Progress messages go to stderr, so that stdout stays clean for tables and JSON."""
    if not getattr(args, "quiet", False):
        print(message, file=sys.stderr)


def _save_figure(fig, path: str, args) -> None:
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    _info(args, f"wrote {path}")


def _use_agg() -> None:
    """Draw off-screen: the command writes image files and must work without a display."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(
            f"pictures need the optional package matplotlib: {install_hint('plot')}"
        ) from exc
    matplotlib.use("Agg")


# --------------------------------------------------------------------------- models and data


def _load_classifier(name_or_path: str, args):
    """A fitted classifier from a shipped model's name or a saved ``.keras`` file."""
    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.pretrained import list_pretrained

    looks_like_path = name_or_path.endswith(".keras") or os.sep in name_or_path
    if not looks_like_path and name_or_path not in list_pretrained():
        shipped = ", ".join(list_pretrained()) or "none"
        raise _CommandError(
            f"no model named {name_or_path!r}: give the path of a .keras file saved by "
            f"'ecgbeat train' or HeartbeatCNNClassifier.save, or a shipped model ({shipped})"
        )
    if looks_like_path and not Path(name_or_path).is_file():
        raise _CommandError(f"model file {name_or_path} not found")
    _info(args, f"loading model {name_or_path}")
    return HeartbeatCNNClassifier.from_pretrained(name_or_path)


def _normal_class(classifier, args) -> str | None:
    from ecgbeat.records import resolve_normal_class

    try:
        return resolve_normal_class(classifier, _class_names(classifier), args.normal_class)
    except ValueError as exc:
        raise _CommandError(f"--normal-class: {exc}") from None


def _class_names(classifier) -> list[str]:
    # records (and with it SciPy and wfdb) loads when a command needs it, not for --help.
    from ecgbeat.records import resolve_class_names

    return resolve_class_names(classifier)


def _predict_proba(classifier, X, args, desc: str = "classifying"):
    """``predict_proba`` in chunks, so that a long run shows a progress bar."""
    import numpy as np

    step = 1024
    starts = range(0, len(X), step)
    parts = [
        classifier.predict_proba(X[start : start + step])
        for start in _progress(starts, total=len(starts), desc=desc, args=args, unit="batch")
    ]
    if not parts:
        return np.zeros((0, len(classifier.classes_)))
    return np.concatenate(parts)


def _load_labelled_data(
    args, *, subset: str, rhythm: bool = False, refine_radius=None, detector=None, before_r=0.0
):
    """Beats, integer labels and class names from ``--data`` (``mitbih`` or a Kaggle CSV).

    ``rhythm`` appends the R-R features, ``refine_radius`` refines the R peaks and ``detector``
    cuts the beats at detected peaks (MIT-BIH only; the detections that match no reference beat
    are then rows of one more label, ``len(names)``: see
    :func:`ecgbeat.evaluation.with_unmatched_detections`).
    """
    import numpy as np

    if args.data == "mitbih":
        from ecgbeat.datasets import fetch_mitbih

        split = args.split or "random"
        if subset != "all":
            _info(args, f"loading MIT-BIH, {split} split, {subset} part")
        bunch = fetch_mitbih(
            args.data_home,
            split=split,
            subset=subset,
            records=args.records,
            download_if_missing=not args.no_download,
            progress=False if args.quiet else None,
            detector=detector,
            refine_radius=refine_radius,
            before_r=before_r,
            rhythm=rhythm,
        )
        from ecgbeat.evaluation import with_unmatched_detections

        X, y = with_unmatched_detections(bunch)
        names = list(bunch.target_names)
    else:
        if rhythm or detector is not None or before_r:
            raise _CommandError(
                "a CSV of beats has no recording to take R-R intervals or R peaks from: the "
                "model reads rhythm features or beats that start before the R peak, or "
                "--detector was given; use --data mitbih"
            )
        from ecgbeat.datasets import load_heartbeat_csv

        if args.split is not None:
            raise _CommandError(
                "--split applies to --data mitbih; a CSV is used whole (the Kaggle release "
                "ships its train and test parts as separate files)"
            )
        if args.records:
            raise _CommandError("--records applies to --data mitbih, not to a CSV")
        names = args.class_names.split(",") if args.class_names else list(_AAMI)
        bunch = load_heartbeat_csv(args.data, target_names=names)
        X, y = bunch.data, bunch.target
    if args.max_beats is not None and args.max_beats < len(y):
        from sklearn.model_selection import train_test_split

        keep, _ = train_test_split(
            np.arange(len(y)),
            train_size=args.max_beats,
            stratify=y if np.bincount(y).min() >= 2 else None,
            random_state=0,
        )
        X, y = X[np.sort(keep)], y[np.sort(keep)]
    if len(y) == 0:
        raise _CommandError(f"no beats in {args.data}")
    return X, y, names


# --------------------------------------------------------------------------- commands


def _cmd_demo(args) -> int:
    """Classify the sample beats that ship with ecgbeat and report how well it went."""
    import numpy as np

    from ecgbeat.datasets import load_sample
    from ecgbeat.evaluation import classification_metrics, format_report

    classifier = _load_classifier(args.model, args)
    sample = load_sample()
    names = _class_names(classifier)
    if [str(c) for c in classifier.classes_] != [str(i) for i in range(len(sample.target_names))]:
        if names != list(sample.target_names):
            raise _CommandError(
                f"model {args.model} predicts classes {names}; the demo's sample beats are "
                f"labelled with the AAMI classes {list(sample.target_names)}"
            )
    proba = _predict_proba(classifier, sample.data, args)
    y_pred = np.argmax(proba, axis=1)
    metrics = classification_metrics(sample.target, y_pred, target_names=sample.target_names)
    print(
        format_report(
            metrics,
            title=f"ecgbeat demo: model {args.model} on the {len(sample.target)} sample "
            "MIT-BIH beats that ship with ecgbeat (test part of the random split)",
        )
    )
    counts = ", ".join(
        f"{n} {name}"
        for name, n in zip(sample.target_names, np.bincount(sample.target), strict=False)
    )
    card = getattr(classifier, "model_card_", None) or {}
    whole = card.get("test_metrics", {}).get("accuracy")
    print(
        f"\nThe sample is class-rebalanced ({counts}), where MIT-BIH's beats are 83 % N: its "
        "accuracy weighs the rare, harder classes far more"
        + (
            f", so it is lower than on the whole test part ({100 * whole:.2f} %, model card)."
            if whole is not None
            else "."
        )
    )
    if args.no_plot:
        return EXIT_OK
    try:
        _use_agg()
    except ImportError as exc:
        # The report is the main result; the picture is a bonus that needs an extra.
        print(f"\nno picture: {exc}", file=sys.stderr)
        return EXIT_OK
    from ecgbeat.plot import plot_beats_by_class

    fig, _ = plot_beats_by_class(
        sample.data, sample.target, y_pred=y_pred, class_names=sample.target_names, n_per_class=4
    )
    fig.suptitle(
        f"Sample beats by true class (rows), coloured by the class {args.model} predicts; "
        "errors on grey"
    )
    _save_figure(fig, args.out, args)
    print(f"\npicture of example beats (true and predicted class): {args.out}")
    return EXIT_OK


def _check_output(output: Path, inputs: list[Path]) -> None:
    """Refuse, before any work, an output that is a folder or one of the input files."""
    from ecgbeat.records import input_kind

    if output.is_dir():
        raise _CommandError(f"--output {output} is a folder: give a file name")
    target = output.resolve()
    for path in inputs:
        # A WFDB record is several files (100.hea, 100.dat, 100.atr...); a CSV is itself.
        files = path.parent.glob(path.name + ".*") if input_kind(path) == "record" else [path]
        for file in files:
            if file.resolve() == target:
                raise _CommandError(
                    f"--output {output} is one of the inputs ({file}): ecgbeat never writes "
                    "over its input; give another file name"
                )


def _record_path(item: str) -> Path:
    path = Path(item)
    return path.with_suffix("") if path.suffix.lower() == ".hea" else path


def _classify_each(items, make_table, tables: list, paths: dict, errors: dict) -> None:
    """Tables of ``(item, path)`` inputs; a failure is recorded in ``errors``, the others go on."""
    for item, path in items:
        try:
            table = make_table(path)
        except (ECGBeatError, OSError, ValueError, ImportError) as exc:
            errors[item] = str(exc)
            continue
        except Exception as exc:  # one odd input must not cost the others
            errors[item] = f"{type(exc).__name__}: {exc}"
            continue
        tables.append(table)
        paths[table.record] = path


def _format_summary(table) -> str:
    summary = table.summary()
    counts = "  ".join(f"{name} {count}" for name, count in summary["counts"].items())
    duration = "" if table.fs != table.fs else f", {summary['duration_s']} s"
    return (
        f"{summary['record']}: {summary['beats']} beats{duration}; {counts}; "
        f"ectopic burden {100 * summary['ectopic_burden']:.1f} %"
    )


def _strip_start(table, duration: float) -> float:
    """Start the strip a little before the first non-normal beat, so that it shows one."""
    import numpy as np

    abnormal = np.flatnonzero(table.label != (table.normal_class or "N"))
    if not abnormal.size:
        return 0.0
    return max(0.0, float(table.time[abnormal[0]]) - duration / 3)


def _plot_strips(tables, paths: dict[str, Path], args) -> None:
    _use_agg()
    from ecgbeat.datasets import read_lead, read_signal
    from ecgbeat.plot import plot_strip
    from ecgbeat.records import input_kind

    plotted = [t for t in tables if t.fs == t.fs]
    for table in plotted:
        out = Path(args.plot)
        if len(plotted) > 1:
            out = out.with_name(f"{out.stem}-{table.record}{out.suffix}")
        path = paths[table.record]
        if input_kind(path) == "record":
            signal, fs, lead, _ = read_lead(path, [table.lead], table.record)
        else:
            signal, fs, lead = read_signal(path, [table.lead], table.fs)
        start = args.plot_start if args.plot_start is not None else _strip_start(table, 10.0)
        fig, _ = plot_strip(
            signal,
            fs,
            table.sample,
            table.label,
            class_names=table.class_names,
            start=start,
            duration=args.plot_seconds,
            title=f"record {table.record}, lead {lead}",
        )
        fig.tight_layout()
        _save_figure(fig, str(out), args)


def _cmd_predict(args) -> int:
    """Classify every beat of WFDB records, signal files (EDF; CSV, .npy with --fs) or CSV beats."""
    from ecgbeat.records import DEFAULT_MODEL, classify_file, input_kind, write_csv

    if args.plot is not None:
        _use_agg()  # fail before the long work when the picture cannot be drawn
    items = [(item, _record_path(item)) for item in args.records]
    if args.output is not None:
        _check_output(Path(args.output), [p for _, p in items])
    # Inputs that are not there fail now, before the model loads (seconds) for nothing.
    errors = {}
    for item, path in items:
        own_file = input_kind(path) != "record"
        needed = path if own_file else path.with_name(path.name + ".hea")
        if not needed.is_file():
            where = "" if own_file else f"record {path.name}: header file "
            errors[item] = f"{where}{needed} not found"
    kinds = {item: input_kind(path, args.fs) for item, path in items if item not in errors}
    # Beats in a CSV have no recording around them: no R-R intervals, so not the rhythm model.
    models = {}
    if {"record", "signal"} & set(kinds.values()):
        models["record"] = models["signal"] = _load_classifier(args.model or DEFAULT_MODEL, args)
    if "beats" in kinds.values():
        reuse = args.model is not None and models
        models["beats"] = (
            models["record"] if reuse else _load_classifier(args.model or "mitbih", args)
        )
    for model in models.values():
        # The burden needs the normal class: refuse before the work, not after it.
        if _normal_class(model, args) is None and args.summary:
            raise _CommandError(
                f"--summary needs the normal class, and none of the model's classes "
                f"{_class_names(model)} is 'N': give --normal-class NAME"
            )
    tables, paths = [], {}
    on_dask = [(i, p) for i, p in items if kinds.get(i) == "record" and args.dask is not None]
    if on_dask:
        tables_d, errors_d = _predict_dask(on_dask, models["record"], args)
        tables += tables_d
        errors.update(errors_d)
        paths.update({p.name: p for _, p in on_dask})

    def table_of(path):
        model = models[input_kind(path, args.fs)]
        return classify_file(
            path,
            model,
            fs=args.fs,
            lead=args.lead,
            annotations=args.annotations,
            detector=args.detector,
            class_names=_class_names(model),
            normal_class=args.normal_class,
        )

    here = [(i, p) for i, p in items if i in kinds and (i, p) not in on_dask]
    n_records = sum(kinds[i] == "record" for i, _ in here)
    here = (
        _progress(here, total=len(here), desc="records", args=args, unit="record")
        if (n_records)
        else here
    )
    _classify_each(here, table_of, tables, paths, errors)
    for item, message in errors.items():
        # Most messages name their file already: "x.csv: x.csv: ..." says it twice.
        where = "" if message.startswith(item) else f"{item}: "
        print(f"ecgbeat predict: {where}{message}", file=sys.stderr)

    table_to_stdout = args.csv or (args.output is None and not args.summary)
    if args.output is not None and tables:
        # Atomically, and only with something to write: a run in which every input failed leaves
        # an existing file as it was.
        write_csv(tables, args.output)
        _info(
            args, f"wrote {sum(map(len, tables))} beats of {len(tables)} record(s) to {args.output}"
        )
    elif args.output is not None:
        _info(args, f"no beats classified: {args.output} not written")
    if table_to_stdout and tables:
        write_csv(tables, sys.stdout)
    if args.summary:
        # Beside a CSV on stdout the summary goes to stderr, so that the CSV stays parseable.
        stream = sys.stderr if table_to_stdout else sys.stdout
        for table in tables:
            print(_format_summary(table), file=stream)
    if args.plot is not None and tables:
        _plot_strips(tables, paths, args)
    if errors:
        print(
            f"ecgbeat predict: {len(errors)} of {len(args.records)} input(s) failed",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    return EXIT_OK


def _predict_dask(items, classifier, args):
    try:
        from ecgbeat.distributed import classify_records
    except ImportError as exc:
        raise _CommandError(
            f"--dask needs ecgbeat.distributed and dask: {install_hint('dask')} ({exc})"
        ) from exc
    _info(args, f"classifying {len(items)} record(s) on the Dask cluster at {args.dask}")
    # Absolute paths: the workers do not share our working directory (a shared file system).
    result = classify_records(
        [str(path.resolve()) for _, path in items],
        classifier,
        client=args.dask,
        lead=args.lead,
        annotations=args.annotations,
        detector=args.detector,
        class_names=_class_names(classifier),
        normal_class=args.normal_class,
    )
    by_resolved = {str(path.resolve()): item for item, path in items}
    errors = {}
    for key, message in result.errors.items():
        errors[by_resolved.get(str(key), str(key))] = message
    return list(result.tables), errors


#: The estimator's parameters that ``ecgbeat train`` sets, each from the option of its name.
_TRAIN_PARAMETERS = (
    "architecture", "epochs", "batch_size", "learning_rate", "class_weight", "max_class_ratio",
    "lr_schedule", "lr_cycle_epochs", "freeze_conv", "random_state",
)  # fmt: skip


def _cmd_train(args) -> int:
    """Train a classifier and save it."""
    import numpy as np

    from ecgbeat import HeartbeatCNNClassifier

    if not args.output.endswith(".keras"):
        raise _CommandError(f"--output must end in .keras, got {args.output}")
    if Path(args.output).exists() and not args.force:
        raise _CommandError(f"{args.output} exists: pass --force to replace it")
    if args.freeze_conv and args.pretrained is None:
        raise _CommandError("--freeze-conv keeps pretrained convolutions: give --pretrained too")
    params = {name: getattr(args, name) for name in _TRAIN_PARAMETERS}
    params["class_weight"] = None if args.class_weight == "none" else args.class_weight
    if args.pretrained is not None:
        from ecgbeat.pretrained import load

        source = load(args.pretrained)  # before the data: a wrong name fails at once
        params["architecture"] = source.architecture
        params["pretrained"] = args.pretrained
    X, y, names = _load_labelled_data(args, subset="train" if args.data == "mitbih" else "all")
    bar = epoch_bar(enabled=False if args.quiet else None, epochs=args.epochs)
    clf = HeartbeatCNNClassifier(**params, callbacks=[bar] if bar else None)
    counts = ", ".join(
        f"{n} {c}" for n, c in zip(names, np.bincount(y, minlength=len(names)), strict=True)
    )
    _info(args, f"training a {clf.architecture!r} network on {len(y)} beats ({counts})")
    clf.fit(X, y)
    clf.callbacks = None
    source_name = "MIT-BIH" if args.data == "mitbih" else Path(args.data).name
    clf.model_card_ = {
        "target_names": names,
        "data": {
            "source": source_name,
            "split": (args.split or "random") if args.data == "mitbih" else None,
            "n_train": len(y),
        },
        "command": "ecgbeat train " + " ".join(args.argv),
    }
    clf.save(args.output)
    best = clf.history_
    val = best.get("val_loss")
    message = f"trained {clf.n_epochs_} epoch(s), kept epoch {clf.best_epoch_}"
    if val:
        message += f" (validation loss {val[clf.best_epoch_ - 1]:.4f})"
    print(f"{message}; saved {args.output}")
    return EXIT_OK


def _cmd_evaluate(args) -> int:
    """Evaluate a saved or shipped model on labelled beats."""
    import numpy as np

    from ecgbeat.evaluation import aami_metrics, classification_metrics, format_report

    classifier = _load_classifier(args.model, args)
    subset = args.subset if args.data == "mitbih" else "all"
    if args.detector is not None and (args.split or "random") == "random" and subset != "all":
        raise _CommandError(
            "--detector needs whole records (--split inter-patient, or --subset all): the "
            "random split divides beats, and a detection that matches no beat has no part"
        )
    from ecgbeat.records import beat_cutting

    X, y, names = _load_labelled_data(
        args, subset=subset, detector=args.detector, **beat_cutting(classifier)
    )
    classes = [str(c) for c in classifier.classes_]
    if classes != [str(i) for i in range(len(classes))] or len(classes) > len(names):
        raise _CommandError(
            f"model {args.model} has classes {classes}; the data's labels are 0..{len(names) - 1} "
            f"({', '.join(names)})"
        )
    proba = _predict_proba(classifier, X, args)
    y_pred = classifier.classes_[np.argmax(proba, axis=1)].astype(np.int64)
    if args.data == "mitbih":
        metrics = aami_metrics(y, y_pred, target_names=names)
    else:
        metrics = classification_metrics(y, y_pred, target_names=names)
    where = (
        f"MIT-BIH, {args.split or 'random'} split, {subset} part"
        if args.data == "mitbih"
        else args.data
    )
    if args.detector is not None:
        where += f", beats at {args.detector} peaks"
    if args.json:
        result = {"model": args.model, "data": where, "n_beats": len(y), **metrics}
        print(json.dumps(result, indent=1))
    else:
        print(format_report(metrics, title=f"model {args.model} on {where}"))
    return EXIT_OK


def _cmd_data(args) -> int:
    """Build the MIT-BIH beat cache, or show what it holds, with the counts per class."""
    import numpy as np

    from ecgbeat.datasets import AAMI_CLASSES, fetch_mitbih, get_data_home

    home = get_data_home(args.data_home)
    splits = [args.split] if args.split else ["random", "inter-patient"]
    download = not (args.info or args.no_download)
    if args.info:
        cache = home / "cache"
        files = sorted(cache.glob("*.npz")) if cache.is_dir() else []
        size = sum(f.stat().st_size for f in files)
        print(f"data home   {home}")
        print(f"raw records {home / 'mitdb'} ({len(list((home / 'mitdb').glob('*.hea')))} headers)")
        print(f"beat cache  {cache} ({len(files)} files, {size / 1e6:.1f} MB)")
        print()
    rows = []
    for split in splits:
        bunch = fetch_mitbih(
            home,
            split=split,
            records=args.records,
            download_if_missing=download,
            progress=False if args.quiet else None,
            cache=not args.info,  # --info only reads: it writes no cache
        )
        for part, mask in (("train", ~bunch.is_test), ("test", bunch.is_test)):
            counts = np.bincount(bunch.target[mask], minlength=len(AAMI_CLASSES))
            n_records = len(np.unique(bunch.record[mask]))
            rows.append((split, part, n_records, *counts.tolist(), int(mask.sum())))
    header = ("split", "part", "records", *AAMI_CLASSES, "total")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print(
            "  ".join(
                f"{v!s:>{w}}" if i > 1 else f"{v!s:<{w}}"
                for i, (v, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return EXIT_OK


# --------------------------------------------------------------------------- parser


def _mitbih_options() -> argparse.ArgumentParser:
    """The options of every command that reads the MIT-BIH records: where, which, no download."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--data-home",
        metavar="DIR",
        help="folder holding mitdb/ (default: $ECGBEAT_DATA or ~/ecgbeat_data)",
    )
    parent.add_argument(
        "--records", nargs="+", metavar="NNN", help="only these MIT-BIH records (e.g. 100 101)"
    )
    parent.add_argument("--no-download", action="store_true", help="never download from PhysioNet")
    return parent


def _add_data_options(parser: argparse.ArgumentParser, *, evaluate: bool) -> None:
    parser.add_argument(
        "--data",
        required=True,
        metavar="mitbih|CSV",
        help="'mitbih' (the MIT-BIH Arrhythmia Database, read from --data-home) or a CSV of "
        "labelled beats in the Kaggle layout (187 samples then the label)",
    )
    parser.add_argument(
        "--split",
        choices=["random", "inter-patient"],
        help="MIT-BIH split (default: random, the Kaggle-style 80/20 split; inter-patient: "
        "train on DS1, test on DS2)",
    )
    if evaluate:
        parser.add_argument(
            "--subset",
            choices=["test", "train", "all"],
            default="test",
            help="part of the split to evaluate on (default: test)",
        )
    parser.add_argument(
        "--max-beats",
        type=_positive_int,
        metavar="N",
        help="use a stratified subsample of N beats (for a quick try)",
    )
    parser.add_argument(
        "--class-names",
        metavar="A,B,...",
        help="names of the CSV's labels 0, 1, ... (default: N,S,V,F,Q; PTB: normal,abnormal)",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def _class_ratio(text: str) -> float | None:
    if text == "none":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number or 'none': {text!r}") from None
    if not value >= 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``ecgbeat`` command.

    Returns
    -------
    argparse.ArgumentParser

    Examples
    --------
    >>> from ecgbeat.cli import build_parser
    >>> args = build_parser().parse_args(["predict", "mitdb/100", "--model", "mitbih"])
    >>> args.command, args.records, args.model
    ('predict', ['mitdb/100'], 'mitbih')
    """
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's default must not undo an 'ecgbeat -q COMMAND' given before it.
    common.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="no progress bars or progress messages",
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the libraries' start-up and diagnostic output",
    )
    parser = argparse.ArgumentParser(
        prog="ecgbeat",
        description="Classify single ECG heartbeats (AAMI classes N, S, V, F, Q) with "
        "convolutional networks: try the shipped model, classify your recordings, train and "
        "evaluate models.",
        epilog="Run 'ecgbeat COMMAND --help' for the options of a command. Start with "
        "'ecgbeat demo'.",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bars or progress messages"
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show the libraries' start-up and diagnostic output (TensorFlow's log lines, "
        "deprecation warnings), which is held back by default",
    )
    parser.add_argument("--version", action="version", version=f"ecgbeat {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        parents=[common],
        help="classify the sample beats that ship with ecgbeat (offline, seconds)",
        description="Load the pretrained model, classify the 2,850 real MIT-BIH sample beats "
        "that ship with ecgbeat, print the per-class report and the confusion matrix, and "
        "draw example beats with their true and predicted classes.",
    )
    demo.add_argument(
        "--model", default="mitbih", help="model name or .keras file (default: mitbih)"
    )
    demo.add_argument(
        "--out", default="ecgbeat-demo.png", help="picture to write (default: ecgbeat-demo.png)"
    )
    demo.add_argument("--no-plot", action="store_true", help="print the report only")
    demo.set_defaults(func=_cmd_demo)

    predict = sub.add_parser(
        "predict",
        parents=[common],
        help="classify every beat of WFDB records or CSV files of beats",
        description="Classify every beat of WFDB records (path without extension, or the .hea "
        "file) or of CSV files of beats (one beat per row, Kaggle layout; a label column is "
        "ignored). Writes one CSV row per beat: record, sample (R-peak index; the row number "
        "for CSV input), time_s, label, and one probability column per class. Records that "
        "fail are reported on stderr and the others still classified; the exit code is 1 if "
        "any failed.",
    )
    predict.add_argument(
        "records",
        nargs="+",
        metavar="RECORD",
        help="WFDB record, EDF/EDF+ file (pip install ecgbeat[edf]), CSV file of beats, or "
        "signal file (.csv, .npy; with --fs)",
    )
    predict.add_argument(
        "--model",
        help="model name or .keras file (default: mitbih-rhythm for records, the model for new "
        "patients; mitbih for CSV files of beats, which carry no R-R intervals)",
    )
    predict.add_argument(
        "--lead",
        action="append",
        metavar="NAME",
        help="lead to classify; repeat to give names tried in order (default: MLII, II, V5..., "
        "then the record's first ECG lead)",
    )
    predict.add_argument(
        "--annotations",
        metavar="EXT",
        help="take the R peaks from this annotation file (e.g. atr) instead of detecting them",
    )
    predict.add_argument(
        "--fs",
        type=_positive_float,
        metavar="HZ",
        help="sampling rate of signal files: with it, .csv and .npy inputs are signals, one "
        "column per lead (a CSV may name its columns in a header row); without it a .csv "
        "holds beats. EDF files state their own rate",
    )
    predict.add_argument(
        "--detector",
        default="pan-tompkins",
        choices=["pan-tompkins", "threshold"],
        help="QRS detector when no annotations are given (default: pan-tompkins)",
    )
    predict.add_argument(
        "--csv",
        action="store_true",
        help="write the per-beat CSV to stdout (the default without --output or --summary)",
    )
    predict.add_argument("-o", "--output", metavar="FILE", help="write the per-beat CSV to FILE")
    predict.add_argument(
        "--summary",
        action="store_true",
        help="print beats per class and the ectopic burden of each record",
    )
    predict.add_argument(
        "--normal-class",
        metavar="NAME",
        help="the class that is normal in the ectopic burden (default: the model card's, else "
        "N); every other class counts as ectopic",
    )
    predict.add_argument(
        "--plot", metavar="PNG", help="draw a strip of each record with its beats coloured by class"
    )
    predict.add_argument(
        "--plot-start",
        type=float,
        metavar="SECONDS",
        help="start of the strip (default: just before the first non-N beat)",
    )
    predict.add_argument(
        "--plot-seconds",
        type=_positive_float,
        default=10.0,
        metavar="SECONDS",
        help="length of the strip (default: 10)",
    )
    predict.add_argument(
        "--dask",
        metavar="SCHEDULER",
        help="classify the records on a Dask cluster (scheduler address, e.g. tcp://host:8786)",
    )
    predict.set_defaults(func=_cmd_predict)

    mitbih = _mitbih_options()
    train = sub.add_parser(
        "train",
        parents=[common, mitbih],
        help="train a classifier and save it as a .keras file",
        description="Train a HeartbeatCNNClassifier on the training part of a MIT-BIH split "
        "or on a CSV of labelled beats, and save it (evaluate it with 'ecgbeat evaluate').",
    )
    _add_data_options(train, evaluate=False)
    train.add_argument(
        "-o",
        "--output",
        default="ecgbeat-model.keras",
        help="model file to write (default: ecgbeat-model.keras); an existing file is "
        "replaced only with --force",
    )
    train.add_argument(
        "--force", action="store_true", help="replace the --output model file if it exists"
    )
    train.add_argument(
        "--architecture",
        choices=["cnn", "resnet"],
        default="cnn",
        help="the reference CNN or its residual network (Kachuee et al. 2018; default: cnn)",
    )
    train.add_argument(
        "--epochs",
        type=_positive_int,
        default=48,
        help="at most this many epochs; the best end of a cycle is kept (default: 48)",
    )
    train.add_argument(
        "--batch-size", type=_positive_int, default=128, help="beats per step (default: 128)"
    )
    train.add_argument(
        "--learning-rate",
        type=_positive_float,
        default=1e-3,
        help="mean learning rate of each cosine cycle, which starts at twice it (default: 0.001)",
    )
    train.add_argument(
        "--class-weight",
        choices=["none", "balanced"],
        default="none",
        help="weigh the classes in the loss: 'balanced' by the inverse of their counts "
        "(default: none)",
    )
    train.add_argument(
        "--max-class-ratio",
        type=_class_ratio,
        default=3.0,
        help="undersample dominant classes: each epoch draws at most this many times the "
        "median class count of any class; 'none' trains on every beat (default: 3)",
    )
    train.add_argument(
        "--lr-schedule",
        choices=["cosine_restarts", "plateau"],
        default="cosine_restarts",
        help="learning rate: cosine annealing with warm restarts (default), or decay on plateau",
    )
    train.add_argument(
        "--lr-cycle-epochs",
        type=_positive_int,
        default=16,
        help="first cycle of --lr-schedule cosine_restarts, in epochs (default: 16)",
    )
    train.add_argument(
        "--random-state",
        type=int,
        default=0,
        help="seed of the validation split, the draws and the network (default: 0); the same "
        "seed gives the same model on the same kind of CPU",
    )
    train.add_argument(
        "--pretrained", metavar="NAME_OR_PATH", help="start from these weights (transfer learning)"
    )
    train.add_argument(
        "--freeze-conv", action="store_true", help="train only the dense head (needs --pretrained)"
    )
    train.set_defaults(func=_cmd_train)

    evaluate = sub.add_parser(
        "evaluate",
        parents=[common, mitbih],
        help="evaluate a saved or shipped model on labelled beats",
        description="Evaluate a model (a shipped name or a .keras file) on a MIT-BIH split or "
        "a CSV of labelled beats: per-class precision, recall, F1, accuracy, macro-F1 and the "
        "confusion matrix.",
    )
    evaluate.add_argument("model", metavar="MODEL", help="model name or .keras file")
    _add_data_options(evaluate, evaluate=True)
    evaluate.add_argument(
        "--detector",
        choices=["pan-tompkins", "threshold"],
        help="cut the MIT-BIH beats at this detector's R peaks instead of the annotated ones; "
        "each takes the class of the reference beat within 150 ms, and detections of no beat "
        "count as false positives (class '(none)')",
    )
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluate.set_defaults(func=_cmd_evaluate)

    data = sub.add_parser(
        "data",
        parents=[common, mitbih],
        help="build or inspect the MIT-BIH beat cache",
        description="Build the MIT-BIH beats (downloading the records if missing) and their "
        "cache, and print the beats per class in each part of each split. With --info, only "
        "read what is on disk (no download).",
    )
    data.add_argument(
        "--split", choices=["random", "inter-patient"], help="only this split (default: both)"
    )
    data.add_argument(
        "--info",
        action="store_true",
        help="show the data home, the cache and the class counts; only reads (no download, no "
        "cache written)",
    )
    data.set_defaults(func=_cmd_data)
    return parser


#: The commands that run a network, and so load TensorFlow.
_TENSORFLOW_COMMANDS = {"demo", "predict", "train", "evaluate"}


def _quiet_libraries(command: str) -> None:
    """Hold back the libraries' start-up noise, unless the user asked for it (``-v``) or set it.

    TensorFlow's native start-up lines and its "failed call to cuInit" on machines without a
    GPU read like failures; so does the DeprecationWarning that Keras triggers under NumPy 2
    every epoch. A ``TF_CPP_MIN_LOG_LEVEL`` or a warnings option (``-W``, ``PYTHONWARNINGS``)
    that the user set is left as it is.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if not sys.warnoptions:
        warnings.filterwarnings(
            "ignore", message=r"__array__ implementation doesn't accept a copy keyword"
        )
    if command in _TENSORFLOW_COMMANDS:
        import_tensorflow_quietly()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ecgbeat`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        The exit code: 0 success, 1 failure, 2 wrong usage.

    Examples
    --------
    >>> from ecgbeat.cli import main
    >>> main(["predict"])  # doctest: +SKIP
    2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    args.argv = argv
    if not args.verbose:
        _quiet_libraries(args.command)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("ecgbeat: interrupted", file=sys.stderr)
        return 130
    except (ECGBeatError, OSError, ValueError, ImportError, KeyError) as exc:
        if os.environ.get("ECGBEAT_DEBUG"):
            raise
        message = str(exc) if not isinstance(exc, KeyError) else f"missing {exc}"
        print(f"ecgbeat {args.command}: error: {message}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as exc:  # a bug or a library's surprise: still one line, with its type
        if os.environ.get("ECGBEAT_DEBUG"):
            raise
        print(
            f"ecgbeat {args.command}: unexpected error: {type(exc).__name__}: {exc} "
            "(ECGBEAT_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILURE
