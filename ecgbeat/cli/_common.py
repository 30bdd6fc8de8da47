"""What the commands share: errors, progress and messages on stderr, models and labelled data."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from ecgbeat._atomic import replacing, writes_in_place
from ecgbeat._install import import_optional
from ecgbeat._progress import progress_bar
from ecgbeat.exceptions import ECGBeatError

T = TypeVar("T")

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
#: A command stopped by Ctrl-C: 128 + SIGINT, as the shell reports a process that it ended.
EXIT_INTERRUPTED = 130
AAMI = ("N", "S", "V", "F", "Q")


class CommandError(ECGBeatError):
    """A command cannot run as asked; its message is shown to the user as is."""


class UsageError(CommandError):
    """The command line itself is wrong: options that do not go together, or an output named
    as an input. The exit code is 2, as for the usage errors that argparse finds."""


def progress(items: Iterable[T], *, total: int, desc: str, args, unit: str) -> Iterator[T]:
    """A bar on stderr when it is a terminal and ``--quiet`` is not given."""
    enabled = None if not getattr(args, "quiet", False) else False
    return progress_bar(items, total=total, desc=desc, unit=unit, enabled=enabled)


def info(args, message: str) -> None:
    """Progress messages go to stderr, so that stdout stays clean for tables and JSON."""
    if not getattr(args, "quiet", False):
        print(message, file=sys.stderr)


def save_figure(fig, path: str, args) -> None:
    """Write a picture atomically, as every file ecgbeat writes, and close it."""
    with replacing(path, suffix=Path(path).suffix) as tmp:
        fig.savefig(tmp, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    info(args, f"wrote {path}")


def check_picture_path(path: str, option: str) -> None:
    """Refuse, before any work, a picture name that Matplotlib cannot write or that is a folder.

    Matplotlib chooses the format by the suffix; a name without one would get ``.png`` added."""
    from matplotlib.backend_bases import FigureCanvasBase

    formats = FigureCanvasBase.get_supported_filetypes()
    suffix = Path(path).suffix[1:].lower()
    if suffix not in formats:
        raise UsageError(
            f"{option} {path}: give a picture name ending in one of "
            f"{', '.join('.' + name for name in sorted(formats))}"
        )
    if suffix == "pgf":
        import shutil

        import matplotlib

        # Matplotlib writes PGF through a TeX installation: without it, the picture failed
        # only once the work was done.
        tex = matplotlib.rcParams["pgf.texsystem"]
        if shutil.which(tex) is None:
            raise CommandError(
                f"{option} {path}: Matplotlib writes .pgf pictures with {tex}, which is not "
                "installed: give another format (.png, .pdf, .svg...)"
            )
    check_writable(path, option)


def refuse_folder_name(given: str, option: str) -> None:
    """Refuse an output named as a folder, with a trailing slash (``-o results/``), that is not
    one: ``Path()`` drops the slash, and the output was written as a file named ``results``.

    Raises
    ------
    UsageError
        Naming the option and the name as given: wrong usage, as an existing folder is (see
        :func:`check_writable`).
    """
    if given.endswith((os.sep, "/")) and not os.path.isdir(given):
        raise UsageError(
            f"{option} {given} names a folder (it ends in {given[-1]}), which does not exist: "
            "give a file name"
        )


def check_writable(path: str | os.PathLike, option: str) -> None:
    """Refuse, before any work, an output that is a folder or that its folder cannot take.

    The check writes (and removes) an empty hidden file where the output goes, as the output
    will be written: permissions, read-only mounts and ``/proc`` all answer alike. A folder
    that is missing is made when the output is written; the nearest one there must take it.

    Parameters
    ----------
    path : str or path-like
        The output file.
    option : str
        The option that names it, for the error (``--output``).

    A device or a pipe (``/dev/null``, ``/dev/stdout``) is written into: only that you may is
    checked.

    Raises
    ------
    UsageError
        If ``path`` is a folder, or named as one (``results/``): a file is asked for, as when
        it names an input.
    CommandError
        If ``path`` is a link to nothing, a file that you may not write, or its folder cannot
        take a file.
    """
    import tempfile

    path_name = os.fspath(path)
    path = Path(path)
    if path.is_dir():
        # Wrong usage (exit 2), told before any work as an output named as a folder that does
        # not exist is: it was a failure (exit 1).
        raise UsageError(f"{option} {path} is a folder: give a file name")
    refuse_folder_name(path_name, option)
    if path.is_symlink() and not path.exists():
        raise CommandError(
            f"{option} {path} is a symbolic link to {os.readlink(path)}, which does not exist"
        )
    target = Path(os.path.realpath(path))
    if target.is_file() and not os.access(target, os.W_OK):
        # Refused when written (ecgbeat._atomic.replacing), but only after the work.
        raise CommandError(
            f"{option} {path} is write-protected: make it writable to replace it, or give "
            "another file name"
        )
    if writes_in_place(path):
        # /dev/null, /dev/stdout, a named pipe: written into, not replaced, so no file is made
        # beside it (none may be in /dev).
        if not os.access(path, os.W_OK):
            raise CommandError(f"{option} {path}: you may not write to it")
        return
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise CommandError(f"{option} {path}: {folder} is a file, not a folder")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
    except OSError as exc:
        raise CommandError(
            f"{option} {path}: cannot write in {folder} ({exc.strerror or exc})"
        ) from None
    os.close(fd)
    os.unlink(name)


def use_agg() -> None:
    """Draw off-screen: the command writes image files and must work without a display."""
    matplotlib = import_optional(
        "matplotlib", "pictures need the optional package matplotlib", "plot"
    )
    matplotlib.use("Agg")


def names_a_file(name_or_path: str) -> bool:
    """Whether a ``--model`` is read as a file, not as a shipped model's name.

    As :func:`ecgbeat.pretrained.load`: a shipped name first, then any file (a model.h5 copy
    too); a ``.keras`` name or a path with a folder is a file.
    """
    from ecgbeat.pretrained import list_pretrained

    return (
        name_or_path.endswith(".keras")
        or os.sep in name_or_path
        or (name_or_path not in list_pretrained() and os.path.lexists(name_or_path))
    )


def load_classifier(name_or_path: str, args):
    """A fitted classifier from a shipped model's name or a saved ``.keras`` file."""
    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.pretrained import list_pretrained

    looks_like_path = names_a_file(name_or_path)
    if not looks_like_path and name_or_path not in list_pretrained():
        shipped = ", ".join(list_pretrained()) or "none"
        raise CommandError(
            f"no model named {name_or_path!r}: give the path of a .keras file saved by "
            f"'ecgbeat train' or HeartbeatCNNClassifier.save, or a shipped model ({shipped})"
        )
    if looks_like_path and not Path(name_or_path).exists():
        # A folder, pipe or device is there: loading names it as such.
        raise CommandError(f"model file {name_or_path} not found")
    info(args, f"loading model {name_or_path}")
    return HeartbeatCNNClassifier.from_pretrained(name_or_path)


