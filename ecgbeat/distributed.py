"""Run ecgbeat on a Dask cluster: model selection through joblib and batch classification of records.

Two jobs scale out well. Hyper-parameter searches and cross-validation (``GridSearchCV``,
``cross_validate``) already run their fits through joblib, so joblib's Dask backend spreads them
over a cluster: :func:`dask_backend` enters that backend after :func:`limit_tensorflow_threads`
has sized TensorFlow's thread pools on every worker to the worker's share of the cores (without
it, each TensorFlow runtime starts one thread per core of the machine, and the workers of one
machine fight over them). Classifying many recordings is the other job:
:func:`classify_records` sends the fitted model to each worker once and classifies one record per
task; the failure of one record is reported, never fatal to the others.

Dask is an optional dependency (``pip install "ecgbeat[dask]"``). It is imported only when a
cluster is used: ``classify_records(records)`` without a client runs in this process without it.

Examples
--------
>>> from ecgbeat.distributed import RecordsResult
>>> result = RecordsResult(tables=[], errors={"data/999": "FileNotFoundError: no 999.hea"})
>>> result.summary()["failed"]
1
>>> from ecgbeat.distributed import classify_records, dask_backend  # doctest: +SKIP
>>> with dask_backend("tcp://scheduler:8786"):  # doctest: +SKIP
...     search = GridSearchCV(HeartbeatCNNClassifier(), grid, cv=5).fit(X, y)
>>> result = classify_records(paths, "mitbih", client="tcp://scheduler:8786")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecgbeat._backend import import_tensorflow
from ecgbeat._checks import check_flag, is_integer
from ecgbeat._install import import_optional
from ecgbeat._overlap import each_overlapped
from ecgbeat._warnings import warn_caller
from ecgbeat.records import (
    DEFAULT_MODEL,
    BeatTable,
    classify_record,
    concat_tables,
    ectopic_burden,
    fitted_classifier,
    record_path,
    write_atomic,
    write_csv,
)

if TYPE_CHECKING:  # pragma: no cover
    import distributed

    from ecgbeat.classifier import HeartbeatCNNClassifier

__all__ = [
    "RecordsResult",
    "classify_records",
    "dask_backend",
    "limit_tensorflow_threads",
    "tensorflow_threads",
]

logger = logging.getLogger(__name__)

#: Name under which the thread-limiting plugin is registered; registering again replaces it.
PLUGIN_NAME = "ecgbeat-tensorflow-threads"


def _import_distributed():
    return import_optional(
        "distributed",
        "running ecgbeat on a Dask cluster needs dask.distributed, which is not installed; "
        "install it with",
        "dask",
    )


# ---------------------------------------------------------------------------------- thread limits


def tensorflow_threads() -> dict[str, int]:
    """The sizes of TensorFlow's thread pools configured in this process.

    ``0`` means "not set": TensorFlow then uses one thread per core of the machine. Run it on
    the workers with ``client.run(tensorflow_threads)``.

    Returns
    -------
    dict
        ``{"intra_op": int, "inter_op": int}``.

    Examples
    --------
    >>> from ecgbeat.distributed import tensorflow_threads
    >>> sorted(tensorflow_threads())
    ['inter_op', 'intra_op']
    """
    tf = import_tensorflow()

    return {
        "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
    }


def _set_tensorflow_threads(threads: int) -> None:
    """Size TensorFlow's pools in this process; too late once TensorFlow has run an operation."""
    tf = import_tensorflow()

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        current = tensorflow_threads()
        if current != {"intra_op": threads, "inter_op": threads}:
            # Raising here would make register_plugin fail for the whole cluster over one busy
            # worker; the pools still work, they are just too large.
            logger.warning(
                "TensorFlow is already running in this worker with thread pools %s; they cannot "
                "be resized to %d thread(s) any more. Restart the workers (client.restart()) and "
                "limit the threads before the first TensorFlow task.",
                current,
                threads,
            )


