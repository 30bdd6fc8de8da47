"""The ``ecgbeat`` command: demo, predict, train, evaluate and data.

Run ``ecgbeat --help`` or ``ecgbeat COMMAND --help``. Heavy libraries (TensorFlow, matplotlib,
wfdb) are imported by the command that needs them, so ``ecgbeat --help`` answers at once.

Exit codes: 0 success, 1 a command failed (bad input file, a record that could not be read...),
2 wrong usage (unknown option, bad value), 130 when Ctrl-C stopped it, 143 when SIGTERM did
(``kill``, ``timeout``, a job scheduler), 141 when the reader of the output went away
(``| head``), silently. Errors and warnings are one line on stderr, never a traceback;
``ECGBEAT_DEBUG=1`` shows the traceback as well (``0``, or empty, does not).

Examples
--------
>>> from ecgbeat.cli import main
>>> main(["--version"])  # doctest: +ELLIPSIS
ecgbeat ...
0
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import threading
import warnings
from collections.abc import Sequence

from ecgbeat._backend import import_tensorflow_quietly
from ecgbeat.cli._common import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CommandError,
    UsageError,
)
from ecgbeat.cli._parser import build_parser
from ecgbeat.exceptions import ECGBeatError

__all__ = ["build_parser", "main"]


#: The exit code when the reader of stdout went away (``| head``): that of a command killed by
#: SIGPIPE, as the shell reports it.
EXIT_BROKEN_PIPE = 128 + 13

#: The exit code of a command stopped by SIGTERM (``kill``, ``timeout``, a job scheduler), as
#: the shell reports a process that it ended.
EXIT_TERMINATED = 128 + signal.SIGTERM

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


def _keep_stderr_open() -> None:
    """Give a closed stderr (``2>&-``) somewhere to go: /dev/null.

    Python then sets ``sys.stderr`` to None, and ``print(..., file=None)`` writes to stdout: the
    messages went into the table or the JSON. File descriptor 2 would also go to the next file
    opened (an output), where TensorFlow's native log lines would land.
    """
    _devnull_if_closed(2)
    if sys.stderr is None:
        sys.stderr = open(2, "w", closefd=False)


class _ClosedStdout(io.TextIOBase):
    """``sys.stdout`` when the command was started with stdout closed (``>&-``): a write is the
    command's error, naming it.

    Python sets ``sys.stdout`` to None then: ``print`` wrote nothing and the command said it
    succeeded (the report, the JSON, the summary lost without a word), and the table failed as
    an "unexpected error: TypeError: argument 1 must have a "write" method".
    """

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise CommandError(
            "stdout is closed (>&-): nothing can be printed; give the command a stdout "
            "(> FILE, or > /dev/null to discard it)"
        )


def _keep_stdout_open() -> None:
    """Give a closed stdout (``>&-``) /dev/null as its file descriptor: file descriptor 1 would
    otherwise go to the next file opened (an output), where anything written to stdout (a
    library's native lines) would land. ``sys.stdout`` stays None, for argparse, which then
    prints ``--help`` and its usage errors on stderr; the command gets :class:`_ClosedStdout`."""
    _devnull_if_closed(1)


def _devnull_if_closed(fd: int) -> None:
    """Open /dev/null as file descriptor ``fd`` if it is closed, so that the next file opened
    (an output) does not take its number."""
    try:
        os.fstat(fd)
    except OSError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        if devnull != fd:
            os.dup2(devnull, fd)
            os.close(devnull)


def _stdout_is_gone() -> bool:
    """Whether stdout is a pipe whose reader went away."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):  # not a file (a test's stream): ask it
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            return True
        except (OSError, ValueError):
            return False
        return False
    try:
        import select

        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        return any(event & select.POLLERR for _, event in poller.poll(0))
    except (OSError, AttributeError):  # no poll (Windows): believe the error
        return True


class _Terminated(BaseException):
    """SIGTERM, raised where the command was, so that the files it was writing are cleaned up
    as on Ctrl-C: SIGTERM's default action ended the process at once, and left a hidden
    temporary file beside each output being written."""


@contextlib.contextmanager
def _stopping_cleanly_on_sigterm():
    """Turn SIGTERM into :class:`_Terminated` for the block, if it would end the process.

    A handler that the caller set is left to them, and only the main thread may set one.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def stop(signum, frame):
        raise _Terminated

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _debugging() -> bool:
    """Whether ``ECGBEAT_DEBUG`` asks for tracebacks: ``0`` turns it off, as an empty value."""
    return os.environ.get("ECGBEAT_DEBUG", "").strip() not in ("", "0")


def _failed(args, exc: BaseException) -> int:
    message = str(exc) if not isinstance(exc, KeyError) else f"missing {exc}"
    print(f"ecgbeat {args.command}: error: {message}", file=sys.stderr)
    return EXIT_USAGE if isinstance(exc, UsageError) else EXIT_FAILURE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ecgbeat`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        The exit code: 0 success, 1 failure, 2 wrong usage, 130 when Ctrl-C stopped the
        command, 143 when SIGTERM did, 141 when the reader of stdout went away.

    Examples
    --------
    >>> from ecgbeat.cli import main
    >>> main(["predict"])  # doctest: +SKIP
    2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    _keep_stderr_open()
    _keep_stdout_open()
    parser = build_parser()
    try:
        args, extras = parser.parse_known_args(argv)
        if extras:
            # argparse takes a list of positionals in one run: the records after an option
            # (ecgbeat predict 100 --lead MLII 101) come back unparsed, and so do those after
            # the "--" that ends the options (a file named -x.csv), with the "--".
            end = extras.index("--") if "--" in extras else len(extras)
            if getattr(args, "command", None) != "predict" or any(
                extra.startswith("-") for extra in extras[:end]
            ):
                parser.error(f"unrecognized arguments: {' '.join(extras)}")
            args.records += extras[:end] + extras[end + 1 :]
    except SystemExit as exc:  # --help, --version and usage errors
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    args.argv = argv
    if sys.stdout is None:  # closed (>&-): what the command prints is its error, not lost
        sys.stdout = _ClosedStdout()
    with _stopping_cleanly_on_sigterm():
        return _run(args)


def _run(args) -> int:
    """Run the parsed command; its exit code, every failure told in one line."""
    try:
        if not args.verbose:
            # Inside the try: TensorFlow's import takes seconds, in which Ctrl-C or a broken
            # installation must end the command as any other, in one line.
            _quiet_libraries(args.command)
        with warnings.catch_warnings():
            # A library's warning is one line that names the command, as errors are, not a
            # path inside ecgbeat and a line of its source.
            warnings.showwarning = lambda message, *_, **__: print(
                f"ecgbeat {args.command}: warning: {message}", file=sys.stderr
            )
            return args.func(args)
    except KeyboardInterrupt:
        print(f"ecgbeat {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except _Terminated:
        print(f"ecgbeat {args.command}: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except BrokenPipeError as exc:
        if not _stdout_is_gone():
            return _failed(args, exc)
        # The reader of our output went away (| head): stop quietly, as other command-line
        # tools do. Its pipe is dead; /dev/null in its place keeps Python's flush at exit
        # from printing the error after all.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        return EXIT_BROKEN_PIPE
    except (ECGBeatError, OSError, ValueError, ImportError, KeyError) as exc:
        if _debugging():
            raise
        return _failed(args, exc)
    except Exception as exc:  # a bug or a library's surprise: still one line, with its type
        if _debugging():
            raise
        print(
            f"ecgbeat {args.command}: unexpected error: {type(exc).__name__}: {exc} "
            "(ECGBEAT_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILURE
