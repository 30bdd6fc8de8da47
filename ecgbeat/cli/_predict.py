"""``ecgbeat predict``: every beat of records, signal files or CSV beats, as a table, summary, strip."""

from __future__ import annotations

import sys
from pathlib import Path

from ecgbeat._install import install_hint
from ecgbeat._overlap import each_overlapped
from ecgbeat.cli._common import (
    EXIT_FAILURE,
    EXIT_OK,
    CommandError,
    UsageError,
    check_picture_path,
    check_writable,
    class_names,
    info,
    load_classifier,
    names_a_file,
    normal_class,
    progress,
    refuse_folder_name,
    save_figure,
    use_agg,
)
from ecgbeat.exceptions import ECGBeatError


def _check_outputs(outputs: dict[str, Path], inputs: list[Path], model: str | None = None) -> None:
    """Refuse, before any work, an output (by option: ``--output``, ``--plot``) that is a
    folder, one of the input files, the ``--model`` file or another option's output."""
    from ecgbeat.datasets import record_files
    from ecgbeat.records import input_kind

    if not outputs:
        return  # nothing is written: no input's files need listing
    for option, output in outputs.items():
        check_writable(output, option)  # a folder, or where nothing can be written
    if "--output" in outputs:
        from ecgbeat.records import _refuse_unwritten_compression

        try:  # before the work, not after every input has been classified
            _refuse_unwritten_compression(outputs["--output"])
        except ValueError as exc:
            raise UsageError(f"--output {exc}") from None
    # A WFDB record is several files (100.hea, 100.dat, 100.atr...); a CSV is itself. Listed
    # and resolved once for every output.
    files: dict[Path, Path] = {}
    for path in inputs:
        for file in record_files(path) if input_kind(path) == "record" else [path]:
            files.setdefault(file.resolve(), file)  # the first spelling, as named before
    written: dict[Path, str] = {}
    for option, output in outputs.items():
        target = output.resolve()
        file = files.get(target)
        if file is not None:
            raise UsageError(
                f"{option} {output} is one of the inputs ({file}): ecgbeat never writes "
                "over its input; give another file name"
            )
        # A shipped model's name is no file: "-o mitbih" beside "--model mitbih" writes none.
        if model is not None and names_a_file(model) and Path(model).resolve() == target:
            raise UsageError(
                f"{option} {output} is the --model file: ecgbeat never writes over a model; "
                "give another file name"
            )
        if target in written:
            raise UsageError(f"{option} and {written[target]} are the same file, {output}")
        written[target] = option


def _refuse_repeated_inputs(items: list[tuple[str, Path]]) -> None:
    """One input named twice (``a/100`` and ``a/100.hea``) would be classified twice."""
    seen: dict[Path, str] = {}
    for item, path in items:
        first = seen.get(path.resolve())
        if first is not None:
            twice = f"{item} is" if first == item else f"{first} and {item} are"
            raise UsageError(f"{twice} the same input, given twice: give it once")
        seen[path.resolve()] = item


def _classify_each(items, make_table, done: dict, errors: dict) -> None:
    """Tables of ``(item, path)`` inputs; a failure is recorded in ``errors``, the others go on.

    Two inputs are in work at once: one is read while the other is classified."""
    for (item, _), table, exc in each_overlapped(lambda pair: make_table(pair[1]), items):
        if isinstance(exc, (ECGBeatError, OSError, ValueError, ImportError)):
            errors[item] = str(exc)
        elif exc is not None:  # one odd input must not cost the others
            errors[item] = f"{type(exc).__name__}: {exc}"
        else:
            done[item] = table