def _define_plugin_class() -> type:
    distributed = _import_distributed()

    class _TensorFlowThreads(distributed.WorkerPlugin):
        """Worker plugin: TensorFlow's pools get the worker's threads (or ``threads``)."""

        name = PLUGIN_NAME

        def __init__(self, threads: int | None = None, idempotent: bool = False) -> None:
            self.threads = threads
            # Read by register_plugin: True keeps a plugin already registered under this name.
            self.idempotent = idempotent

        def setup(self, worker) -> None:
            threads = self.threads or worker.state.nthreads
            # Also for what TensorFlow starts in child processes, which read only the environment.
            os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
            os.environ["TF_NUM_INTEROP_THREADS"] = str(threads)
            _set_tensorflow_threads(threads)

    _TensorFlowThreads.__module__ = __name__
    return _TensorFlowThreads


def __getattr__(name: str) -> Any:
    # The plugin class derives from distributed.WorkerPlugin, so it is defined on first use, not at
    # import; stored as a module global, pickle finds it by name on the workers.
    if name == "_TensorFlowThreads":
        cls = _define_plugin_class()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def limit_tensorflow_threads(
    client: distributed.Client, threads: int | None = None
) -> dict[str, dict[str, int]]:
    """Size TensorFlow's thread pools on every worker of a Dask cluster, now and for later workers.

    Registers a :class:`distributed.WorkerPlugin` whose ``setup`` sets TensorFlow's intra-op and
    inter-op thread counts to the worker's number of threads (``nthreads``), or to ``threads``.
    Dask runs ``setup`` on each current worker at once and on each worker that joins later,
    before it takes tasks. It must run before TensorFlow runs an operation in the worker: on a
    worker that already ran TensorFlow the pools keep their size (a warning is logged there).

    Parameters
    ----------
    client : distributed.Client
        Client of the cluster.
    threads : int, optional
        Threads per pool; by default each worker's ``nthreads``.

    Returns
    -------
    dict
        Worker address -> the configured sizes (see :func:`tensorflow_threads`).

    Raises
    ------
    TypeError
        If ``client`` is not a :class:`distributed.Client` (:func:`dask_backend` takes a
        scheduler's address; here, connect with ``distributed.Client(address)``).
    ValueError
        If the client is closed, or ``threads`` is not a positive integer.

    Examples
    --------
    >>> from distributed import Client, LocalCluster  # doctest: +SKIP
    >>> from ecgbeat.distributed import limit_tensorflow_threads
    >>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1))  # doctest: +SKIP
    >>> limit_tensorflow_threads(client)  # doctest: +SKIP
    {'tcp://127.0.0.1:40375': {'intra_op': 1, 'inter_op': 1}, 'tcp://127.0.0.1:41337': {...}}
    """
    return _register_plugin(client, threads, keep_existing=False)


def _register_plugin(client, threads: int | None, *, keep_existing: bool) -> dict:
    if threads is not None:
        # NumPy's integers count; a bool does not (True would reach TF_NUM_INTRAOP_THREADS as
        # the text "True").
        if not is_integer(threads) or threads < 1:
            raise ValueError(f"threads must be a positive integer or None; got {threads!r}")
        threads = int(threads)
    # Else "'str' object has no attribute 'register_plugin'" (an address, as dask_backend takes
    # it; None) or "IOLoop is closed", naming neither the argument nor what it should be.
    if isinstance(client, str) or not callable(getattr(client, "register_plugin", None)):
        raise TypeError(
            "client must be a distributed.Client (for a scheduler address, connect with "
            f"distributed.Client(address)); got {client!r}"
        )
    if getattr(client, "status", None) in ("closing", "closed"):
        raise ValueError(f"the Dask client is closed ({client!r}): give an open one")
    plugin_class = __getattr__("_TensorFlowThreads")
    client.register_plugin(plugin_class(threads, idempotent=keep_existing), name=PLUGIN_NAME)
    return client.run(tensorflow_threads)


@contextlib.contextmanager
def _client_for(client: distributed.Client | str | None) -> Iterator[distributed.Client]:
    """The given client, a new one connected to an address (closed on exit), or the default one."""
    distributed = _import_distributed()
    if isinstance(client, str):
        with distributed.Client(client) as new_client:
            yield new_client
    elif client is None:
        # Raises a ValueError that says to create a Client first when there is none.
        yield distributed.get_client()
    elif not isinstance(client, distributed.Client):
        # Else the first use fails far from here: "'int' object has no attribute ...".
        raise TypeError(
            "client must be a distributed.Client, a scheduler address (str) or None; "
            f"got {client!r}"
        )
    elif client.status in ("closing", "closed"):
        # A closed client fails with "'NoneType' object has no attribute ..." on first use.
        raise ValueError(f"the Dask client is closed ({client!r}): give an open one")
    else:
        yield client