def normal_class(classifier, args) -> str | None:
    from ecgbeat.records import resolve_normal_class

    names = class_names(classifier)  # its own error: not one of --normal-class
    try:
        return resolve_normal_class(classifier, names, args.normal_class)
    except ValueError as exc:
        # A class the model does not have: wrong usage with this model, as cli.md's codes say.
        raise UsageError(f"--normal-class: {exc}") from None


def class_names(classifier) -> list[str]:
    # records (and with it SciPy and wfdb) loads when a command needs it, not for --help.
    from ecgbeat.records import resolve_class_names

    return resolve_class_names(classifier)


def data_codes(classifier, model: str, names: Sequence[str], data: str):
    """The data's label code of each of ``classifier``'s classes, matched by name.

    Parameters
    ----------
    classifier : HeartbeatCNNClassifier
        The fitted model.
    model : str
        The model as the user named it, for the error.
    names : sequence of str
        The data's class names; label ``k`` is ``names[k]``.
    data : str
        The data, for the error ("the demo's sample beats").

    Returns
    -------
    numpy.ndarray
        ``codes[i]`` is the data's label of the model's ``i``-th class: a model may know fewer
        classes than the data (its training data had no beat of one), never other ones.

    Raises
    ------
    CommandError
        If the model names a class that the data does not have: its codes would score a
        "normal" against the data's N, an "abnormal" against S.
    """
    import numpy as np

    model_names = class_names(classifier)
    if all(name in names for name in model_names):
        return np.array([list(names).index(name) for name in model_names], dtype=np.int64)
    card = getattr(classifier, "model_card_", None) or {}
    classes = list(classifier.classes_)
    if card.get("target_names") is None and all(
        isinstance(c, (int, np.integer)) and not isinstance(c, bool) and 0 <= c < len(names)
        for c in classes
    ):
        # A model without names (fitted in Python on integer labels) knows only codes: the
        # data's codes are all there is to go by.
        return np.array(classes, dtype=np.int64)
    raise CommandError(
        f"model {model} predicts classes {model_names}; {data} are labelled with the classes "
        f"{list(names)}"
    )