def _table_names(items: list[tuple[str, Path]], kinds: dict[str, str]) -> dict[str, str]:
    """The record name of each input's table, known before any work: its name (``100`` for
    ``mitdb/100``, ``holter.edf``, ``beats`` for ``beats.csv``), or the input as given when
    inputs of one name in different folders (``site1/100``, ``site2/100``) would mix up their
    rows and strips."""
    from ecgbeat.records import beats_name, record_path

    names = {}
    for item, path in items:
        if item in kinds:
            kind = kinds[item]
            names[item] = {"record": record_path(path).name, "signal": path.name}.get(
                kind, beats_name(path)
            )
    taken = list(names.values())
    return {item: item if taken.count(name) > 1 else name for item, name in names.items()}


def _strip_paths(plot: str, names: dict[str, str], kinds: dict[str, str]) -> dict[str, Path]:
    """The strip picture of each input that has a signal to draw: ``--plot`` itself for one,
    ``<stem>-<record name><suffix>`` beside it for several."""
    drawn = [item for item in names if kinds[item] != "beats"]
    out = Path(plot)
    if len(drawn) == 1:
        return {drawn[0]: out}
    paths = {}
    for item in drawn:
        # A record named as given ("site1/100") must not make a folder of the name.
        name = names[item].replace("/", "_").replace("\\", "_")
        paths[item] = out.with_name(f"{out.stem}-{name}{out.suffix}")
    return paths


def _has_no_rate(path: Path) -> bool:
    """Whether the input is a CSV or .npy file, which states no sampling rate: ``--fs`` is its."""
    # Here, not at the top: ecgbeat.datasets loads scikit-learn, SciPy and pandas, which
    # 'ecgbeat --help' and the other commands must not wait for.
    from ecgbeat.datasets._compressed import is_csv

    return is_csv(path) or Path(path).suffix.lower() == ".npy"


def _rate_applies(path: Path, fs_for_files: bool) -> bool:
    """Whether ``--fs`` is this input's rate: a CSV or .npy signal's always, a record's or
    EDF file's (checked against the rate it states) only when no such signal is among the
    inputs."""
    return _has_no_rate(path) or not fs_for_files


def _format_summary(table) -> str:
    summary = table.summary()
    counts = "  ".join(f"{name} {count}" for name, count in summary["counts"].items())
    duration = "" if table.fs != table.fs else f", {summary['duration_s']} s"
    if summary["ectopic_burden"] is None:  # --summary needs a normal class: no beat to count
        burden = "no readable beat, no ectopic burden"
    else:
        burden = f"ectopic burden {100 * summary['ectopic_burden']:.1f} %"
    if summary["unreadable_beats"] is not None:
        readable = summary["beats"] - summary["unreadable_beats"]
        burden = f"{summary['unreadable_beats']} in unreadable stretches; " + (
            f"{burden} of the {readable} readable" if readable else burden
        )
    return f"{summary['record']}: {summary['beats']} beats{duration}; {counts}; {burden}"


def _plot_strips(
    done: dict, paths: dict[str, Path], strips: dict[str, Path], args
) -> dict[str, str]:
    """Draw each input's strip; returns the error of each strip that could not be drawn, by
    input, the others drawn all the same (as a failing input does not stop the others)."""
    use_agg()
    import matplotlib.pyplot as plt

    from ecgbeat.datasets import read_lead, read_signal
    from ecgbeat.plot import plot_table_strip
    from ecgbeat.records import input_kind

    errors = {}
    for item, table in done.items():
        if item not in strips:
            continue  # beats from a CSV: no signal to draw (told before the work)
        out = strips[item]
        path = paths[item]
        fig = None
        try:
            if input_kind(path) == "record":
                signal = read_lead(path, [table.lead], table.record)[0]
            else:
                signal = read_signal(path, [table.lead], table.fs)[0]
            # Without --plot-seconds, plot_table_strip's own length (10 s).
            length = {} if args.plot_seconds is None else {"duration": args.plot_seconds}
            fig, _ = plot_table_strip(table, signal, start=args.plot_start, **length)
            fig.tight_layout()
            save_figure(fig, str(out), args)
        except (ECGBeatError, OSError, ValueError, ImportError) as exc:
            errors[item] = str(exc)
        except Exception as exc:  # one odd strip must not cost the others
            errors[item] = f"{type(exc).__name__}: {exc}"
        finally:
            if fig is not None:
                plt.close(fig)
    return errors