@contextlib.contextmanager
def dask_backend(
    client: distributed.Client | str | None = None, *, threads: int | None = None
) -> Iterator[distributed.Client]:
    """Run scikit-learn's joblib-parallel work on a Dask cluster, with TensorFlow's threads limited.

    Inside the ``with`` block, ``GridSearchCV``, ``RandomizedSearchCV``, ``cross_validate`` and
    the like send their fits to the cluster's workers; ``n_jobs`` left at ``None`` uses all of
    them. On entry :func:`limit_tensorflow_threads` sizes TensorFlow's pools on each worker.

    Parameters
    ----------
    client : distributed.Client or str, optional
        The cluster: a client, or a scheduler address such as ``"tcp://10.0.0.5:8786"`` (this
        function then connects and disconnects). By default the current client.
    threads : int, optional
        TensorFlow threads per worker; by default the worker's ``nthreads``.

    Yields
    ------
    distributed.Client
        The client in use.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from ecgbeat import HeartbeatCNNClassifier
    >>> from ecgbeat.distributed import dask_backend
    >>> grid = {"learning_rate": [1e-3, 3e-3], "batch_size": [64, 128]}
    >>> with dask_backend("tcp://scheduler:8786"):  # doctest: +SKIP
    ...     search = GridSearchCV(HeartbeatCNNClassifier(random_state=0), grid, cv=5).fit(X, y)
    """
    import joblib

    with _client_for(client) as active:
        limit_tensorflow_threads(active, threads)
        # n_jobs=-1: every thread of the cluster, whatever n_jobs the estimator was given as None.
        with joblib.parallel_config(backend="dask", n_jobs=-1, client=active):
            yield active


# ---------------------------------------------------------------------------------- records


@dataclass
class RecordsResult:
    """The per-beat tables of many records and the records that could not be classified.

    Attributes
    ----------
    tables : list of BeatTable
        One table per classified record, in the order the records were given.
    errors : dict of str to str
        Record (as given) -> ``"ExceptionType: message"`` for each record that failed.
    unwritten : dict of str to str
        Record (as given) -> ``"cannot write CSV: ExceptionType: message"`` for each record
        that was classified but whose CSV file in ``output_dir`` could not be written; its
        table is in ``tables`` all the same.

    Examples
    --------
    >>> import numpy as np
    >>> from ecgbeat.distributed import RecordsResult
    >>> from ecgbeat.records import BeatTable
    >>> table = BeatTable(record="100", sample=np.array([370, 662]), fs=360.0,
    ...                   label=np.array(["N", "V"]), proba=np.array([[0.9, 0.1], [0.2, 0.8]]),
    ...                   class_names=["N", "V"])
    >>> result = RecordsResult(tables=[table], errors={"bad/101": "DataFormatError: truncated"})
    >>> summary = result.summary()
    >>> summary["beats"], summary["counts"], summary["failed"]
    (2, {'N': 1, 'V': 1}, 1)
    >>> [row["label"] for row in result.rows()]
    ['N', 'V']
    """

    tables: list[BeatTable]
    errors: dict[str, str] = field(default_factory=dict)
    unwritten: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.tables)

    def rows(self) -> list[dict]:
        """Rows of all tables, record after record (see :meth:`BeatTable.rows`)."""
        return concat_tables(self.tables)

    def summary(self) -> dict:
        """Counts over all records, each record's summary, and the errors.

        The ectopic burden is over the readable beats of all records, as each record's is
        (:meth:`BeatTable.summary`), and ``None`` without a readable beat;
        ``unreadable_beats`` adds up the records' marks, and is ``None`` when no record has
        marks (``quality=False``), as each record's is.
        """
        per_record = [table.summary() for table in self.tables]
        counts: dict[str, int] = {}
        for record in per_record:
            for name, n in record["counts"].items():
                counts[name] = counts.get(name, 0) + n
        beats = sum(record["beats"] for record in per_record)
        marked = [r["unreadable_beats"] for r in per_record if r["unreadable_beats"] is not None]
        burden = None
        if all(record["normal_class"] is not None for record in per_record):
            normal = sum(record["readable_counts"][record["normal_class"]] for record in per_record)
            readable = sum(sum(record["readable_counts"].values()) for record in per_record)
            burden = ectopic_burden(normal, readable) if readable else None
        return {
            "records": len(self.tables) + len(self.errors),
            "classified": len(self.tables),
            "failed": len(self.errors),
            "beats": beats,
            # 0 would say that the beats were checked and all found readable.
            "unreadable_beats": sum(marked) if marked else None,
            "counts": counts,
            "ectopic_burden": burden,
            "per_record": per_record,
            "errors": dict(self.errors),
            "unwritten": dict(self.unwritten),
        }

    def to_csv(self, path: str | os.PathLike | io.TextIOBase) -> None:
        """Write all tables as one CSV, with one header line, to a path (atomically) or a stream."""
        write_csv(self.tables, path)