def predict_proba(classifier, X, args, desc: str = "classifying"):
    """``predict_proba`` in chunks, so that a long run shows a progress bar."""
    import numpy as np

    step = 1024
    starts = range(0, len(X), step)
    parts = [
        classifier.predict_proba(X[start : start + step])
        for start in progress(starts, total=len(starts), desc=desc, args=args, unit="batch")
    ]
    if not parts:
        return np.zeros((0, len(classifier.classes_)))
    return np.concatenate(parts)


def check_data_options(args, *, detector=None, subset: str = "all") -> None:
    """Refuse the options of the other kind of ``--data`` as wrong usage, never ignore them.

    ``subset`` is the part of ``--split`` that the command reads from MIT-BIH.

    Raises
    ------
    UsageError
        For ``--class-names`` with MIT-BIH, ``--records`` of which none is in the part read, or
        ``--split``, ``--subset``, ``--records`` or a ``detector`` with a CSV.
    """
    if args.data == "mitbih":
        check_records(args.records, args.split, subset)
        if args.class_names:
            raise UsageError(
                "--class-names names the labels of a CSV; MIT-BIH's beats are labelled with "
                f"the AAMI classes {', '.join(AAMI)}"
            )
        return
    for option, given in (("--split", args.split), ("--subset", getattr(args, "subset", None))):
        if given is not None:
            raise UsageError(
                f"{option} applies to --data mitbih; a CSV is used whole (the Kaggle "
                "release ships its train and test parts as separate files)"
            )
    if args.records:
        raise UsageError("--records applies to --data mitbih, not to a CSV")
    if detector is not None:
        raise UsageError(
            "--detector applies to --data mitbih: a CSV of beats has no recording to "
            "detect R peaks in"
        )


def check_data_file(args) -> None:
    """Refuse a ``--data`` that is neither ``mitbih`` nor a file, saying what it takes: a
    folder was "not found", and so was MITBIH, typed for mitbih.

    Raises
    ------
    CommandError
        If ``--data`` is a folder or is not there.
    """
    if args.data != "mitbih" and not os.path.isfile(args.data):
        what = "is a folder" if os.path.isdir(args.data) else "not found"
        raise CommandError(
            f"--data {args.data} {what}: give 'mitbih' or a CSV file of labelled beats"
        )


def check_records(
    records: Sequence[str] | None, split: str | None = None, subset: str = "all"
) -> None:
    """Refuse, before any work, ``--records`` that the MIT-BIH database does not have, or of
    which none is in the ``subset`` of the inter-patient ``split``.

    Raises
    ------
    UsageError
        Naming the unknown records and the records there are, or where each record is, as
        fetch_mitbih does.
    """
    from ecgbeat.datasets._mitbih import _select_records

    inter_patient = split == "inter-patient"
    try:
        with warnings.catch_warnings():
            # Records left out of the part are named when the data load; told twice here.
            warnings.simplefilter("ignore", UserWarning)
            _select_records(
                records, split if inter_patient else None, subset if inter_patient else "all"
            )
    except ValueError as exc:
        # After the model loaded, this was an error (exit 1) of the command line alone.
        raise UsageError(f"--records: {exc}") from None


