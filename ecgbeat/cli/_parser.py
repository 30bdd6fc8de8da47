"""The ``ecgbeat`` command's argument parser: one subparser per command, shared options as parents."""

from __future__ import annotations

import argparse
import math

from ecgbeat._version import __version__
from ecgbeat.cli._commands import cmd_data, cmd_demo, cmd_evaluate, cmd_train
from ecgbeat.cli._predict import cmd_predict

__all__ = ["build_parser"]


def _mitbih_options() -> argparse.ArgumentParser:
    """The options of every command that reads the MIT-BIH records: where, which, no download."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--data-home",
        type=_folder,
        metavar="DIR",
        help="folder holding mitdb/ (default: $ECGBEAT_DATA or ~/ecgbeat_data)",
    )
    parent.add_argument(
        "--records", nargs="+", metavar="NNN", help="only these MIT-BIH records (e.g. 100 101)"
    )
    parent.add_argument("--no-download", action="store_true", help="never download from PhysioNet")
    return parent


def _folder(text: str) -> str:
    """``--data-home``, refused when empty (an unset shell variable: ``--data-home "$DIR"``):
    the error named the Python parameter ``data_home`` and offered None, with exit code 1, and
    train and evaluate told it only after the model had loaded."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            f"empty ({text!r}): give a folder, or leave --data-home out for the default "
            "($ECGBEAT_DATA, else ~/ecgbeat_data)"
        )
    return text


def _add_data_options(parser: argparse.ArgumentParser, *, evaluate: bool) -> None:
    parser.add_argument(
        "--data",
        required=True,
        metavar="mitbih|CSV",
        help="'mitbih' (the MIT-BIH Arrhythmia Database, read from --data-home) or a CSV of "
        "labelled beats in the Kaggle layout (187 samples, or as many as the model reads, "
        "then the label)",
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
            help="part of the MIT-BIH split to evaluate on (default: test)",
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
        type=_class_names,
        help="names of the CSV's labels 0, 1, ... (a CSV only) "
        "(default: N,S,V,F,Q; give normal,abnormal for a PTB CSV)",
    )


def _class_names(text: str) -> str:
    """``--class-names``, refused when a name is empty or given twice: two classes of one name
    could not be told apart (a table would get two ``p_N`` columns). The spaces around a name
    are not part of it: ``N, S, V`` names N, S and V, as the model's classes are named."""
    names = [name.strip() for name in text.split(",")]
    empty = [i for i, name in enumerate(names) if not name]
    if empty:
        raise argparse.ArgumentTypeError(
            f"name {empty[0] + 1} of {text!r} is empty: give one name per label, A,B,..."
        )
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise argparse.ArgumentTypeError(
            f"{', '.join(twice)} named twice in {text!r}: each label needs its own name"
        )
    return ",".join(names)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = _finite_float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    value = _finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
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
    if not math.isfinite(value):
        # The estimator refuses it, but only once the data are loaded, naming its parameter.
        raise argparse.ArgumentTypeError(f"must be a finite number or 'none', got {text}")
    return value


#: The seeds that NumPy (and so the estimator's random_state) takes.
_MAX_SEED = 2**32 - 1


def _seed(text: str) -> int:
    """``--random-state``, checked as the estimator checks it, before the data are loaded."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 0 <= value <= _MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be an integer from 0 to {_MAX_SEED}, got {value}")
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
        "--out",
        metavar="PNG",
        help="picture to write (default: ecgbeat-demo.png; refused with --no-plot)",
    )
    demo.add_argument("--no-plot", action="store_true", help="print the report only")
    demo.set_defaults(func=cmd_demo)

    predict = sub.add_parser(
        "predict",
        parents=[common],
        help="classify every beat of WFDB records, EDF or signal files, or CSV files of beats",
        description="Classify every beat of WFDB records (path without extension, or the .hea "
        "file), of EDF/EDF+ files, of signal files (.csv, .npy, with --fs) or of CSV files of "
        "beats (one beat per row, Kaggle layout; a label column is ignored). Writes one CSV row per beat: record, sample (R-peak index; the row number "
        "for CSV beats), time_s, label, reference (with --annotations), readable (without "
        "--no-quality), and one probability column per class. Records that "
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
        help="model name or .keras file (default: mitbih-rhythm-template for records, the model "
        "for new patients; mitbih for CSV files of beats, which carry no R-R intervals)",
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
        choices=["pan-tompkins", "threshold"],
        help="QRS detector when no annotations are given (default: pan-tompkins; refused "
        "with --annotations)",
    )
    predict.add_argument(
        "--no-quality",
        dest="quality",
        action="store_false",
        help="do not mark beats of stretches too noisy to read: without it the CSV has a "
        "readable column (1 or 0) and the ectopic burden counts only readable beats",
    )
    predict.add_argument(
        "--inference-precision",
        default="float32",
        choices=["float32", "bfloat16", "auto"],
        help="arithmetic of the network: bfloat16 was 1.8x as fast on a CPU with bfloat16 "
        "instructions, with the same class as float32 for all but 1 to 10 beats in 10,000; "
        "auto chooses it on such a CPU (default: float32)",
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
        help="the class that is normal in the ectopic burden of --summary and for where "
        "--plot's strip starts (default: the model card's, else N); every other class counts "
        "as ectopic; refused without --summary or --plot",
    )
    predict.add_argument(
        "--plot", metavar="PNG", help="draw a strip of each record with its beats coloured by class"
    )
    predict.add_argument(
        "--plot-start",
        type=_non_negative_float,
        metavar="SECONDS",
        help="start of the strip in seconds (default: just before the first readable beat "
        "that is not of the normal class, see --normal-class)",
    )
    predict.add_argument(
        "--plot-seconds",
        type=_positive_float,
        metavar="SECONDS",
        help="length of the strip (default: 10)",
    )
    predict.add_argument(
        "--dask",
        metavar="SCHEDULER",
        help="classify the records on a Dask cluster (scheduler address, e.g. tcp://host:8786)",
    )
    predict.set_defaults(func=cmd_predict)

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
        default=None,
        help="the reference CNN or its residual network (Kachuee et al. 2018; default: cnn, "
        "or --pretrained's)",
    )
    train.add_argument(
        "--epochs",
        type=_positive_int,
        default=48,
        help="at most this many epochs; the best end of a cycle is kept (with --lr-schedule "
        "plateau, the best epoch on the validation beats) (default: 48)",
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
        type=_seed,
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
    train.set_defaults(func=cmd_train)

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
        "each takes the class of the reference beat within 150 ms, detections of no beat "
        "count as false positives (class '(none)'), and reference beats with no detection as "
        "misses of their class (predicted '(none)')",
    )
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluate.set_defaults(func=cmd_evaluate)

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
    data.set_defaults(func=cmd_data)
    return parser
