"""Replace a file all at once: what every file that ecgbeat writes goes through.

A reader never sees a half-written file, an interrupted run leaves no partial file that looks
complete, and a failure leaves whatever was there as it was. A file that is replaced keeps its
permissions, its group and its owner (as far as the user may set them: as ``cp`` keeps them,
writing into the file), and a symbolic link stays a link to the new contents (as ``cp`` writes
through it). A device or a pipe (``/dev/null``, ``/dev/stdout``, a named pipe) is written into as
it is, as ``cp`` writes into it: it is no file to replace.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _umask() -> int:
    """The process's umask, read from the kernel where it tells it (Linux 4.7 and later).

    Elsewhere it can only be read by setting it, which is process-wide: a file that another
    thread creates in that moment gets no umask at all (world-writable).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _take_over(tmp: Path, target: Path) -> None:
    """Give ``tmp`` the mode, and as far as allowed the owner and group, of ``target``.

    A new file gets the user's usual mode (mkstemp makes it private). A replaced one kept its
    mode but took the writer's owner and group: a team's file (group ``team``, mode 0660) left
    the team without access, and one written over by root became root's.
    """
    try:
        old = os.stat(target)
    except FileNotFoundError:
        os.chmod(tmp, 0o666 & ~_umask())
        return
    new = os.stat(tmp)
    if (new.st_uid, new.st_gid) != (old.st_uid, old.st_gid):
        for uid in (old.st_uid, -1):  # the owner (root may), else the group alone
            try:
                os.chown(tmp, uid, old.st_gid)
                break
            except OSError:  # not allowed, or a file system without owners: as it is
                continue
    os.chmod(tmp, stat.S_IMODE(old.st_mode))  # after chown, which may clear setgid


def writes_in_place(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a character device or a pipe (``/dev/null``, ``/dev/stdout``, a named
    pipe), which is written into rather than replaced by a file.

    Examples
    --------
    >>> writes_in_place("/dev/null"), writes_in_place(__file__)
    (True, False)
    """
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


@contextlib.contextmanager
def replacing(
    path: str | os.PathLike,
    suffix: str = ".tmp",
    *,
    exclusive: bool = False,
    into_devices: bool = True,
) -> Iterator[Path]:
    """A temporary file to write, moved onto ``path`` when the block ends without an error.

    Parameters
    ----------
    path : str or path-like
        The file to write; its folder is made when missing. When it is a symbolic link, the
        file it points to is replaced and the link is kept; a link to nothing is refused
        (``FileNotFoundError``), as ``cp`` refuses it, and so is a file that you may not
        write (``PermissionError``; a file made read-only with ``chmod a-w``), and a path
        through a file (``NotADirectoryError``). A device or a pipe (``/dev/null``,
        ``/dev/stdout``) is yielded itself, to be written into as it goes.
    suffix : str, default=".tmp"
        The temporary file's suffix (writers that go by the name, such as Matplotlib's
        ``savefig``, need the real one).
    exclusive : bool, default=False
        Write only a new file: when ``path`` exists at the end (another program wrote it while
        the block ran), ``FileExistsError`` and the file left as it is. The file is linked into
        place, which fails when the name is taken, rather than checked and then renamed.
    into_devices : bool, default=True
        Whether a device or a pipe at ``path`` is written into (a user's ``-o /dev/null``).
        False: it is replaced by the file, like any other, for ecgbeat's own files (a cache
        entry, a download), which must be regular files: a named pipe in a cache entry's place
        was opened for writing, which waits until something reads it.

    Yields
    ------
    pathlib.Path
        The temporary file, empty, in the same folder as the file it replaces (so that the
        final rename is atomic).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with replacing(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    if os.path.islink(path) and not os.path.exists(path):
        # As cp: writing through a link to nothing would make files (and folders) elsewhere.
        raise FileNotFoundError(
            f"{os.fspath(path)} is a symbolic link to {os.readlink(path)}, which does not "
            "exist: not writing through it"
        )
    if into_devices and writes_in_place(path):
        # Written into, as cp writes into it: the rename put a regular file in the place of
        # /dev/null itself (as root; everyone's output then went into that file), and anyone
        # else was refused, no temporary file being allowed in /dev.
        if exclusive:
            raise FileExistsError(errno.EEXIST, "exists: not replaced", os.fspath(path))
        yield Path(path)
        return
    target = Path(os.path.realpath(path))
    if target.is_file() and not os.access(target, os.W_OK):
        # As cp refuses it: the rename replaced a file that its owner had made read-only
        # (chmod a-w) to keep it, a model or a table, without a word.
        raise PermissionError(
            errno.EACCES,
            "write-protected: not replaced (make it writable to replace it)",
            os.fspath(path),
        )
    prefix = f".{target.name}."
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=target.parent)
    except (FileExistsError, NotADirectoryError) as exc:
        # A file where a folder of the path should be: "[Errno 17] File exists: 'results'"
        # named the file, not what was wrong with it.
        files = [p for p in (target.parent, *target.parent.parents) if p.exists()][:1]
        if not files or files[0].is_dir():
            raise _naming(exc, path, prefix) from exc
        raise NotADirectoryError(
            errno.ENOTDIR,
            f"{files[0]} is a file, not a folder: cannot write in it",
            os.fspath(path),
        ) from exc
    except OSError as exc:
        raise _naming(exc, path, prefix) from exc
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with tmp.open("r+b") as written:
            os.fsync(written.fileno())  # on disk before the rename makes it the file
        _take_over(tmp, target)
        if exclusive:
            _link_new(tmp, target, path)
        else:
            os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _naming(exc, path, prefix) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _link_new(tmp: Path, target: Path, path: str | os.PathLike) -> None:
    """Give ``tmp`` the name ``target``, only if no file has it (``path`` names it in errors)."""
    try:
        os.link(tmp, target)  # fails when the name is taken, at the moment of writing
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, "exists: not replaced", os.fspath(path)) from None
    except OSError:
        # A file system without hard links answers in many ways (EPERM, ENOTSUP, ENOSYS on
        # FUSE mounts, EINVAL, EACCES...): check, then rename (a narrow race remains). A real
        # failure to write there fails the rename too, with its own error.
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "exists: not replaced", os.fspath(path)) from None
        os.replace(tmp, target)
        return
    tmp.unlink()


def _naming(exc: OSError, path: str | os.PathLike, prefix: str) -> OSError:
    """``exc`` with the user's ``path`` where it names the temporary file: the user never
    asked for ``.m.keras.g3wuxdwe.keras``, and it is gone once the error is told."""
    named = [exc.filename, exc.filename2]
    if not any(
        isinstance(name, (str, bytes, os.PathLike))
        and os.path.basename(os.fsdecode(name)).startswith(prefix)
        for name in named
    ):
        return exc
    return type(exc)(exc.errno, exc.strerror, os.fspath(path))