def cmd_predict(args) -> int:
    """Classify every beat of WFDB records, signal files (EDF; CSV, .npy with --fs) or CSV beats."""
    from ecgbeat.records import DEFAULT_MODEL, classify_file, input_kind, record_path, write_csv

    items = [(item, record_path(item)) for item in args.records]
    _refuse_repeated_inputs(items)
    if args.fs is None:
        for item, path in items:
            if path.suffix.lower() == ".npy":
                # A missing option, as cli.md's codes say, told before the model loads for
                # nothing: a .npy file is a signal that states no rate.
                raise UsageError(
                    f"{item} is a .npy signal, which states no sampling rate: give it with --fs HZ"
                )
    if args.dask is not None and not any(input_kind(p) == "record" for _, p in items):
        # Signal files and CSV beats are classified here: --dask would be ignored.
        raise UsageError(
            "--dask classifies WFDB records on the cluster, and none of the inputs is one: "
            "leave --dask out"
        )
    if args.dask is not None:
        # Before the model loads and the inputs are read: without dask.distributed this was
        # told only when the records were sent to the cluster, after all that work.
        from ecgbeat.distributed import _import_distributed

        try:
            _import_distributed()
        except ImportError as exc:
            raise CommandError(f"--dask: {exc}") from None
    if not any(input_kind(p, args.fs) in ("record", "signal") for _, p in items):
        # CSV beats are cut already: these options would be ignored, and the user would think
        # the beats were cut as asked.
        if args.annotations is not None:
            # Only WFDB records have annotation files: not a signal file either, which --fs
            # would make of the CSV.
            raise UsageError(
                f"--annotations {args.annotations} names the annotation files of WFDB records, "
                "and every input is a CSV of beats, cut already: leave --annotations out"
            )
        for option, given in (("--lead", args.lead), ("--detector", args.detector)):
            if given is not None:
                raise UsageError(
                    f"{option} applies to records and signal files, and every input is a CSV "
                    "of beats, cut already (give --fs HZ if the CSV is a signal): leave "
                    f"{option} out"
                )
    if args.annotations is not None and args.detector is not None:
        # The annotations give the R peaks: the detector was ignored without a word, and the
        # user believed the beats cut at its peaks.
        raise UsageError(
            f"--detector finds the R peaks that --annotations {args.annotations} gives: "
            "give one of them"
        )
    kinds_given = [input_kind(p, args.fs) for _, p in items]
    if args.annotations is not None and "signal" in kinds_given and "record" not in kinds_given:
        # Only WFDB records have annotation files: the model loaded for nothing, then every
        # signal file failed on its own (exit 1), as if each input were at fault.
        raise UsageError(
            f"--annotations {args.annotations} names the annotation files of WFDB records, and "
            "none of the inputs is one (signal files have none): leave --annotations out"
        )
    for option, given in (("--output", args.output), ("--plot", args.plot)):
        if given is not None:
            refuse_folder_name(given, option)  # before Path() drops the trailing slash
    outputs = {} if args.output is None else {"--output": Path(args.output)}
    for option, given in (("--plot-start", args.plot_start), ("--plot-seconds", args.plot_seconds)):
        if given is not None and args.plot is None:
            # Wrong usage, never ignored: the user asked for a strip and would get none.
            raise UsageError(f"{option} applies to the strip that --plot draws: give --plot too")
    if args.normal_class is not None and not args.summary:
        # The table has no column that the normal class changes: the option was checked
        # against the model and then had no effect, without a word.
        if args.plot is None:
            raise UsageError(
                f"--normal-class {args.normal_class} names the normal class of the ectopic "
                "burden of --summary and of where --plot's strip starts: give --summary or "
                "--plot too"
            )
        if args.plot_start is not None:
            raise UsageError(
                f"--normal-class {args.normal_class} chooses where --plot's strip starts, which "
                "--plot-start gives: leave one of them out, or give --summary too"
            )
    if args.plot is not None:
        # Fail before the long work when the picture cannot be drawn or written.
        use_agg()
        check_picture_path(args.plot, "--plot")
    # Inputs that are not there fail now, before the model loads (seconds) for nothing.
    from ecgbeat.datasets._records import missing_header

    errors = {}
    for item, path in items:
        own_file = input_kind(path) != "record"
        needed = path if own_file else path.with_name(path.name + ".hea")
        if not needed.is_file() and own_file and needed.is_dir():
            # "not found" sent the user looking for a file that is there, as a folder.
            errors[item] = f"{needed} is a folder, not a file: name a file in it"
        elif not needed.is_file():
            errors[item] = f"{needed} not found" if own_file else missing_header(path, path.name)
    kinds = {item: input_kind(path, args.fs) for item, path in items if item not in errors}
    # Names and strips from the command line alone: an input found missing here must not
    # change the others' (site1/100 became 100 and its strip s.png, not s-site1_100.png, as
    # they were when the missing input failed later).
    named = {item: input_kind(path, args.fs) for item, path in items}
    names = _table_names(items, named)
    strips = {}
    if args.plot is not None:
        # Each strip's name is known now, and checked as --plot is: one is never written over
        # the table, an input, the model or another strip.
        strips = _strip_paths(args.plot, names, named)
        for item in kinds:
            if kinds[item] == "beats":
                # Asked for a picture, the user is told why there is none.
                print(
                    f"ecgbeat predict: warning: --plot: {item} holds beats, without the "
                    "recording around them: no strip to draw",
                    file=sys.stderr,
                )
        if len(strips) > 1:
            outputs.update({f"--plot (the strip of {i})": out for i, out in strips.items()})
        else:
            outputs["--plot"] = Path(args.plot)
    _check_outputs(outputs, [p for _, p in items], args.model)
    # Beats in a CSV have no recording around them: no R-R intervals, so not the rhythm model.
    models = {}
    if {"record", "signal"} & set(kinds.values()):
        models["record"] = models["signal"] = load_classifier(args.model or DEFAULT_MODEL, args)
    if "beats" in kinds.values():
        if args.model is not None and models:  # one named model for every input
            models["beats"] = models["record"]
        else:
            models["beats"] = load_classifier(args.model or "mitbih", args)
    for model in models.values():
        model.set_params(inference_precision=args.inference_precision)
        # The burden needs the normal class: refuse before the work, not after it.
        if normal_class(model, args) is None and args.summary:
            raise UsageError(
                f"--summary needs the normal class, and none of the model's classes "
                f"{class_names(model)} is 'N': give --normal-class NAME"
            )
    # --fs is the rate of CSV and .npy signals, which have none; given for records and EDF files
    # alone, it must be their own.
    fs_for_files = any(_has_no_rate(p) for i, p in items if i in kinds)
    done = {}  # each input's table, by the input as given
    on_dask = [(i, p) for i, p in items if kinds.get(i) == "record" and args.dask is not None]
    if on_dask:
        fs = None if fs_for_files else args.fs
        done_d, errors_d = _predict_dask(on_dask, models["record"], args, fs)
        done.update(done_d)
        errors.update(errors_d)

    def table_of(path):
        kind = input_kind(path, args.fs)
        model = models[kind]
        # Beside records, --lead, --annotations and --detector are theirs: a CSV of beats is
        # cut already.
        cut_already = kind == "beats"
        return classify_file(
            path,
            model,
            fs=args.fs if _rate_applies(path, fs_for_files) else None,
            lead=None if cut_already else args.lead,
            annotations=None if cut_already else args.annotations,
            detector="pan-tompkins" if cut_already else args.detector or "pan-tompkins",
            class_names=class_names(model),
            normal_class=args.normal_class,
            quality=args.quality,
        )

    here = [(i, p) for i, p in items if i in kinds and (i, p) not in on_dask]
    if any(kinds[i] == "record" for i, _ in here):
        here = progress(here, total=len(here), desc="records", args=args, unit="record")
    _classify_each(here, table_of, done, errors)
    done = {item: done[item] for item, _ in items if item in done}  # in the order given
    for item, table in done.items():
        table.record = names[item]
    tables = list(done.values())
    for item, message in errors.items():
        # Most messages name their file already: "x.csv: x.csv: ..." says it twice (a record
        # given as x/100.hea is named x/100 in them).
        where = "" if message.startswith((item, str(record_path(item)))) else f"{item}: "
        print(f"ecgbeat predict: {where}{message}", file=sys.stderr)

    table_to_stdout = args.csv or (args.output is None and not args.summary)
    n_beats = sum(map(len, tables))
    if args.output is not None and n_beats:
        # Atomically, and only with something to write: a run that classified no beat (every
        # input failed, or held none) leaves an existing file as it was.
        write_csv(tables, args.output)
        info(args, f"wrote {n_beats} beats of {len(tables)} record(s) to {args.output}")
    elif args.output is not None:
        info(args, f"no beats classified: {args.output} not written")
    if table_to_stdout and tables:
        write_csv(tables, sys.stdout)
    if args.summary:
        # Beside a CSV on stdout the summary goes to stderr, so that the CSV stays parseable.
        stream = sys.stderr if table_to_stdout else sys.stdout
        for table in tables:
            print(_format_summary(table), file=stream)
    not_drawn = {}
    if args.plot is not None and tables:
        not_drawn = _plot_strips(done, dict(items), strips, args)
    for item, message in not_drawn.items():
        print(
            f"ecgbeat predict: {item}: strip {strips[item]} not drawn: {message}", file=sys.stderr
        )
    if errors:
        print(
            f"ecgbeat predict: {len(errors)} of {len(args.records)} input(s) failed",
            file=sys.stderr,
        )
    if not_drawn:
        print(
            f"ecgbeat predict: {len(not_drawn)} of {len(set(strips) & set(done))} strip(s) "
            "not drawn",
            file=sys.stderr,
        )
    return EXIT_FAILURE if errors or not_drawn else EXIT_OK


