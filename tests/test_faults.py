"""Fault tests of the loaders on damaged copies of real MIT-BIH and PTB records.

Each damaged file must give a clear error that names the record and the file, and the user's files
must come out of the attempt byte for byte as they went in. A damaged beat cache is never an error:
it is rebuilt silently and gives the same beats as a fresh build.
"""

from __future__ import annotations

import os
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import snapshot

from ecgbeat.datasets import fetch_mitbih, fetch_ptbdb
from ecgbeat.exceptions import DataFormatError, ECGBeatError, SignalError

wfdb = pytest.importorskip("wfdb")


@pytest.fixture
def home(mitdb_dir, tmp_path) -> Path:
    """A data home with a writable copy of record 100 (no SHA256SUMS: files get hashed)."""
    folder = tmp_path / "mitdb"
    folder.mkdir()
    for ext in ("hea", "dat", "atr"):
        shutil.copyfile(mitdb_dir / f"100.{ext}", folder / f"100.{ext}")
    return tmp_path


def load(home: Path, **kwargs):
    return fetch_mitbih(home, records=["100"], download_if_missing=False, **kwargs)


def edit_header(old: bytes, new: bytes):
    def damage(folder: Path) -> None:
        path = folder / "100.hea"
        text = path.read_bytes()
        assert old in text
        path.write_bytes(text.replace(old, new))

    return damage


def write(name: str, data: bytes):
    return lambda folder: (folder / name).write_bytes(data)


def cut(name: str, keep):
    def damage(folder: Path) -> None:
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: keep(len(data))])

    return damage


def drop_mlii(folder: Path) -> None:
    """A header listing only V5 (one signal) in front of the two-signal data file."""
    path = folder / "100.hea"
    lines = path.read_bytes().splitlines(keepends=True)
    kept = [line for line in lines if b"MLII" not in line]
    path.write_bytes(b"".join(kept).replace(b"100 2 360", b"100 1 360", 1))


def remove(name: str):
    return lambda folder: (folder / name).unlink()