def _error_message(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _write_table(table: BeatTable, path: Path, *, replace: bool) -> None:
    """Write ``table`` to ``path`` atomically; without ``replace``, only where no file is.

    The folder is checked before the work, but a record's CSV is written when the record is
    done, maybe hours later: a file that came in between (another run into the same folder,
    the user's own export) was replaced without a word. It is linked into place instead, which
    fails (``FileExistsError``) when the name is taken at that moment.
    """
    write_atomic(path, lambda stream: write_csv([table], stream), exclusive=not replace)


def classify_records(
    records: str | os.PathLike | Sequence[str | os.PathLike],
    classifier: HeartbeatCNNClassifier | str = DEFAULT_MODEL,
    *,
    client: distributed.Client | str | None = None,
    lead: str | Sequence[str] | None = None,
    annotations: str | None = None,
    detector: str = "pan-tompkins",
    output_dir: str | os.PathLike | None = None,
    overwrite: bool = False,
    class_names: Sequence[str] | None = None,
    normal_class: str | None = None,
    quality: bool = True,
) -> RecordsResult:
    """Classify every beat of many WFDB records, one record per Dask task or here, two at a time.

    Each record goes through :func:`ecgbeat.records.classify_record`. With a cluster, the
    classifier is loaded here once and sent to every worker once (``scatter(broadcast=True)``),
    TensorFlow's threads are limited to each worker's share (:func:`limit_tensorflow_threads`,
    unless a limit was registered on the cluster before), and each record is one task. Without
    one, two records are in work at once here, so that one is read and its R peaks found while
    the other's beats go through the network (the same tables, sooner). A record that fails
    (missing or truncated file, unknown lead...) is listed in :attr:`RecordsResult.errors` with
    its message; the others are unaffected. The warnings a record raises on a worker (a lead
    other than the one asked for, no R peak found...) are raised again here, as without one.

    Parameters
    ----------
    records : str, path-like or sequence of them
        Record paths without extension (``data/100`` for ``data/100.hea``); one path is one
        record. With a cluster, the
        workers must see the same paths (a shared file system); relative paths are made absolute
        here first.
    classifier : HeartbeatCNNClassifier or str, default=DEFAULT_MODEL
        A fitted classifier, or the name or path of a pretrained model (loaded here).
    client : distributed.Client or str, optional
        Where to run: a client, a scheduler address (``"tcp://host:8786"``; connected for this
        call and closed after), or ``None`` to classify here in this process without Dask.
    lead, annotations, detector, class_names, normal_class, quality
        As in :func:`ecgbeat.records.classify_record`.
    output_dir : str or path-like, optional
        If given, each record's table is also written to ``<output_dir>/<record name>.csv`` as
        soon as it arrives, atomically (a temporary file renamed into place). Record names must
        then be distinct. A table whose file cannot be written (a full disk, no permission) is
        kept in the result all the same, its error in :attr:`RecordsResult.unwritten`, with a
        warning. Without it, the tables of records of one name in different folders
        (``site1/100``, ``site2/100``) are named as given, so that their rows stay apart.
    overwrite : bool, default=False
        Whether a ``<record name>.csv`` already in ``output_dir`` may be replaced. False: any
        such file is an error before anything is classified (a CSV of a run before, or a
        user's own export of the record, was replaced without a word), and one that appears
        while the records are classified is kept: that record's CSV is not written, its error
        in :attr:`RecordsResult.unwritten`.

    Returns
    -------
    RecordsResult
        The tables of the classified records, in the given order, and the errors.

    Raises
    ------
    ValueError
        If a record is listed twice; with ``output_dir``, if two records share a name or the
        folder's place is a file; if an option is one that no record can be classified with
        (an unknown ``detector``, or one beside ``annotations``; ``quality`` not True or False;
        ``class_names`` or ``normal_class`` that do not fit the classifier's classes), before
        any record is read.
    FileExistsError
        With ``output_dir`` and not ``overwrite``, if a record's CSV file is already there.

    See Also
    --------
    ecgbeat.records.classify_record : One record.

    Examples
    --------
    >>> from ecgbeat.distributed import classify_records
    >>> paths = [f"mitdb/{n}" for n in (100, 101, 102)]
    >>> result = classify_records(paths, "mitbih", client="tcp://scheduler:8786")  # doctest: +SKIP
    >>> result.summary()["beats"], result.errors  # doctest: +SKIP
    (6324, {})
    >>> result.to_csv("beats.csv")  # doctest: +SKIP
    """
    if isinstance(records, str | os.PathLike):
        records = [records]  # one record, not the characters of its path
    records = list(records)
    keys = [os.fspath(record_path(record)) for record in records]
    # Resolved, as the command line compares its inputs: "a/100" and "/data/a/100" (or
    # "a/../a/100") are one record, which would be classified twice.
    if len({Path(key).resolve() for key in keys}) != len(keys):
        raise ValueError("records lists the same record more than once")
    overwrite = check_flag(overwrite, "overwrite")
    out = Path(output_dir) if output_dir is not None else None
    if out is not None:
        names = [Path(key).name for key in keys]
        if len(set(names)) != len(names):
            raise ValueError(
                "two records have the same name, so their CSV files in output_dir would "
                f"overwrite each other: {sorted(n for n in set(names) if names.count(n) > 1)}"
            )
        # Now, not after every record has been classified and each CSV failed to be written.
        existing = next((path for path in (out, *out.parents) if path.exists()), None)
        if existing is not None and not existing.is_dir():
            raise ValueError(f"output_dir {out} cannot be a folder: {existing} is a file")
        there = [name for name in names if os.path.lexists(out / f"{name}.csv")]
        if there and not overwrite:
            raise FileExistsError(
                f"output_dir {out} already holds the CSV file of {len(there)} of the records "
                f"({', '.join(f'{name}.csv' for name in there[:5])}"
                f"{', ...' if len(there) > 5 else ''}): pass overwrite=True to replace them, "
                "or choose another folder"
            )
    classifier = fitted_classifier(classifier)
    _check_options(classifier, annotations, detector, class_names, normal_class, quality)
    options = {
        "lead": lead,
        "annotations": annotations,
        "detector": detector,
        "class_names": class_names,
        "normal_class": normal_class,
        "quality": quality,
    }

    tables: dict[str, BeatTable] = {}
    errors: dict[str, str] = {}
    unwritten: dict[str, str] = {}

    def collect(key: str, table: BeatTable | None, error: BaseException | None) -> None:
        if error is not None:
            errors[key] = _error_message(error)
            return
        if out is not None:
            try:
                _write_table(table, out / f"{Path(key).name}.csv", replace=overwrite)
            except OSError as exc:
                # Kept: the record was classified (an hour's work on a long recording), and
                # dropping its table as if it had failed lost it.
                unwritten[key] = f"cannot write CSV: {_error_message(exc)}"
        tables[key] = table

    if client is None:
        # Two records in flight: one is read while the other's beats are classified.
        for key, table, exc in each_overlapped(
            lambda key: classify_record(key, classifier, **options), keys
        ):
            collect(key, table, exc)
    else:
        _classify_on_cluster(keys, classifier, client, options, collect)
    # Errors under the record as the user gave it ("data/100.hea"), to be looked up by it.
    given = dict(zip(keys, map(os.fspath, records), strict=True))
    # Records of one name in different folders (site1/100, site2/100) were both "100": their
    # rows mixed in one CSV (to_csv) and their summaries alike. Named as given, as the command
    # line names them (output_dir refuses them above).
    names = [Path(key).name for key in keys]
    for key, name in zip(keys, names, strict=True):
        if names.count(name) > 1 and key in tables:
            tables[key].record = given[key]
    unwritten = {given[key]: unwritten[key] for key in keys if key in unwritten}
    if unwritten:
        warn_caller(
            f"output_dir {out}: the CSV file of {len(unwritten)} classified record(s) could not "
            "be written; their tables are in the result (RecordsResult.unwritten): "
            + "; ".join(f"{record}: {message}" for record, message in unwritten.items()),
            UserWarning,
        )
    return RecordsResult(
        tables=[tables[key] for key in keys if key in tables],
        errors={given[key]: errors[key] for key in keys if key in errors},
        unwritten=unwritten,
    )


def _check_options(classifier, annotations, detector, class_names, normal_class, quality) -> None:
    """Refuse the options that no record can be classified with, as classify_record would.

    They are the same for every record: each record failed with the same message in
    :attr:`RecordsResult.errors` (on a cluster, after every worker had read its record), in a
    result that came back as if the records were at fault.
    """
    from ecgbeat.beats import refuse_detector_beside_r_peaks
    from ecgbeat.qrs import DETECTORS
    from ecgbeat.records import resolve_class_names, resolve_normal_class

    check_flag(quality, "quality")
    if annotations is not None:
        refuse_detector_beside_r_peaks(detector, f"annotations={annotations!r}")
    elif not (isinstance(detector, str) and detector in DETECTORS):
        raise ValueError(f"unknown R-peak detector {detector!r}; choose one of {sorted(DETECTORS)}")
    if class_names is not None or normal_class is not None:
        names = resolve_class_names(classifier, class_names)
        resolve_normal_class(classifier, names, normal_class)


#: The warnings of the record that this worker thread classifies (None when it classifies none).
_kept = threading.local()
_keeping_installed = threading.Lock()


def _show_or_keep(message, category, filename, lineno, file=None, line=None) -> None:
    """``warnings.showwarning`` of a worker: a warning raised while this thread classifies a
    record is kept for the caller; any other is shown as before."""
    kept = getattr(_kept, "warnings", None)
    if kept is None:
        _show_or_keep.shown(message, category, filename, lineno, file, line)
    else:
        kept.append((str(message), category))


def _classify_record_keeping_warnings(record, classifier, **options):
    """``classify_record`` on a Dask worker, with the warnings it raised there, as ``(text,
    category)`` pairs, for :func:`classify_records` to raise again in the caller's process.

    A worker's warnings went to the worker's log, never to the user: a record classified from
    another lead than the one asked for, or without a single R peak, or at a heart rate that
    says the sampling rate is wrong, came back as a table like any other. Kept per thread
    (``warnings.catch_warnings`` is one state for the whole process, and a worker runs several
    tasks at once); the hook is put in place once per worker process.
    """
    with _keeping_installed:
        if not hasattr(_show_or_keep, "shown"):
            _show_or_keep.shown = warnings.showwarning
            warnings.showwarning = _show_or_keep
    _kept.warnings = kept = []
    try:
        table = classify_record(record, classifier, **options)
    finally:
        _kept.warnings = None
    return table, kept


def _classify_on_cluster(keys, classifier, client, options, collect) -> None:
    distributed = _import_distributed()
    with _client_for(client) as active:
        # A limit the user set before, e.g. with dask_backend(threads=...), stays as it is.
        _register_plugin(active, None, keep_existing=True)
        # Once per worker, not once per task: a network's weights are megabytes.
        model = active.scatter(classifier, broadcast=True, hash=False)
        futures = {}
        try:
            for key in keys:
                future = active.submit(
                    _classify_record_keeping_warnings,
                    os.path.abspath(key),
                    model,
                    pure=False,
                    **options,
                )
                futures[future] = key
            for future in distributed.as_completed(futures):
                # Dropped once collected: while a future is held, its result stays in the
                # workers' memory, which would hold every table of the run until it ends.
                key = futures.pop(future)
                try:
                    table, raised = future.result()
                except Exception as exc:
                    # A record's own exception, or the loss of its worker (KilledWorker).
                    collect(key, None, exc)
                else:
                    try:
                        for message, category in raised:  # here, as classify_record raises them
                            warn_caller(message, category)
                    except Exception as exc:
                        # A warning that the caller's filters make an error ("-W error"): this
                        # record's failure, as it is without a cluster. Raised from here, it
                        # ended the run, and the tables of the other records were lost.
                        collect(key, None, exc)
                    else:
                        collect(key, table, None)
        finally:
            # On an interruption, do not leave the cluster busy with records nobody awaits.
            active.cancel([f for f in futures if not f.done()] + [model])