def _predict_dask(items, classifier, args, fs: float | None):
    try:
        from ecgbeat.distributed import classify_records
    except ImportError as exc:
        raise CommandError(
            f"--dask needs ecgbeat.distributed and dask: {install_hint('dask')} ({exc})"
        ) from exc
    from ecgbeat.records import check_record_rate

    errors = {}
    for item, _ in items:  # as classify_file checks it without Dask: before the work
        try:
            check_record_rate(item, fs)
        except (ECGBeatError, OSError, ImportError) as exc:  # as _classify_each: this input
            errors[item] = str(exc)
    items = [(item, path) for item, path in items if item not in errors]
    if not items:
        return {}, errors
    info(args, f"classifying {len(items)} record(s) on the Dask cluster at {args.dask}")
    # Absolute paths: the workers do not share our working directory (a shared file system).
    result = classify_records(
        [str(path.resolve()) for _, path in items],
        classifier,
        client=args.dask,
        lead=args.lead,
        annotations=args.annotations,
        detector=args.detector or "pan-tompkins",
        class_names=class_names(classifier),
        normal_class=args.normal_class,
        quality=args.quality,
    )
    by_resolved = {str(path.resolve()): item for item, path in items}
    errors.update(
        {by_resolved.get(str(key), str(key)): message for key, message in result.errors.items()}
    )
    # The tables come in the order of the records given, less those that failed.
    classified = [item for item, _ in items if item not in errors]
    done = dict(zip(classified, result.tables, strict=True))
    return done, errors