# (damage, error type, pattern); "{folder}" in the pattern becomes the record folder, escaped.
CASES = {
    "dat truncated": (
        cut("100.dat", lambda n: n // 2),
        DataFormatError,
        r"{folder}/100\.dat is truncated",
    ),
    "dat empty": (
        write("100.dat", b""),
        DataFormatError,
        r"{folder}/100\.dat is truncated: 0 bytes",
    ),
    "dat longer than header": (
        lambda f: (f / "100.dat").write_bytes((f / "100.dat").read_bytes() + b"\0" * 300),
        DataFormatError,
        r"header and data disagree: {folder}/100\.dat has 1950300 bytes",
    ),
    "dat missing": (remove("100.dat"), FileNotFoundError, r"{folder}: 100\.dat"),
    "header signal count too low": (
        edit_header(b"100 2 360", b"100 1 360"),
        DataFormatError,
        r"header {folder}/100\.hea declares 1 signal\(s\) but describes 2",
    ),
    "header signal count too high": (
        edit_header(b"100 2 360", b"100 3 360"),
        DataFormatError,
        r"header {folder}/100\.hea declares 3 signal\(s\) but describes 2",
    ),
    "header length too long": (
        edit_header(b"650000", b"700000"),
        DataFormatError,
        r"{folder}/100\.dat is truncated: 1950000 bytes.*700000 samples",
    ),
    "header format 16": (
        edit_header(b" 212 ", b" 16 "),
        DataFormatError,
        r"{folder}/100\.dat is truncated.*format 16",
    ),
    "header format 8": (
        edit_header(b" 212 ", b" 8 "),
        DataFormatError,
        r"header and data disagree: {folder}/100\.dat.*format 8",
    ),
    "header format unknown": (
        edit_header(b" 212 ", b" 999 "),
        DataFormatError,
        r"cannot read signal data {folder}/100\.dat",
    ),
    "header names another data file": (
        edit_header(b"100.dat", b"101.dat"),
        FileNotFoundError,
        r"data file {folder}/101\.dat not found",
    ),
    "header sampling frequency -1": (
        edit_header(b"100 2 360", b"100 2 -1"),
        DataFormatError,
        r"header {folder}/100\.hea gives the sampling frequency as '-1'",
    ),
    "header sampling frequency nan": (
        edit_header(b"100 2 360", b"100 2 nan"),
        DataFormatError,
        r"header {folder}/100\.hea gives the sampling frequency as 'nan'",
    ),
    "header gain garbled": (
        edit_header(b"100.dat 212 200 11 1024 995", b"100.dat 212 200x 11 1024 995"),
        DataFormatError,
        r"signal 1: '200x' is not a gain",
    ),
    "header data file with a non-ASCII name": (
        # wfdb read 'é100.dat' as '100.dat': another record's data.
        edit_header(b"100.dat 212 200 11 1024 995", "\u00e9100.dat 212 200 11 1024 995".encode()),
        DataFormatError,
        r"signal 1: file name '\u00e9100\.dat' is read as '100\.dat'",
    ),
    "header sampling frequency 0": (
        edit_header(b"100 2 360", b"100 2 0"),
        SignalError,
        r"record mitdb/100: sampling frequency must be at least 40 Hz",
    ),
    "header garbled": (
        write("100.hea", bytes(range(256)) * 2),
        DataFormatError,
        r"cannot read header {folder}/100\.hea",
    ),
    "header empty": (
        write("100.hea", b""),
        DataFormatError,
        r"header {folder}/100\.hea is empty \(no record line\)",
    ),
    "header of comments only": (
        write("100.hea", b"# exported by a device\n\n"),
        DataFormatError,
        r"header {folder}/100\.hea is empty",
    ),
    "lead missing from header": (
        drop_mlii,
        DataFormatError,
        r"header and data disagree: {folder}/100\.dat.*x 1 signals",
    ),
    "annotations empty": (
        write("100.atr", b""),
        DataFormatError,
        r"annotation file {folder}/100\.atr holds no annotations",
    ),
    "annotations zeroed": (
        write("100.atr", b"\0" * 64),
        DataFormatError,
        r"annotation file {folder}/100\.atr holds no annotations",
    ),
    "annotations garbled": (
        write("100.atr", np.random.default_rng(0).bytes(5000)),
        DataFormatError,
        r"header and annotations disagree: {folder}/100\.atr has an annotation at sample",
    ),
    "annotations cut mid-record": (
        cut("100.atr", lambda n: n - 1),
        DataFormatError,
        r"cannot read annotations {folder}/100\.atr",
    ),
    "annotations missing": (remove("100.atr"), FileNotFoundError, r"{folder}: 100\.atr"),
}


@pytest.mark.parametrize("cache", [False, True], ids=["no-cache", "cache"])
@pytest.mark.parametrize("case", list(CASES))
def test_damaged_record_gives_a_clear_error_and_is_not_modified(home, case, cache):
    damage, error, pattern = CASES[case]
    folder = home / "mitdb"
    damage(folder)
    before = snapshot(folder)
    match = pattern.replace("{folder}", re.escape(str(folder)))
    with pytest.raises(error, match=match) as info:
        load(home, cache=cache)
    assert "100" in str(info.value)
    assert snapshot(folder) == before
    assert not list(home.glob("cache/*.npz")), "a failed build must not leave a cache entry"


def test_a_signal_without_a_lead_name_is_an_unnamed_lead(home):
    # A raw AttributeError before; the description (lead name) is optional in WFDB.
    edit_header(b"-22131 0 MLII", b"-22131 0")(home / "mitdb")
    with pytest.raises(DataFormatError, match=r"has no lead 'MLII'; its leads are \(unnamed\), V5"):
        load(home, lead="MLII", cache=False)
    assert load(home, lead="V5", cache=False).lead == {"100": "V5"}


def test_requested_lead_absent(home):
    before = snapshot(home / "mitdb")
    with pytest.raises(DataFormatError, match=r"record mitdb/100 has no lead 'V2' or 'V4'"):
        load(home, lead=["V2", "V4"], cache=False)
    assert snapshot(home / "mitdb") == before


def _reads_despite_chmod(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            f.read(1)
    except PermissionError:
        return False
    return True


@pytest.mark.parametrize("ext", ["hea", "dat", "atr"])
def test_chmod_000_file(home, ext):
    path = home / "mitdb" / f"100.{ext}"
    path.chmod(0)
    try:
        if _reads_despite_chmod(path):
            pytest.skip(
                "running as root (as in CI): chmod 000 does not block reads; see the "
                "/proc/self/mem test below for a read failure that root gets too"
            )
        with pytest.raises((PermissionError, DataFormatError), match=re.escape(str(path))):
            load(home, cache=False)
    finally:
        path.chmod(0o644)


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("cache", [False, True], ids=["no-cache", "cache"])
@pytest.mark.parametrize("ext", ["hea", "dat", "atr"])
def test_file_that_fails_to_read(home, ext, cache):
    # Reading /proc/self/mem at offset 0 fails (EIO/EINVAL) for every user, root included: a
    # stand-in for a file on a failing disk or a permission the loader cannot override.
    folder = home / "mitdb"
    path = folder / f"100.{ext}"
    path.unlink()
    path.symlink_to("/proc/self/mem")
    before = snapshot(folder)
    with pytest.raises((OSError, ECGBeatError), match=re.escape(str(path))):
        load(home, cache=cache)
    assert snapshot(folder) == before


def test_ptb_record_truncated(ptbdb_dir, tmp_path):
    folder = tmp_path / "ptbdb" / "patient001"
    folder.mkdir(parents=True)
    for ext in ("hea", "dat", "xyz"):
        shutil.copyfile(ptbdb_dir / f"s0010_re.{ext}", folder / f"s0010_re.{ext}")
    (tmp_path / "ptbdb" / "RECORDS").write_text("patient001/s0010_re\n")
    data = (folder / "s0010_re.dat").read_bytes()
    (folder / "s0010_re.dat").write_bytes(data[:1000])
    before = snapshot(tmp_path / "ptbdb")
    match = re.escape(str(folder / "s0010_re.dat")) + " is truncated"
    with pytest.raises(DataFormatError, match=match):
        fetch_ptbdb(tmp_path, download_if_missing=False, cache=False)
    assert snapshot(tmp_path / "ptbdb") == before


# The beat cache: damage of any kind means a silent rebuild with the fresh result.


@pytest.fixture(scope="module")
def fresh(mitdb_dir):
    """Records 100 and 101 built without any cache."""
    return {
        r: fetch_mitbih(mitdb_dir.parent, records=[r], cache=False, download_if_missing=False)
        for r in ("100", "101")
    }


def _flip_inside_beats(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 3] ^= 0x10  # inside the beats array: the zip stays valid
    path.write_bytes(bytes(raw))


def _edit_arrays_keep_old_checksum(path: Path) -> None:
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["beats"] = arrays["beats"][::-1].copy()  # a valid npz, edited by hand
    np.savez(path, **arrays)


CACHE_DAMAGE = {
    "cut in half": lambda p, other: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    "empty": lambda p, other: p.write_bytes(b""),
    "not a zip": lambda p, other: p.write_bytes(b"PK\x03\x04 not really" * 100),
    "byte flipped": lambda p, other: _flip_inside_beats(p),
    "arrays edited": lambda p, other: _edit_arrays_keep_old_checksum(p),
    "another record's entry": lambda p, other: shutil.copyfile(other, p),
}


@pytest.mark.parametrize("damage", list(CACHE_DAMAGE))
def test_damaged_cache_is_rebuilt_silently(home, mitdb_dir, fresh, damage):
    shutil.copyfile(mitdb_dir / "101.hea", home / "mitdb" / "101.hea")
    shutil.copyfile(mitdb_dir / "101.dat", home / "mitdb" / "101.dat")
    shutil.copyfile(mitdb_dir / "101.atr", home / "mitdb" / "101.atr")
    fetch_mitbih(home, records=["100", "101"], download_if_missing=False)
    (entry,) = (home / "cache").glob("mitdb-100-*.npz")
    (other,) = (home / "cache").glob("mitdb-101-*.npz")
    CACHE_DAMAGE[damage](entry, other)
    before = snapshot(home / "mitdb")
    with warnings.catch_warnings():
        # Silent: not even a warning about the cache (wfdb's own deprecation warnings aside).
        warnings.filterwarnings("error", message=".*cache")
        again = load(home)
    np.testing.assert_array_equal(again.data, fresh["100"].data)
    np.testing.assert_array_equal(again.target, fresh["100"].target)
    np.testing.assert_array_equal(again.r_peaks, fresh["100"].r_peaks)
    assert snapshot(home / "mitdb") == before
    # The rebuilt entry is sound: it is read back, not rebuilt a third time.
    with np.load(entry) as npz:
        np.testing.assert_array_equal(npz["beats"], fresh["100"].data)


def test_cache_entry_replaced_by_a_folder(home, fresh):
    load(home)
    (entry,) = (home / "cache").glob("mitdb-100-*.npz")
    entry.unlink()
    entry.mkdir()
    with pytest.warns(RuntimeWarning, match=r"could not write the beat cache .*mitdb-100-"):
        again = load(home)
    np.testing.assert_array_equal(again.data, fresh["100"].data)
    assert os.listdir(entry) == []  # nothing written inside, no stray temporary file beside
    assert sorted(p.name for p in (home / "cache").iterdir()) == [entry.name]


def test_ctrl_c_while_writing_the_cache_leaves_no_partial_file(home, monkeypatch):
    real_savez = np.savez

    def interrupted(file, **arrays):
        real_savez(file, **arrays)
        file.truncate(100)  # half written when the user pressed Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load(home)
    assert list((home / "cache").iterdir()) == []
    monkeypatch.undo()
    assert load(home).data.shape == (2272, 187)