def load_labelled_data(
    args,
    *,
    subset: str,
    rhythm: bool = False,
    template: bool = False,
    zscores: bool = False,
    refine_radius=None,
    detector=None,
    before_r=0.0,
    beat_length: int = 187,
):
    """Beats, integer labels, class names and missed beats from ``--data`` (``mitbih`` or a
    Kaggle CSV).

    ``rhythm`` appends the R-R features, ``template`` the template features after them,
    ``zscores`` the R-R z-scores after those, ``refine_radius`` refines the R peaks and ``detector``
    cuts the beats at detected peaks (MIT-BIH only; the detections that match no reference beat
    are then rows of one more label, ``len(names)``: see
    :func:`ecgbeat.evaluation.with_unmatched_detections`, and the labels of the reference beats
    that no detection found are the fourth item, for :func:`ecgbeat.evaluation.aami_metrics`'
    ``missed``; empty otherwise). ``beat_length`` is the samples of a CSV's beats: a model's
    own, when one reads them. When ``--max-beats`` draws from more beats (the missed ones
    among them), ``args.drawn_from`` is set to their number.
    """
    import numpy as np

    check_data_options(args, detector=detector, subset=subset)
    check_data_file(args)
    missed = np.zeros(0, dtype=np.int64)
    if args.data == "mitbih":
        from ecgbeat.datasets import fetch_mitbih

        split = args.split or "random"
        if subset != "all":
            info(args, f"loading MIT-BIH, {split} split, {subset} part")
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
            template=template,
            zscores=zscores,
        )
        from ecgbeat.evaluation import with_unmatched_detections

        X, y = with_unmatched_detections(bunch)
        if "missed" in bunch:
            missed = bunch.missed.target
        names = list(bunch.target_names)
    else:
        from ecgbeat.datasets import load_heartbeat_csv

        if rhythm or before_r:
            raise CommandError(
                "a CSV of beats has no recording to take R-R intervals or R peaks from: the "
                "model reads rhythm features or beats that start before the R peak; use "
                "--data mitbih"
            )
        if refine_radius is not None:
            # Not refused: beats cut elsewhere may be cut well. But the model's figures on
            # them were taken as those of the beats it reads, without a word.
            done = "scored" if args.command == "evaluate" else "trained on"
            warnings.warn(
                f"the model cuts its beats at R peaks refined within {refine_radius:g} s (its "
                f"card); {args.data} holds beats cut already, which ecgbeat cannot refine: they "
                f"are {done} as given",
                UserWarning,
                stacklevel=2,
            )
        names = args.class_names.split(",") if args.class_names else list(AAMI)
        bunch = load_heartbeat_csv(args.data, beat_length=beat_length, target_names=names)
        X, y = bunch.data, bunch.target
    if args.max_beats is not None and args.max_beats < len(y) + len(missed):
        from sklearn.model_selection import train_test_split

        # The missed beats are drawn with the rest, as the beats they are: all of them beside a
        # draw would weigh them more than the detector missed them.
        labels = np.concatenate([y, missed])
        # Stratified over the classes that have beats (a code without any must not turn it
        # off), when it can be: two beats of each, and a beat of each both drawn and left out.
        counts = np.bincount(labels)
        counts = counts[counts > 0]
        stratified = counts.min() >= 2 and len(counts) <= min(
            args.max_beats, len(labels) - args.max_beats
        )
        keep, _ = train_test_split(
            np.arange(len(labels)),
            train_size=args.max_beats,
            stratify=labels if stratified else None,
            random_state=0,
        )
        # What the beats were drawn from, for the reports that name the data.
        args.drawn_from = len(labels)
        keep = np.sort(keep)
        rows, missed_kept = keep[keep < len(y)], keep[keep >= len(y)]
        X, y, missed = X[rows], y[rows], labels[missed_kept]
    if len(y) == 0 and len(missed):
        # The beats are there; "no beats in mitbih" blamed the data for what the detector did.
        drawn = " drawn" if getattr(args, "drawn_from", None) is not None else ""
        raise CommandError(
            f"the {detector} detector found none of the {len(missed)} beats{drawn}: the model "
            "has no beat to classify (each would count as a miss of its class)"
        )
    if len(y) == 0:
        raise CommandError(f"no beats in {args.data}")
    return X, y, names, missed
