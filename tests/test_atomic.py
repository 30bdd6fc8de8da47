"""Files that ecgbeat writes replace the old ones whole, keep their permissions, owner, group and
links."""

import errno
import os
import stat

import numpy as np
import pytest
from conftest import make_synthetic_beats

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat._atomic import replacing
from ecgbeat.records import write_atomic


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _umask_readable() -> bool:
    """Whether the kernel tells the umask without setting it (Linux 4.7 and later)."""
    try:
        with open("/proc/self/status") as status:
            return any(line.startswith("Umask:") for line in status)
    except OSError:
        return False


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_file_gets_the_usual_mode(tmp_path, umask_022):
    write_atomic(tmp_path / "new.csv", lambda stream: stream.write("a"))
    assert _mode(tmp_path / "new.csv") == 0o644  # not mkstemp's private 0o600


@pytest.mark.skipif(not _umask_readable(), reason="the umask can only be read by setting it")
@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_a_new_file_leaves_the_process_umask_alone(tmp_path, monkeypatch, umask):
    """The umask was read by setting it to 0 and back: a file that another thread created in
    between (a worker of predict, the user's own) was made world-writable."""
    old = os.umask(umask)
    try:
        set_to = []
        real_umask = os.umask
        monkeypatch.setattr(os, "umask", lambda mask: set_to.append(mask) or real_umask(mask))
        write_atomic(tmp_path / "new.csv", lambda stream: stream.write("a"))
        monkeypatch.undo()
        assert set_to == []
        assert _mode(tmp_path / "new.csv") == 0o666 & ~umask
    finally:
        os.umask(old)


def test_a_replaced_file_keeps_its_mode(tmp_path, umask_022):
    path = tmp_path / "shared.csv"
    path.write_text("old")
    os.chmod(path, 0o664)
    write_atomic(path, lambda stream: stream.write("new"))
    assert path.read_text() == "new" and _mode(path) == 0o664


def _another_owner() -> tuple[int, int] | None:
    """An owner and group that this process may give a file, other than its own: any (nobody's)
    as root, else one of its other groups (with its own uid); None when it has none."""
    if os.geteuid() == 0:
        return 65534, 65534
    others = [g for g in os.getgroups() if g != os.getegid()]
    return (os.geteuid(), others[0]) if others else None


def test_a_replaced_file_keeps_its_owner_and_group(tmp_path):
    # A team's file (group "team", mode 0660) came back in the writer's own group, and the team
    # lost access to it; one that root wrote over became root's.
    owner = _another_owner()
    if owner is None:
        pytest.skip("this user may give a file no other owner or group")
    path = tmp_path / "shared.csv"
    path.write_text("old")
    os.chown(path, *owner)
    os.chmod(path, 0o660)
    write_atomic(path, lambda stream: stream.write("new"))
    info = os.stat(path)
    assert path.read_text() == "new"
    assert (info.st_uid, info.st_gid, _mode(path)) == (*owner, 0o660)


def test_a_file_system_without_owners_still_replaces_the_file(tmp_path, monkeypatch):
    path = tmp_path / "shared.csv"
    path.write_text("old")
    os.chmod(path, 0o640)
    real_stat = os.stat
    calls = []

    def other_owner(target, *args, **kwargs):  # the old file seems another's
        info = real_stat(target, *args, **kwargs)
        if os.fspath(target) == os.fspath(path):
            return os.stat_result(
                (info.st_mode, *info[1:4], info.st_uid + 1, info.st_gid + 1, *info[6:])
            )
        return info

    def refused(*args):
        calls.append(args[1:])
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "stat", other_owner)
    monkeypatch.setattr(os, "chown", refused)
    write_atomic(path, lambda stream: stream.write("new"))
    monkeypatch.undo()
    assert path.read_text() == "new" and _mode(path) == 0o640
    owner = real_stat(path)
    assert calls == [(owner.st_uid + 1, owner.st_gid + 1), (-1, owner.st_gid + 1)]


def test_a_symbolic_link_stays_a_link_to_the_new_contents(tmp_path):
    real = tmp_path / "results" / "beats.csv"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    write_atomic(link, lambda stream: stream.write("new"))
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new"
    assert sorted(p.name for p in real.parent.iterdir()) == ["beats.csv"]


def test_a_link_to_nothing_is_not_written_through(tmp_path):
    link = tmp_path / "latest.csv"
    link.symlink_to(tmp_path / "gone" / "elsewhere" / "out.csv")
    with pytest.raises(FileNotFoundError, match=r"symbolic link to .*which does not exist"):
        write_atomic(link, lambda stream: stream.write("new"))
    assert link.is_symlink() and not (tmp_path / "gone").exists()


def test_a_write_protected_file_is_not_replaced(tmp_path, monkeypatch):
    # The rename replaced a file that its owner had made read-only to keep it (chmod a-w), as
    # cp does not. Root may write anything, and tests often run as root: access is answered
    # here by the file's mode, as for its owner without root's privilege.
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: bool(os.stat(p).st_mode & 0o200))
    kept, free = tmp_path / "model.keras", tmp_path / "beats.csv"
    kept.write_text("the user's model")
    kept.chmod(0o444)
    free.write_text("old")
    with pytest.raises(PermissionError, match="write-protected: not replaced") as caught:
        write_atomic(kept, lambda stream: stream.write("new"))
    assert caught.value.filename == str(kept)
    write_atomic(free, lambda stream: stream.write("new"))
    assert (kept.read_text(), free.read_text()) == ("the user's model", "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["beats.csv", "model.keras"]


def test_a_path_through_a_file_names_that_file(tmp_path):
    # "[Errno 17] File exists: 'results'" named the file, not what was wrong with it.
    (tmp_path / "results").write_text("a file, not a folder")
    for path in (tmp_path / "results" / "m.keras", tmp_path / "results" / "run" / "m.keras"):
        with pytest.raises(NotADirectoryError, match=r"results is a file, not a folder") as caught:
            write_atomic(path, lambda stream: stream.write("new"))
        assert caught.value.filename == str(path)
    assert (tmp_path / "results").read_text() == "a file, not a folder"


def test_a_failure_leaves_the_old_file_and_no_temporary_one(tmp_path):
    path = tmp_path / "beats.csv"
    path.write_text("old")

    def half_then_fail(stream):
        stream.write("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomic(path, half_then_fail)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["beats.csv"]


def test_errors_name_the_file_asked_for_not_the_temporary_one(tmp_path):
    path = tmp_path / "beats.csv"

    def refused(stream):
        tmp = stream.name
        raise PermissionError(13, "Permission denied", tmp)

    with pytest.raises(PermissionError) as caught:
        write_atomic(path, refused)
    assert caught.value.filename == str(path)
    assert str(caught.value) == f"[Errno 13] Permission denied: '{path}'"
    assert list(tmp_path.iterdir()) == []
    if os.path.isdir("/proc"):  # a folder that takes no file: the temporary one is refused
        with pytest.raises(OSError) as caught, replacing("/proc/m.keras"):
            pass
        assert caught.value.filename == "/proc/m.keras"


def test_an_exclusive_write_leaves_a_file_that_appeared_meanwhile(tmp_path):
    path = tmp_path / "model.keras"
    with pytest.raises(FileExistsError) as caught, replacing(path, exclusive=True) as tmp:
        tmp.write_text("new")
        path.write_text("another program's")
    assert caught.value.filename == str(path)
    assert path.read_text() == "another program's"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]
    with replacing(tmp_path / "free.keras", exclusive=True) as tmp:
        tmp.write_text("new")
    assert (tmp_path / "free.keras").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["free.keras", "model.keras"]


@pytest.mark.parametrize("code", [errno.EPERM, errno.ENOSYS, errno.EINVAL, errno.EACCES])
def test_an_exclusive_write_where_hard_links_fail_still_writes(tmp_path, monkeypatch, code):
    # File systems without hard links refuse os.link in many ways (ENOSYS on FUSE mounts): the
    # file is then checked for and renamed, never lost (an ENOSYS lost a trained model).
    def no_link(*_):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "link", no_link)
    with replacing(tmp_path / "m.keras", exclusive=True) as tmp:
        tmp.write_text("new")
    assert (tmp_path / "m.keras").read_text() == "new"
    with pytest.raises(FileExistsError), replacing(tmp_path / "m.keras", exclusive=True) as tmp:
        tmp.write_text("newer")
    assert (tmp_path / "m.keras").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]


def test_interrupted_block_leaves_nothing(tmp_path):
    with pytest.raises(KeyboardInterrupt), replacing(tmp_path / "x.npz", suffix=".part") as tmp:
        with tmp.open("wb") as f:
            np.savez(f, a=np.zeros(3))
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_a_saved_model_replacing_another_keeps_its_mode_and_link(tmp_path):
    X, y = make_synthetic_beats(n_per_class=6, n_samples=24)
    clf = HeartbeatCNNClassifier(epochs=1, validation_fraction=0, random_state=0).fit(X, y)
    real = tmp_path / "v1.keras"
    clf.save(real)
    os.chmod(real, 0o600)
    link = tmp_path / "current.keras"
    link.symlink_to(real)
    clf.save(link)
    assert link.is_symlink() and _mode(real) == 0o600
    assert HeartbeatCNNClassifier.load(link).classes_.tolist() == clf.classes_.tolist()


def test_a_picture_is_written_whole_or_not_at_all(tmp_path):
    pytest.importorskip("matplotlib")
    import argparse

    from ecgbeat.cli._common import save_figure, use_agg

    use_agg()
    import matplotlib.pyplot as plt

    path = tmp_path / "strip.png"
    fig = plt.figure()
    save_figure(fig, str(path), argparse.Namespace(quiet=True))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    before = path.read_bytes()

    class Broken:
        def savefig(self, target, **kwargs):
            with open(target, "wb") as f:
                f.write(b"\x89PNG half")
            raise OSError("no space left on device")

    with pytest.raises(OSError, match="no space"):
        save_figure(Broken(), str(path), argparse.Namespace(quiet=True))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["strip.png"]
