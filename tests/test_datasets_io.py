"""Tests of downloads, the beat cache, the PTB loader and the Kaggle CSV reader."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import os
import re
import shutil
import sys
import urllib.request
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import snapshot

from ecgbeat.datasets import (
    _cache,
    _download,
    _mitbih,
    fetch_mitbih,
    fetch_ptbdb,
    load_heartbeat_csv,
)
from ecgbeat.exceptions import DataFormatError, DataNotFoundError

pytest.importorskip("wfdb")

RECORD_FILES = ("100.hea", "100.dat", "100.atr")


@pytest.fixture
def server(mitdb_dir, tmp_path):
    """A file:// copy of PhysioNet's layout (files/mitdb/1.0.0/) with record 100 only."""
    root = tmp_path / "server"
    folder = root / "mitdb" / "1.0.0"
    folder.mkdir(parents=True)
    for name in RECORD_FILES:
        shutil.copyfile(mitdb_dir / name, folder / name)
    shutil.copyfile(mitdb_dir / "SHA256SUMS.txt", folder / "SHA256SUMS.txt")
    return root


@pytest.fixture
def user_home(mitdb_dir, tmp_path):
    """A user's data home holding a writable copy of records 100 and 114."""
    home = tmp_path / "home"
    folder = home / "mitdb"
    folder.mkdir(parents=True)
    for record in ("100", "114"):
        for ext in ("hea", "dat", "atr"):
            shutil.copyfile(mitdb_dir / f"{record}.{ext}", folder / f"{record}.{ext}")
    shutil.copyfile(mitdb_dir / "SHA256SUMS.txt", folder / "SHA256SUMS.txt")
    return home


# Downloads (never the network: file:// URLs).


def test_download_via_file_url(server, mitdb_dir, tmp_path):
    home = tmp_path / "fresh"
    b = fetch_mitbih(home, records=["100"], cache=False, base_url=server.as_uri())
    assert (b.groups == "100").sum() == 2272
    for name in RECORD_FILES:
        assert (home / "mitdb" / name).read_bytes() == (mitdb_dir / name).read_bytes()
    assert not list((home / "mitdb").glob("*.part"))


def test_download_uses_module_url(server, tmp_path, monkeypatch):
    monkeypatch.setattr(_download, "PHYSIONET_URL", server.as_uri())
    fetch_mitbih(tmp_path / "fresh", records=["100"], cache=False)
    assert (tmp_path / "fresh" / "mitdb" / "100.dat").is_file()


def test_checksum_mismatch_leaves_no_file(server, tmp_path):
    dat = server / "mitdb" / "1.0.0" / "100.dat"
    raw = bytearray(dat.read_bytes())
    raw[1000] ^= 0xFF
    dat.write_bytes(bytes(raw))
    home = tmp_path / "fresh"
    with pytest.raises(DataFormatError, match=r"100\.dat is corrupt: SHA-256"):
        fetch_mitbih(home, records=["100"], cache=False, base_url=server.as_uri())
    folder = home / "mitdb"
    assert not (folder / "100.dat").exists()
    assert not [p for p in folder.iterdir() if p.name.endswith(".part")]


def test_a_page_served_for_the_checksum_list_is_not_kept(server, tmp_path):
    # A network's sign-in page answers every URL with 200: kept as SHA256SUMS.txt, it would
    # fail every later download, from the right server too, as "not listed".
    portal = tmp_path / "portal" / "mitdb" / "1.0.0"
    portal.mkdir(parents=True)
    for name in ("SHA256SUMS.txt", *RECORD_FILES):
        (portal / name).write_text("<html><body>Sign in to continue</body></html>\n")
    home = tmp_path / "fresh"
    with pytest.raises(DataFormatError, match=r"not a SHA256SUMS\.txt listing"):
        fetch_mitbih(home, records=["100"], cache=False, base_url=portal.parents[1].as_uri())
    assert not (home / "mitdb" / "SHA256SUMS.txt").exists()
    b = fetch_mitbih(home, records=["100"], cache=False, base_url=server.as_uri())
    assert b.target.size == 2272


def test_a_file_missing_from_a_partial_listing_says_to_delete_the_listing(server, tmp_path):
    # A SHA256SUMS.txt of some records only (copied with them, or written by hand) stops the
    # download of any other record: the error said record 114 was "not a file of PhysioNet's
    # mitdb", and not what to do.
    shutil.copyfile(server / "mitdb" / "1.0.0" / "SHA256SUMS.txt", tmp_path / "full.txt")
    folder = tmp_path / "home" / "mitdb"
    folder.mkdir(parents=True)
    lines = (tmp_path / "full.txt").read_text().splitlines()
    listing = folder / "SHA256SUMS.txt"
    listing.write_text("\n".join(line for line in lines if " 100." in line) + "\n")
    before = listing.read_bytes()
    with pytest.raises(
        DataFormatError, match=r"114\.hea is not listed in .*there before: .*delete it"
    ):
        fetch_mitbih(folder.parent, records=["114"], cache=False, base_url=server.as_uri())
    assert listing.read_bytes() == before  # the user's file is left as it is


def test_a_data_home_that_is_the_database_folder_is_refused_not_downloaded_into(server, user_home):
    # data_home="/data/mitdb" (the records' own folder, not the one that holds mitdb/): the
    # records there were not seen, and the whole database was downloaded again into
    # /data/mitdb/mitdb/ without a word.
    folder = user_home / "mitdb"
    with pytest.raises(ValueError, match=r"holds the mitdb records itself.*data_home=.*home'"):
        fetch_mitbih(folder, records=["100"], cache=False, base_url=server.as_uri())
    assert not (folder / "mitdb").exists()


def test_a_download_never_writes_outside_its_folder(server, tmp_path):
    # A listing (PTB's RECORDS, SHA256SUMS.txt) that names ../file wrote a new file there.
    outside = server / "mitdb" / "evil.txt"
    outside.write_text("not PhysioNet's\n")
    listing = server / "mitdb" / "1.0.0" / "SHA256SUMS.txt"
    digest = hashlib.sha256(outside.read_bytes()).hexdigest()
    listing.write_text(listing.read_text() + f"{digest}  ../evil.txt\n")
    home = tmp_path / "fresh"
    with pytest.raises(DataFormatError, match=r"'\.\./evil\.txt' is not a file .*leaves"):
        _download.download_physionet(
            "mitdb", "1.0.0", ["../evil.txt"], home / "mitdb", base_url=server.as_uri()
        )
    assert not home.exists()


def test_without_wfdb_nothing_is_downloaded(server, tmp_path, monkeypatch):
    # The records are read with wfdb (the data extra): without it the whole selection was
    # downloaded first (about 100 MB for MIT-BIH), and the first read then said to install it.
    monkeypatch.setitem(sys.modules, "wfdb", None)  # import wfdb raises ImportError
    home = tmp_path / "fresh"
    with pytest.raises(ImportError, match=r"optional package 'wfdb'.*data"):
        fetch_mitbih(home, records=["100"], cache=False, base_url=server.as_uri())
    assert not home.exists()


def test_interrupted_download_leaves_no_partial_file(server, tmp_path, monkeypatch):
    real_urlopen = urllib.request.urlopen

    class Dropped(io.RawIOBase):
        """A response that breaks after its first megabyte."""

        def __init__(self):
            self.sent = 0

        def read(self, size=-1):
            if self.sent:
                raise ConnectionResetError("connection reset by peer")
            self.sent = 1
            return b"\0" * (1 << 20)

    def flaky(url, *args, **kwargs):
        if str(url).endswith("100.dat"):
            return Dropped()
        return real_urlopen(url, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", flaky)
    home = tmp_path / "fresh"
    # Named as a download that broke off, with the server, the files and what to do (it was a
    # bare "connection reset by peer"); the reset stays its cause.
    with pytest.raises(DataNotFoundError, match=r"100\.dat.*broke off \(ConnectionResetError.*try"):
        fetch_mitbih(home, records=["100"], cache=False, base_url=server.as_uri())
    folder = home / "mitdb"
    assert not (folder / "100.dat").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["100.hea", "SHA256SUMS.txt"]
    # The next try completes what is missing.
    monkeypatch.setattr(urllib.request, "urlopen", real_urlopen)
    b = fetch_mitbih(home, records=["100"], cache=False, base_url=server.as_uri())
    assert b.target.size == 2272


def test_a_network_lost_mid_transfer_is_told_as_a_broken_download(server, tmp_path, monkeypatch):
    # Errors of a lost network that Python gives no class of their own came through as a bare
    # "[Errno 113] No route to host", naming no server, no file and nothing to do.
    import errno

    real_urlopen = urllib.request.urlopen

    class Lost(io.RawIOBase):
        def read(self, size=-1):
            raise OSError(errno.EHOSTUNREACH, "No route to host")

    def flaky(url, *args, **kwargs):
        return Lost() if str(url).endswith("100.dat") else real_urlopen(url, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", flaky)
    home = tmp_path / "fresh"
    with pytest.raises(
        DataNotFoundError,
        match=r"missing .*: 100\.dat, 100\.atr; the transfer .* broke off "
        r"\(OSError: \[Errno \d+\] No route to host\): try again",
    ):
        fetch_mitbih(home, records=["100"], cache=False, base_url=server.as_uri())
    assert sorted(p.name for p in (home / "mitdb").iterdir()) == ["100.hea", "SHA256SUMS.txt"]

    # Other errors (the disk's: no space left) are no network's, and pass as they are.
    class Full(io.RawIOBase):
        def read(self, size=-1):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(urllib.request, "urlopen", lambda *args, **kwargs: Full())
    with pytest.raises(OSError, match=r"No space left on device") as raised:
        fetch_mitbih(home, records=["100"], cache=False, base_url=server.as_uri())
    assert not isinstance(raised.value, DataNotFoundError)


def test_a_listing_cut_short_in_transfer_is_not_kept(mitdb_dir, tmp_path):
    # A connection dropped mid-body ends http.client's reads without an error: the first lines
    # of SHA256SUMS.txt were kept as the listing, and every later download of a file past the
    # cut failed as "not listed: not a file of PhysioNet's mitdb", until the user deleted it.
    import http.server
    import threading

    listing = (mitdb_dir / "SHA256SUMS.txt").read_bytes()
    first_lines = b"".join(listing.splitlines(keepends=True)[:3])  # 100.atr, 100.dat, 100.hea

    class CutShort(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(listing)))
            self.end_headers()
            self.wfile.write(first_lines)  # then the connection closes
            self.close_connection = True

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CutShort)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    home = tmp_path / "fresh"
    try:
        cut = f"cut short: {len(first_lines)} of {len(listing)} bytes"
        with pytest.raises(DataNotFoundError, match=cut):
            fetch_mitbih(
                home,
                records=["114"],
                cache=False,
                base_url=f"http://127.0.0.1:{server.server_address[1]}",
            )
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert not home.exists()


def test_a_file_the_server_does_not_serve_is_named_with_its_status(server, tmp_path):
    # A mirror without a file (or a base_url of another layout) answers 404: the error said
    # the folder's URL "could not be reached (File not found)", naming neither the file nor
    # the answer, as if the network were down.
    import http.server
    import threading

    served = server / "mitdb" / "1.0.0"
    (served / "100.dat").unlink()

    class Mirror(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(server), **kwargs)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Mirror)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    home = tmp_path / "fresh"
    try:
        with pytest.raises(
            DataNotFoundError,
            match=rf"missing .*: 100\.dat, 100\.atr; {base}/mitdb/1\.0\.0/100\.dat was not "
            r"served \(HTTP 404: File not found\)",
        ):
            fetch_mitbih(home, records=["100"], cache=False, base_url=base)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
    assert sorted(p.name for p in (home / "mitdb").iterdir()) == ["100.hea", "SHA256SUMS.txt"]


# The beat cache.


def count_builds(monkeypatch):
    calls = []
    real = _mitbih._build_record

    def counting(folder, record, *args):
        calls.append(record)
        return real(folder, record, *args)

    monkeypatch.setattr(_mitbih, "_build_record", counting)
    return calls


def test_cache_hit_and_folder_untouched(user_home, monkeypatch):
    before = snapshot(user_home / "mitdb")
    calls = count_builds(monkeypatch)
    first = fetch_mitbih(user_home, records=["100", "114"], download_if_missing=False)
    assert calls == ["100", "114"]
    assert len(list((user_home / "cache").glob("mitdb-*.npz"))) == 2
    second = fetch_mitbih(user_home, records=["100", "114"], download_if_missing=False)
    assert calls == ["100", "114"]  # no rebuild
    np.testing.assert_array_equal(first.data, second.data)
    np.testing.assert_array_equal(first.target, second.target)
    assert snapshot(user_home / "mitdb") == before


def test_cache_keyed_by_parameters(user_home, monkeypatch):
    calls = count_builds(monkeypatch)
    fetch_mitbih(user_home, records=["100"], download_if_missing=False)
    b = fetch_mitbih(user_home, records=["100"], download_if_missing=False, segment_factor=1.0)
    assert calls == ["100", "100"]
    assert b.data.shape == (2272, 187)


def test_cache_keyed_by_the_code_that_shapes_beats(user_home, monkeypatch, tmp_path):
    calls = count_builds(monkeypatch)
    fetch_mitbih(user_home, records=["100"], download_if_missing=False)
    fetch_mitbih(user_home, records=["100"], download_if_missing=False)
    assert calls == ["100"]
    # An edit to the detector or the beat cutter (here: a copy of the package's sources with one
    # byte more in qrs.py) makes the cached beats those of other code: they are built again.
    package = Path(_cache.__file__).resolve().parents[1]
    edited = tmp_path / "ecgbeat"
    for name in _cache.BEAT_SHAPING_CODE:
        (edited / name).parent.mkdir(parents=True, exist_ok=True)
        (edited / name).write_bytes((package / name).read_bytes())
    (edited / "qrs.py").write_bytes((package / "qrs.py").read_bytes() + b"\n")
    monkeypatch.setattr(_cache, "__file__", str(edited / "datasets" / "_cache.py"))
    _cache.code_digest.cache_clear()
    try:
        fetch_mitbih(user_home, records=["100"], download_if_missing=False)
    finally:
        _cache.code_digest.cache_clear()
    assert calls == ["100", "100"]


def test_cache_keyed_by_the_libraries_that_read_and_filter(user_home, monkeypatch):
    # Another SciPy designs its filters anew, another wfdb reads records anew: other beats.
    calls = count_builds(monkeypatch)
    fetch_mitbih(user_home, records=["100"], download_if_missing=False)
    versions = {**_cache.library_versions(), "scipy": "0.0.1"}
    monkeypatch.setattr(_cache, "library_versions", lambda: versions)
    fetch_mitbih(user_home, records=["100"], download_if_missing=False)
    fetch_mitbih(user_home, records=["100"], download_if_missing=False)
    assert calls == ["100", "100"]


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_damaged_cache_is_rebuilt(user_home, monkeypatch, damage):
    calls = count_builds(monkeypatch)
    first = fetch_mitbih(user_home, records=["100"], download_if_missing=False)
    (path,) = (user_home / "cache").glob("mitdb-100-*.npz")
    raw = bytearray(path.read_bytes())
    if damage == "truncate":
        raw = raw[: len(raw) // 2]
    else:
        raw[len(raw) // 2] ^= 0x01  # inside the beats array: still a valid npz
    path.write_bytes(bytes(raw))
    again = fetch_mitbih(user_home, records=["100"], download_if_missing=False)
    assert calls == ["100", "100"]
    np.testing.assert_array_equal(again.data, first.data)
    # The rebuilt entry is sound again.
    fetch_mitbih(user_home, records=["100"], download_if_missing=False)
    assert calls == ["100", "100"]


def test_a_pipe_in_place_of_a_cache_entry_is_rebuilt_not_waited_on(user_home, monkeypatch):
    import signal

    calls = count_builds(monkeypatch)
    first = fetch_mitbih(user_home, records=["100"], download_if_missing=False)
    (path,) = (user_home / "cache").glob("mitdb-100-*.npz")
    path.unlink()
    os.mkfifo(path)

    def hung(*_):
        raise TimeoutError("fetch_mitbih waited on the pipe")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        again = fetch_mitbih(user_home, records=["100"], download_if_missing=False)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert calls == ["100", "100"] and path.is_file()
    np.testing.assert_array_equal(again.data, first.data)


def test_edited_source_invalidates_cache(user_home, monkeypatch):
    calls = count_builds(monkeypatch)
    fetch_mitbih(user_home, records=["100"], download_if_missing=False)
    atr = user_home / "mitdb" / "100.atr"
    stat = atr.stat()
    os.utime(atr, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    fetch_mitbih(user_home, records=["100"], download_if_missing=False)
    assert calls == ["100", "100"]


def test_a_cache_hit_says_what_the_build_said_of_the_data(tmp_path, monkeypatch):
    # A record whose annotations run past its signal: the build warns that one is left out,
    # and the same beats from the cache came without a word.
    import wfdb

    folder = tmp_path / "mitdb"
    folder.mkdir()
    fs = 360
    t = np.arange(30 * fs) / fs
    r = np.arange(180, t.size, 288)
    ecg = np.exp(-(((t[:, None] - r / fs) / 0.01) ** 2)).sum(axis=1)
    wfdb.wrsamp("100", fs=fs, units=["mV"], sig_name=["MLII"], p_signal=ecg[:, None],
                fmt=["16"], write_dir=str(folder))  # fmt: skip
    beats = np.r_[r, t.size + 100]
    wfdb.wrann("100", "atr", beats, np.array(["N"] * beats.size), write_dir=str(folder))
    calls = count_builds(monkeypatch)
    told = r"record mitdb/100: 1 annotation\(s\) of 100\.atr after the end of the signal"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ignored at the build, kept for the reads after it
        first = fetch_mitbih(tmp_path, records=["100"], download_if_missing=False)
    for _ in range(2):
        with pytest.warns(UserWarning, match=told) as caught:
            again = fetch_mitbih(tmp_path, records=["100"], download_if_missing=False)
        assert calls == ["100"]  # from the cache
        assert len([w for w in caught if "annotation" in str(w.message)]) == 1
        assert caught[0].filename == __file__  # at the caller's line
        np.testing.assert_array_equal(again.data, first.data)
    # An error filter makes the kept warning an error, as it made the build's.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        with pytest.raises(UserWarning, match=told):
            fetch_mitbih(tmp_path, records=["100"], download_if_missing=False)


def test_cache_disabled(user_home, monkeypatch):
    fetch_mitbih(user_home, records=["100"], download_if_missing=False, cache=False)
    assert not (user_home / "cache").exists()


def test_unwritable_data_home_falls_back(user_home, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    real = _cache._writable
    monkeypatch.setattr(
        _cache, "_writable", lambda folder: folder != user_home / "cache" and real(folder)
    )
    with pytest.warns(RuntimeWarning, match="cannot write the beat cache"):
        fetch_mitbih(user_home, records=["100"], download_if_missing=False)
    assert list((tmp_path / "xdg" / "ecgbeat").glob("mitdb-100-*.npz"))


# PTB Diagnostic ECG Database.


def test_ptbdb_fixture(ptbdb_dir):
    before = snapshot(ptbdb_dir)
    with pytest.warns(RuntimeWarning, match="548 of 549 PTB records are not in"):
        ptb = fetch_ptbdb(ptbdb_dir.parent, download_if_missing=False, cache=False)
    assert ptb.target_names == ["healthy control", "myocardial infarction"]
    # 38.4 s at about 80 bpm (the median R-R interval is 0.75 s); the last beat is dropped.
    assert ptb.data.shape == (51, 187)
    assert 700 <= np.median(np.diff(ptb.r_peaks)) <= 800
    assert set(ptb.target.tolist()) == {1}
    assert set(ptb.groups.tolist()) == {"patient001"}
    assert set(ptb.record.tolist()) == {"patient001/s0010_re"}
    assert np.all(np.diff(ptb.r_peaks) > 400)  # > 0.4 s apart at 1000 Hz: no double detections
    assert "Bousseljot" in ptb.DESCR
    assert snapshot(ptbdb_dir) == before
    X, _ = fetch_ptbdb(ptbdb_dir.parent, records=["s0010_re"], cache=False, return_X_y=True)
    np.testing.assert_array_equal(X, ptb.data)
    # The rhythm of the detected beats: intervals from the R peaks, at 1000 Hz.
    assert ptb.rr_features.shape == (51, 7)
    np.testing.assert_allclose(ptb.rr_features[1:, 0], np.diff(ptb.r_peaks) / 1000, rtol=1e-5)
    X, _ = fetch_ptbdb(
        ptbdb_dir.parent, records=["s0010_re"], cache=False, rhythm=True, return_X_y=True
    )
    np.testing.assert_array_equal(X, np.hstack([ptb.data, ptb.rr_features]))


def test_a_lead_is_read_without_the_data_files_of_the_other_leads(ptbdb_dir, tmp_path):
    # PTB keeps the 12 standard leads in s0010_re.dat and the Frank leads in s0010_re.xyz: lead
    # ii was refused ("data file ... s0010_re.xyz not found") where only the .dat was copied,
    # or where the .xyz was cut short, though wfdb reads lead ii from the .dat alone.
    from ecgbeat.datasets import read_lead

    folder = tmp_path / "ptbdb"
    folder.mkdir()
    for ext in ("hea", "dat"):
        shutil.copyfile(ptbdb_dir / f"s0010_re.{ext}", folder / f"s0010_re.{ext}")
    whole, fs, lead, _ = read_lead(ptbdb_dir / "s0010_re", "ii")
    signal, _, _, _ = read_lead(folder / "s0010_re", "ii")
    np.testing.assert_array_equal(signal, whole)
    assert (fs, lead, signal.size) == (1000.0, "ii", 38400)
    # The file of the lead asked for is still checked.
    with pytest.raises(FileNotFoundError, match=r"s0010_re\.xyz not found"):
        read_lead(folder / "s0010_re", "vx")
    (folder / "s0010_re.xyz").write_bytes((ptbdb_dir / "s0010_re.xyz").read_bytes()[:1000])
    np.testing.assert_array_equal(read_lead(folder / "s0010_re", "ii")[0], whole)
    with pytest.raises(DataFormatError, match=r"s0010_re\.xyz is truncated"):
        read_lead(folder / "s0010_re", "vx")
    (folder / "s0010_re.dat").write_bytes((ptbdb_dir / "s0010_re.dat").read_bytes()[:1000])
    with pytest.raises(DataFormatError, match=r"s0010_re\.dat is truncated"):
        read_lead(folder / "s0010_re", "ii")


def test_ptb_records_none_of_which_is_on_disk_are_told_missing(ptbdb_dir, tmp_path):
    # RECORDS there, no record: "no usable PTB record (healthy control or infarction)", after a
    # warning "using the 0 on disk", said neither that the data are missing nor how to get them.
    folder = tmp_path / "ptbdb"
    folder.mkdir()
    shutil.copyfile(ptbdb_dir / "RECORDS", folder / "RECORDS")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(
            DataNotFoundError,
            match=r"ptbdb files missing from .*ptbdb: patient001/s0010_re\.hea, .* and 543 more; "
            r"none of the records listed in RECORDS is on disk, and downloading is off.*"
            r"data_home=",
        ):
            fetch_ptbdb(tmp_path, cache=False, download_if_missing=False)


def test_ptb_records_all_of_other_diagnoses_are_named_with_them(ptbdb_dir, tmp_path):
    # "no usable PTB record ... in <folder>" as if the data were missing, though they are there.
    folder = tmp_path / "ptbdb"
    folder.mkdir()
    for ext in ("dat", "xyz"):
        shutil.copyfile(ptbdb_dir / f"s0010_re.{ext}", folder / f"s0010_re.{ext}")
    header = (ptbdb_dir / "s0010_re.hea").read_text()
    (folder / "s0010_re.hea").write_text(
        header.replace("Reason for admission: Myocardial infarction", "Reason for admission: Myocarditis")
    )  # fmt: skip
    with pytest.raises(FileNotFoundError, match=r"no usable PTB record .*: the 1 record\(s\) read "
                       r"are of other diagnoses, .*: s0010_re \(myocarditis\)"):  # fmt: skip
        fetch_ptbdb(tmp_path, records=["s0010_re"], cache=False, download_if_missing=False)


def _write_ptb_segments(folder, rr: float, gap: int = 0) -> int:
    """Segments ``a`` and ``b`` of 20 s of a synthetic lead ii (a beat every ``rr`` s) at 1 kHz:
    ``a`` the first 10 s, ``b`` from ``gap`` samples after it to the end. Returns the rate."""
    import wfdb

    fs = 1000
    t = np.arange(20 * fs) / fs
    ecg = np.exp(-(((t[:, None] - np.arange(0.4, 20, rr)) / 0.012) ** 2)).sum(axis=1)
    for name, part in (("a", ecg[:10000]), ("b", ecg[10000 + gap :])):
        wfdb.wrsamp(name, fs=fs, units=["mV"], sig_name=["ii"], p_signal=part[:, None],
                    fmt=["16"], write_dir=str(folder))  # fmt: skip
    return fs


def test_a_ptb_record_with_a_gap_between_its_segments_is_refused_naming_the_gap(tmp_path):
    # read_lead gives NaN in a multi-segment record's gap; the loaders refused the record as
    # "2000 NaN or infinite sample(s), the first at index 10000", NaN that no file holds.
    from ecgbeat.exceptions import SignalError

    folder = tmp_path / "ptbdb"
    folder.mkdir()
    fs = _write_ptb_segments(folder, rr=0.8, gap=2000)
    (folder / "lay.hea").write_text(f"lay 1 {fs} 0\n~ 0 200 16 0 0 0 0 ii\n")
    (folder / "s0001_re.hea").write_text(
        f"s0001_re/4 1 {fs} 20000\nlay 0\na 10000\n~ 2000\nb 8000\n"
        "# Reason for admission: Healthy control\n"
    )
    with pytest.raises(
        SignalError,
        match=r"record ptbdb/s0001_re: lead ii has no valid value at 2000 samples \(the first at "
        r"sample 10000, 10\.00 s\): a gap between the record's segments, .* leave the record "
        r"out \(records=...\)",
    ):
        fetch_ptbdb(tmp_path, records=["s0001_re"], cache=False, download_if_missing=False)


def test_an_edited_segment_of_a_ptb_record_invalidates_its_cache_entry(tmp_path):
    # The key held the files of the record's name only (s0001_re.*): the samples of its
    # segments, edited, were served as the beats of the old ones.
    folder = tmp_path / "ptbdb"
    folder.mkdir()
    fs = _write_ptb_segments(folder, rr=0.8)
    (folder / "s0001_re.hea").write_text(
        f"s0001_re/2 1 {fs} 20000\na 10000\nb 10000\n# Reason for admission: Healthy control\n"
    )
    options = dict(records=["s0001_re"], download_if_missing=False, return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no patient folder: one group
        assert len(fetch_ptbdb(tmp_path, **options)[0]) == 24  # R-R 0.8 s
        _write_ptb_segments(folder, rr=0.6)
        assert len(fetch_ptbdb(tmp_path, **options)[0]) == 32


def test_ptb_records_of_no_known_patient_are_one_group_with_a_warning(ptbdb_dir, tmp_path):
    # Flat, with no RECORDS listing: every record's group was "unknown", silently one patient.
    folder = tmp_path / "ptbdb"
    folder.mkdir()
    for ext in ("hea", "dat", "xyz"):
        shutil.copyfile(ptbdb_dir / f"s0010_re.{ext}", folder / f"s0010_re.{ext}")
    with pytest.warns(RuntimeWarning, match=r"the patient of 1 PTB record\(s\) is unknown "
                      r"\(s0010_re: neither a RECORDS listing nor a folder"):  # fmt: skip
        ptb = fetch_ptbdb(tmp_path, cache=False, download_if_missing=False)
    assert set(ptb.groups) == {"unknown"}
    # Listed, its patient is known, and nothing is said.
    (folder / "RECORDS").write_text("patient001/s0010_re\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ptb = fetch_ptbdb(tmp_path, cache=False, download_if_missing=False)
    assert set(ptb.groups) == {"patient001"}


def test_ptbdb_records_named_by_paths_as_by_their_text(ptbdb_dir):
    # fetch_mitbih took paths; fetch_ptbdb refused them as "not text".
    from pathlib import PurePosixPath

    named = fetch_ptbdb(ptbdb_dir.parent, records=["patient001/s0010_re"], cache=False)
    for records in (PurePosixPath("patient001/s0010_re"), [Path("patient001") / "s0010_re"]):
        by_path = fetch_ptbdb(ptbdb_dir.parent, records=records, cache=False)
        np.testing.assert_array_equal(by_path.data, named.data)
        assert by_path.data.shape == (51, 187) and set(by_path.groups) == {"patient001"}


def test_ptbdb_record_named_twice_is_read_once(ptbdb_dir):
    named = ["s0010_re", "patient001/s0010_re", "s0010_re"]
    X, _ = fetch_ptbdb(ptbdb_dir.parent, records=named, cache=False, return_X_y=True)
    assert X.shape == (51, 187)


@pytest.mark.parametrize(
    "records, message",
    [([], "records is empty"), ([10], "records names PTB records as text.*got 10")],
)
def test_ptbdb_checks_records(ptbdb_dir, records, message):
    # [] was "no usable PTB record ... in <folder>", as if the data were missing; a number
    # failed in a path join ("unsupported operand type(s) for /").
    with pytest.raises(ValueError, match=message):
        fetch_ptbdb(ptbdb_dir.parent, records=records, cache=False, download_if_missing=False)


@pytest.mark.parametrize(
    "records, named", [(5, "5"), (b"s0010_re", "b's0010_re'"), (np.array(7), "7")]
)
def test_ptbdb_checks_records_before_looking_for_data(tmp_path, records, named):
    # records=5 failed in list() with "'int' object is not iterable", naming nothing, and only
    # after RECORDS was fetched (or, offline, as missing data); bytes were split into numbers.
    empty = tmp_path / "no-server"
    empty.mkdir()
    home = tmp_path / "home"
    with pytest.raises(ValueError, match=rf"records names PTB records as text.*got {named}$"):
        fetch_ptbdb(home, records=records, cache=False, base_url=empty.as_uri())
    with pytest.raises(ValueError, match="records names PTB records as text"):
        fetch_ptbdb(home, records=records, cache=False, download_if_missing=False)
    assert not home.exists()


def test_ptbdb_unknown_record_without_a_listing(ptbdb_dir, tmp_path):
    # Without a RECORDS file the error named it, as if the record were missing from it.
    folder = tmp_path / "ptbdb"
    folder.mkdir()
    for name in ("s0010_re.hea", "s0010_re.dat"):
        shutil.copyfile(ptbdb_dir / name, folder / name)
    with pytest.raises(
        ValueError, match=r"'s9999_re' is not among the 1 records in .*ptbdb \(found by"
    ):
        fetch_ptbdb(tmp_path, records=["s9999_re"], cache=False, download_if_missing=False)


@pytest.mark.parametrize("download", [False, True])
def test_ptbdb_record_kept_flat_without_a_listing_is_named_with_its_patient(
    ptbdb_dir, tmp_path, download
):
    # The docstring's two spellings of a record and two layouts: a record kept flat
    # (s0010_re.hea), with no RECORDS file, named as PhysioNet names it, was refused as "not
    # among the 1 records" though it was there, and its patient, named, was not taken.
    folder = tmp_path / "ptbdb"
    folder.mkdir()
    for ext in ("hea", "dat", "xyz"):
        shutil.copyfile(ptbdb_dir / f"s0010_re.{ext}", folder / f"s0010_re.{ext}")
    named = ["patient001/s0010_re", "s0010_re"]  # one record, named twice
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "patient ... is unknown"
        ptb = fetch_ptbdb(tmp_path, records=named, cache=False, download_if_missing=download)
    assert ptb.data.shape == (51, 187)
    assert set(ptb.groups.tolist()) == {"patient001"}
    assert set(ptb.record.tolist()) == {"patient001/s0010_re"}
    with pytest.raises(ValueError, match=r"'\.\./s0010_re' is not among the 1 records"):
        fetch_ptbdb(tmp_path, records=["../s0010_re"], cache=False, download_if_missing=False)
    assert sorted(p.name for p in folder.iterdir()) == [
        "s0010_re.dat",
        "s0010_re.hea",
        "s0010_re.xyz",
    ]


def test_ptbdb_layout_and_labels(ptbdb_dir, tmp_path):
    folder = tmp_path / "ptbdb"
    (folder / "patient001").mkdir(parents=True)
    (folder / "patient104").mkdir(parents=True)
    (folder / "patient200").mkdir(parents=True)
    header = (ptbdb_dir / "s0010_re.hea").read_text()
    for patient, record, reason in [
        ("patient001", "s0010_re", "Myocardial infarction"),
        ("patient104", "s0306lre", "Healthy control"),
        ("patient200", "s0400lre", "Cardiomyopathy"),
    ]:
        for ext in ("dat", "xyz"):
            shutil.copyfile(ptbdb_dir / f"s0010_re.{ext}", folder / patient / f"{record}.{ext}")
        text = header.replace("s0010_re", record).replace("Myocardial infarction", reason)
        (folder / patient / f"{record}.hea").write_text(text)
    (folder / "RECORDS").write_text(
        "patient001/s0010_re\npatient104/s0306lre\npatient200/s0400lre\n"
    )
    ptb = fetch_ptbdb(tmp_path, download_if_missing=False, cache=False)
    assert sorted(set(ptb.groups.tolist())) == ["patient001", "patient104"]
    assert set(ptb.target[ptb.groups == "patient104"].tolist()) == {0}
    assert set(ptb.target[ptb.groups == "patient001"].tolist()) == {1}
    assert ptb.excluded == {"patient200/s0400lre": "cardiomyopathy"}
    v6 = fetch_ptbdb(tmp_path, lead="V6", download_if_missing=False, cache=False)
    assert v6.data.shape[0] > 60
    with pytest.raises(DataFormatError, match=r"record ptbdb/patient001/s0010_re has no lead"):
        fetch_ptbdb(tmp_path, lead="MLII", download_if_missing=False, cache=False)


def test_ptbdb_records_on_disk_need_no_listing(ptbdb_dir, tmp_path, monkeypatch):
    # Named records on disk, without the RECORDS listing: nothing to download, as for MIT-BIH.
    folder = tmp_path / "ptbdb"
    (folder / "patient001").mkdir(parents=True)
    for ext in ("hea", "dat", "xyz"):
        shutil.copyfile(ptbdb_dir / f"s0010_re.{ext}", folder / "patient001" / f"s0010_re.{ext}")

    def offline(url, *args, **kwargs):
        raise AssertionError(f"no download expected, got {url}")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    ptb = fetch_ptbdb(tmp_path, records=["patient001/s0010_re"], cache=False)
    assert ptb.data.shape == (51, 187)
    assert set(ptb.groups.tolist()) == {"patient001"}
    assert sorted(p.name for p in folder.iterdir()) == ["patient001"]


# Kaggle CSV layout.


def test_kaggle_csv(kaggle_dir):
    path = kaggle_dir / "mitbih_test_first10.csv"
    b = load_heartbeat_csv(path)
    raw = np.loadtxt(path, delimiter=",")
    assert b.data.shape == (10, 187) and b.data.dtype == np.float32
    np.testing.assert_array_equal(b.data, raw[:, :187].astype(np.float32))
    assert b.target.tolist() == [0] * 10
    assert b.target_names == ["N", "S", "V", "F", "Q"]
    X, _ = load_heartbeat_csv(path, return_X_y=True)
    np.testing.assert_array_equal(X, b.data)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (",".join(["0.1"] * 100 + ["0"]), "expected 188 columns.*found 101"),
        (",".join(["0.1"] * 187 + ["0"]) + "\n" + ",".join(["0.1"] * 186 + ["0"]), "not a CSV"),
        (",".join(["0.1"] * 186 + ["abc", "0"]), "not a CSV of numbers"),
        (",".join([*map(str, range(186)), "abc", "0"]), "not a CSV of numbers"),
        (",".join(["0.1"] * 187 + ["1.5"]), r"label 1\.5 at row 1 is not an integer"),
        (",".join(["0.1"] * 187 + ["7"]), r"label 7\.0 .* 0\.\.4"),
        (",".join(["0.1"] * 186 + ["nan", "0"]), "NaN or infinite value at row 1, column 187"),
        ("", "no rows"),
    ],
)
def test_bad_csv(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content + "\n")
    with warnings.catch_warnings():
        # NumPy's warning about an empty file named its stream, beside this clear error.
        warnings.simplefilter("error")
        with pytest.raises(DataFormatError, match=message):
            load_heartbeat_csv(path)


@pytest.mark.parametrize(("separator", "named"), [(";", "';'"), ("\t", "'\\t'"), ("|", "'|'")])
def test_a_csv_of_another_separator_is_named_so(tmp_path, separator, named):
    # A spreadsheet's export with ';' (where the decimal mark is a comma) or tabs: NumPy's
    # error only quoted the line, as one value that is no number.
    from ecgbeat.datasets import read_beats_csv, read_signal

    rows = [separator.join(["0.25"] * 187 + ["0"]) for _ in range(3)]
    path = tmp_path / "beats.csv"
    path.write_text("\n".join(rows) + "\n")
    told = f"the values are separated by {re.escape(named)}, and ecgbeat reads them separated by"
    with pytest.raises(DataFormatError, match=told):
        load_heartbeat_csv(path)
    with pytest.raises(DataFormatError, match=told):
        read_beats_csv(path, 187)
    signal = tmp_path / "signal.csv"
    signal.write_text("\n".join(separator.join(["0.5", "0.25"]) for _ in range(400)) + "\n")
    with pytest.raises(DataFormatError, match=told):
        read_signal(signal, ["MLII"], 360)


def test_csv_values_beyond_float32_are_refused_not_read_as_infinite(tmp_path):
    # Finite as float64, the value became inf in the float32 beats, with only NumPy's warning.
    from ecgbeat.datasets import read_beats_csv

    path = tmp_path / "huge.csv"
    path.write_text(",".join(["0.1"] * 186 + ["-1e39", "0"]) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for read in (load_heartbeat_csv, read_beats_csv):
            with pytest.raises(DataFormatError, match=r"-1e\+39 at row 1, column 187 .*float32"):
                read(path, beat_length=187)


@pytest.mark.parametrize("header", [False, True])
def test_csvs_with_every_field_in_quotes_are_read_whole(tmp_path, header):
    # csv.QUOTE_ALL (pandas' to_csv(quoting=...)) writes "0.5": every such file was "not a CSV
    # of numbers", and a first row of quoted numbers was taken for a header.
    import csv

    from ecgbeat.datasets import read_beats_csv, read_signal

    rows = np.round(np.random.default_rng(0).random((4, 188)), 3)
    rows[:, -1] = [0, 1, 4, 2]
    lead = np.round(np.random.default_rng(1).random((50, 2)), 3)
    for name, table, names in (
        ("beats.csv", rows, [str(k) for k in range(188)]),
        ("lead.csv", lead, ["V5", "MLII"]),
    ):
        with open(tmp_path / name, "w", newline="") as f:
            writer = csv.writer(f, quoting=csv.QUOTE_ALL)
            if header:
                writer.writerow(names)
            writer.writerows(table.tolist())
    X, y = load_heartbeat_csv(tmp_path / "beats.csv", return_X_y=True)
    np.testing.assert_array_equal(X, rows[:, :187].astype(np.float32))
    assert y.tolist() == [0, 1, 4, 2]
    np.testing.assert_array_equal(read_beats_csv(tmp_path / "beats.csv", 187), X)
    signal, _, name = read_signal(tmp_path / "lead.csv", "MLII" if header else "2", fs=360)
    np.testing.assert_array_equal(signal, lead[:, 1])
    assert name == ("MLII" if header else "2")


@pytest.mark.parametrize("index", [True, False])
def test_a_beat_written_as_a_pandas_series_is_refused_as_one_column(tmp_path, index):
    # Series.to_csv() writes ",0" over its index: "not a CSV of numbers: could not convert
    # string '' to float64" named neither the header nor the layout.
    from ecgbeat.datasets import read_beats_csv

    beat = np.linspace(0.0, 1.0, 187)
    rows = [f"{k},{v:.6f}" if index else f"{v:.6f}" for k, v in enumerate(beat)]
    path = tmp_path / "beat.csv"
    path.write_text("\n".join([",0" if index else "0", *rows]) + "\n")
    one_column = "the file is one column, a value a row, as a pandas Series writes it"
    with pytest.raises(DataFormatError, match=f"rows have 1 values.*{one_column}"):
        read_beats_csv(path, 187)
    with pytest.raises(DataFormatError, match=f"found 1: {one_column}"):
        load_heartbeat_csv(path)


@pytest.mark.parametrize("names", ["numbers", "names"])
def test_a_csv_saved_with_pandas_index_is_read_without_it(tmp_path, names):
    # DataFrame.to_csv writes its index unless index=False: a first column of row numbers under
    # an empty header cell. The file was "not a CSV of numbers" (the empty cell) or, with named
    # columns, a file of 189 columns.
    from ecgbeat.datasets import read_beats_csv

    rows = np.round(np.random.default_rng(2).random((3, 188)), 4)
    rows[:, -1] = [3, 0, 1]
    header = [str(k) for k in range(188)] if names == "numbers" else [
        *(f"x{k}" for k in range(187)), "label"
    ]  # fmt: skip
    lines = [",".join(["", *header])]
    lines += [
        ",".join([str(i), *map(repr, row.tolist())]) for i, row in zip([7, 2, 9], rows, strict=True)
    ]
    path = tmp_path / "frame.csv"
    path.write_text("\n".join(lines) + "\n")
    X, y = load_heartbeat_csv(path, return_X_y=True)
    np.testing.assert_array_equal(X, rows[:, :187].astype(np.float32))
    assert y.tolist() == [3, 0, 1]
    np.testing.assert_array_equal(read_beats_csv(path, 187), X)
    # Beats alone, columns named: the row numbers were read as each beat's first sample, and
    # its last sample dropped as a label, without a word.
    lines = [",".join(["", *(f"x{k}" for k in range(187))])]
    lines += [",".join([str(i), *map(repr, row.tolist())]) for i, row in enumerate(X)]
    path.write_text("\n".join(lines) + "\n")
    np.testing.assert_array_equal(read_beats_csv(path, 187), X)
    # A bad value is placed by its column in the file, the row numbers' column counted.
    for bad, message in (("x", "could not convert"), ("nan", "NaN or infinite value")):
        lines[2] = lines[2].replace(repr(float(X[1, 3])), bad, 1)
        path.write_text("\n".join(lines) + "\n")
        with pytest.raises(DataFormatError, match=rf"{message}.* at row 2, column 5\b"):
            read_beats_csv(path, 187)
        lines[2] = lines[2].replace(bad, repr(float(X[1, 3])), 1)


@pytest.mark.parametrize("bad", ["x", "nan"])
def test_a_bad_value_is_placed_at_the_same_row_whatever_its_kind(tmp_path, bad):
    # NumPy counts the rows of a value it cannot read from 0: "x" in the third beat was "at
    # row 2", and "nan" at the same place "at row 3".
    from ecgbeat.datasets import read_signal

    good = ["0.5"] * 187 + ["1"]
    rows = [good, good, [*good[:100], bad, *good[101:]]]
    path = tmp_path / "beats.csv"
    path.write_text("\n".join(",".join(row) for row in [[f"c{k}" for k in range(188)], *rows]))
    with pytest.raises(DataFormatError, match=r"at row 3, column 101"):
        load_heartbeat_csv(path)
    path = tmp_path / "lead.csv"
    path.write_text(f"MLII,V5\n0.1,0.2\n0.1,0.2\n0.1,{bad}\n")
    if bad == "x":
        with pytest.raises(DataFormatError, match=r"at row 3, column 2"):
            read_signal(path, fs=360)


@pytest.mark.parametrize("start", [0, 1, 500])
def test_a_first_column_of_row_numbers_is_refused_not_read_as_samples(tmp_path, start):
    # DataFrame.to_csv(header=False) keeps the index: the row numbers were read as each beat's
    # first sample and, the beats being zero-padded, their last sample (0) as label N.
    from ecgbeat.datasets import load_sample, read_beats_csv

    beats = load_sample().data[:4]
    assert (beats[:, -1] == 0).all()  # zero-padded, as most beats are
    path = tmp_path / "frame.csv"
    rows = [",".join([str(start + i), *map(repr, b.tolist())]) for i, b in enumerate(beats)]
    path.write_text("\n".join(rows) + "\n")
    numbered = rf"first column numbers the rows \({start}, {start + 1}, {start + 2}, \.\.\.\)"
    with pytest.raises(DataFormatError, match=rf"{numbered}.*index=False"):
        load_heartbeat_csv(path)
    with pytest.raises(DataFormatError, match=numbered):
        read_beats_csv(path, 187)
    # A labelled frame written back with its index has a column too many: named as the row
    # numbers too, not only as a count of columns ("expected 188 columns, found 189").
    labelled = np.column_stack([beats, [1, 0, 2, 0]])
    rows = [",".join([str(start + i), *map(repr, b.tolist())]) for i, b in enumerate(labelled)]
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(DataFormatError, match=rf"{numbered}.*index=False"):
        load_heartbeat_csv(path)
    with pytest.raises(DataFormatError, match=numbered):
        read_beats_csv(path, 187)
    # Beats, and beats with a label, are read as before.
    np.savetxt(path, beats, delimiter=",")
    np.testing.assert_array_equal(read_beats_csv(path, 187), beats)
    np.savetxt(path, np.column_stack([beats, [1, 0, 2, 0]]), delimiter=",")
    assert load_heartbeat_csv(path).target.tolist() == [1, 0, 2, 0]


def test_beats_one_sample_longer_are_not_cut_as_if_they_ended_in_a_label(tmp_path):
    # read_beats_csv takes beat_length + 1 columns as beats then a label: beats of 188 samples
    # lost their last one for a model of 187 without a word.
    from ecgbeat.datasets import read_beats_csv

    rows = np.random.default_rng(3).uniform(0.1, 0.9, size=(3, 188))
    path = tmp_path / "beats.csv"
    np.savetxt(path, rows, delimiter=",")
    with pytest.raises(
        DataFormatError,
        match=rf"188 values, and the last is no label \({rows[0, -1]:g} at row 1 is not a whole",
    ):
        read_beats_csv(path, 187)
    rows[:, -1] = [2, 0, 4]  # a label: read as before
    np.savetxt(path, rows, delimiter=",")
    np.testing.assert_array_equal(read_beats_csv(path, 187), rows[:, :187].astype(np.float32))


@pytest.mark.parametrize("beat_length", [0, -1, 2.5, True, "187", None])
def test_csv_readers_check_beat_length(tmp_path, beat_length):
    # 0 read a one-column file as beats of no sample; text or None failed in an addition.
    from ecgbeat.datasets import read_beats_csv

    path = tmp_path / "one.csv"
    path.write_text("1\n2\n")
    for read in (read_beats_csv, load_heartbeat_csv):
        with pytest.raises(ValueError, match="beat_length must be a whole number"):
            read(path, beat_length=beat_length)


@pytest.mark.parametrize("target_names", ["normal,abnormal", [], None])
def test_load_heartbeat_csv_checks_target_names(kaggle_dir, target_names):
    # A string was read as its letters: "normal,abnormal" made 15 classes named by letters.
    with pytest.raises(ValueError, match="target_names must be a non-empty sequence"):
        load_heartbeat_csv(kaggle_dir / "mitbih_test_first10.csv", target_names=target_names)


def test_a_header_row_is_not_a_beat(kaggle_dir, tmp_path):
    # pandas' to_csv names unnamed columns 0, 1, 2...; a spreadsheet names them in words.
    from ecgbeat.datasets import read_beats_csv

    source = kaggle_dir / "mitbih_test_first10.csv"
    X, y = load_heartbeat_csv(source, return_X_y=True)
    body = source.read_text()
    for header in (
        ",".join(map(str, range(188))),
        ",".join([f"x{k}" for k in range(187)] + ["y"]),
        ",".join([*map(str, range(187)), "label"]),  # pd.DataFrame(X).assign(label=y).to_csv()
    ):
        (tmp_path / "h.csv").write_text(header + "\n" + body)
        X_h, y_h = load_heartbeat_csv(tmp_path / "h.csv", return_X_y=True)
        np.testing.assert_array_equal(X_h, X)
        assert y_h.tolist() == y.tolist()
        assert read_beats_csv(tmp_path / "h.csv", 187).shape == (10, 187)


@pytest.mark.parametrize("index", [False, True])
def test_the_header_of_beats_and_an_unnamed_label_series_is_not_a_beat(kaggle_dir, tmp_path, index):
    # pd.concat([pd.DataFrame(X), pd.Series(y)], axis=1).to_csv(index=False) heads the labels
    # 0 as well: the header was read as a beat of samples 0, 1, ..., 186 and label 0 (N), an
    # 11th beat; with the index, the file was "not a CSV of numbers".
    from ecgbeat.datasets import read_beats_csv

    source = kaggle_dir / "mitbih_test_first10.csv"
    X, y = load_heartbeat_csv(source, return_X_y=True)
    header = ",".join([*map(str, range(187)), "0"])
    rows = source.read_text().splitlines()
    if index:
        header, rows = "," + header, [f"{k},{row}" for k, row in enumerate(rows)]
    (tmp_path / "h.csv").write_text("\n".join([header, *rows]) + "\n")
    X_h, y_h = load_heartbeat_csv(tmp_path / "h.csv", return_X_y=True)
    np.testing.assert_array_equal(X_h, X)
    assert y_h.tolist() == y.tolist()
    np.testing.assert_array_equal(read_beats_csv(tmp_path / "h.csv", 187), X)


def test_a_header_row_after_blank_lines_is_not_a_beat(kaggle_dir, tmp_path):
    # NumPy skips blank lines among the rows but counts them in skiprows: the header check must
    # look at the first line that is not blank, and skip through it.
    from ecgbeat.datasets import read_beats_csv

    source = kaggle_dir / "mitbih_test_first10.csv"
    X, y = load_heartbeat_csv(source, return_X_y=True)
    path = tmp_path / "h.csv"
    path.write_text("\n\n" + ",".join(map(str, range(188))) + "\n\n" + source.read_text())
    X_h, y_h = load_heartbeat_csv(path, return_X_y=True)
    np.testing.assert_array_equal(X_h, X)
    assert y_h.tolist() == y.tolist()
    np.testing.assert_array_equal(read_beats_csv(path, 187), X)


def test_a_header_row_under_a_comment_line_is_not_a_beat(kaggle_dir, tmp_path):
    # NumPy reads a line from '#' on as a comment (savetxt's header is one), but the header
    # check took the comment for the header: the row of column numbers under it was read as a
    # beat (11 beats of 10), and column names were refused as "could not convert string".
    from ecgbeat.datasets import read_beats_csv

    source = kaggle_dir / "mitbih_test_first10.csv"
    X, y = load_heartbeat_csv(source, return_X_y=True)
    body = source.read_text()
    path = tmp_path / "h.csv"
    for header in (
        ",".join(map(str, range(188))),
        ",".join([f"x{k}" for k in range(187)] + ["y"]),
        "," + ",".join(map(str, range(188))),  # to_csv's index, under a cell without a name
    ):
        rows = body
        if header.startswith(","):
            rows = "".join(f"{k},{line}\n" for k, line in enumerate(body.splitlines()))
        path.write_text("# beats of record 100\n\n# exported 2026-12-03\n" + header + "\n" + rows)
        assert read_beats_csv(path, 187).shape == (10, 187)
        X_h, y_h = load_heartbeat_csv(path, return_X_y=True)
        np.testing.assert_array_equal(X_h, X)
        assert y_h.tolist() == y.tolist()
    # savetxt's own header, a comment line of names, is a comment: the rows are the beats.
    np.savetxt(path, np.c_[X, y], delimiter=",", header=",".join(map(str, range(188))))
    np.testing.assert_array_equal(read_beats_csv(path, 187), X)
    assert load_heartbeat_csv(path, return_X_y=True)[1].tolist() == y.tolist()


def test_a_signal_csv_with_blank_lines_before_its_header(tmp_path):
    # The header was looked for on the first line: after a blank one it was read as data and
    # refused ("could not convert string 'time'"), or the blank line was a header of one name.
    from ecgbeat.datasets import read_signal

    rows = "".join(f"{k / 250},{k % 7}\n" for k in range(10))
    expected = np.arange(10) % 7
    for text, lead in (("time,MLII\n" + rows, "MLII"), (rows, "2")):
        path = tmp_path / "signal.csv"
        path.write_text("\n\n" + text)
        signal, _, name = read_signal(path, lead=lead, fs=250)
        np.testing.assert_array_equal(signal, expected)
        assert name == lead


def test_a_signal_csv_that_is_not_utf8_is_named(tmp_path):
    # A device's export in Latin-1 ("EKG (µV)") raised a bare UnicodeDecodeError.
    from ecgbeat.datasets import read_signal

    path = tmp_path / "signal.csv"
    path.write_bytes("time,EKG (\xb5V)\n0,1\n1,2\n2,3\n".encode("latin-1"))
    with pytest.raises(DataFormatError, match=rf"{re.escape(str(path))}: not UTF-8 text"):
        read_signal(path, fs=250)


def test_an_empty_npy_signal_is_named(tmp_path):
    # np.load raised a bare EOFError ("No data left in file") that named no file.
    from ecgbeat.datasets import read_signal

    path = tmp_path / "signal.npy"
    path.write_bytes(b"")
    with pytest.raises(DataFormatError, match=rf"{re.escape(str(path))}: not a NumPy array"):
        read_signal(path, fs=250)


def test_a_complex_npy_signal_is_refused(tmp_path):
    # Read as float64, it lost its imaginary part (with NumPy's ComplexWarning alone).
    from ecgbeat.datasets import read_signal

    path = tmp_path / "signal.npy"
    np.save(path, np.exp(1j * np.arange(500) / 50))
    with pytest.raises(DataFormatError, match=r"must be real numbers, got complex128"):
        read_signal(path, lead="1", fs=250)


@pytest.mark.parametrize("fs", [0, -250, float("nan"), float("inf"), True, "250"])
def test_read_signal_checks_fs(tmp_path, fs):
    # 0, -250, NaN, inf and True were returned as the rate of the signal.
    from ecgbeat.datasets import read_signal

    path = tmp_path / "signal.npy"
    np.save(path, np.sin(np.arange(500) / 10))
    with pytest.raises(ValueError, match="fs must be a finite number of Hz > 0"):
        read_signal(path, fs=fs)


def test_a_signal_without_its_rate_is_told_to_give_fs_in_python_too(tmp_path):
    # From Python (read_signal, classify_file) the error named only the command line's --fs HZ,
    # an option these functions do not take.
    from ecgbeat.datasets import read_signal
    from ecgbeat.records import classify_file

    path = tmp_path / "signal.npy"
    np.save(path, np.sin(np.arange(500) / 10))
    for read in (read_signal, classify_file):
        with pytest.raises(DataFormatError, match=r"fs=\.\.\. in Python, --fs HZ"):
            read(path)


@pytest.mark.parametrize(
    "lead, message", [([], "non-empty list of names"), (2, "got 2"), ([2], "got 2")]
)
def test_readers_check_lead(mitdb_dir, tmp_path, lead, message):
    # [] was refused as "has no lead ; its leads are ...", a number failed in list().
    from ecgbeat.datasets import read_lead, read_signal

    path = tmp_path / "signal.npy"
    np.save(path, np.sin(np.arange(500) / 10))
    with pytest.raises(ValueError, match=rf"lead must .*{message}"):
        read_signal(path, lead=lead, fs=250)
    with pytest.raises(ValueError, match=rf"lead must .*{message}"):
        read_lead(mitdb_dir / "100", lead=lead)


def test_a_csv_that_starts_with_a_byte_order_mark(kaggle_dir, tmp_path):
    # A spreadsheet's "CSV UTF-8" export starts with a BOM, with or without a header row.
    from ecgbeat.datasets import read_beats_csv

    source = kaggle_dir / "mitbih_test_first10.csv"
    X, y = load_heartbeat_csv(source, return_X_y=True)
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
    X_b, y_b = load_heartbeat_csv(path, return_X_y=True)
    np.testing.assert_array_equal(X_b, X)
    assert y_b.tolist() == y.tolist()
    np.testing.assert_array_equal(read_beats_csv(path, 187), X)


@pytest.mark.parametrize("header", [False, True])
def test_a_compressed_csv(kaggle_dir, tmp_path, header):
    # Decompressed by the suffix; the header check must read the same text.
    import gzip

    source = kaggle_dir / "mitbih_test_first10.csv"
    X, y = load_heartbeat_csv(source, return_X_y=True)
    text = (",".join(map(str, range(188))) + "\n" if header else "") + source.read_text()
    # The suffix in any case: ecgbeat.records routes beats.CSV.GZ here too.
    for name in ("beats.csv.gz", "BEATS.CSV.GZ"):
        path = tmp_path / name
        path.write_bytes(gzip.compress(text.encode()))
        X_gz, y_gz = load_heartbeat_csv(path, return_X_y=True)
        np.testing.assert_array_equal(X_gz, X)
        assert y_gz.tolist() == y.tolist()


@pytest.mark.parametrize(
    "name, damage",
    [
        ("beats.csv.gz", lambda raw: gzip.compress(raw)[:30]),  # an incomplete download
        ("beats.csv.bz2", lambda raw: bz2.compress(raw)[:-10]),
        ("beats.csv.xz", lambda raw: raw),  # not compressed at all
    ],
)
def test_a_damaged_compressed_csv_is_named(kaggle_dir, tmp_path, name, damage):
    # The decompressors name no file, and a file cut short raised a bare EOFError.
    from types import SimpleNamespace

    from ecgbeat.datasets import read_beats_csv, read_signal
    from ecgbeat.records import _not_beats_hint

    path = tmp_path / name
    path.write_bytes(damage((kaggle_dir / "mitbih_test_first10.csv").read_bytes()))
    match = rf"{re.escape(str(path))}: cannot decompress it"
    with pytest.raises(DataFormatError, match=match):
        load_heartbeat_csv(path)
    with pytest.raises(DataFormatError, match=match):
        read_beats_csv(path, 187)
    with pytest.raises(DataFormatError, match=match):
        read_signal(path, fs=360)
    # The hint added to the error of a CSV of beats reads the file again, and must not fail.
    assert _not_beats_hint(path, SimpleNamespace(n_features_in_=187)) == ""


def test_missing_csv(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        load_heartbeat_csv(tmp_path / "nope.csv")


def test_ptbdb_download_via_file_url(ptbdb_dir, tmp_path):
    served = tmp_path / "server" / "ptbdb" / "1.0.0"
    (served / "patient001").mkdir(parents=True)
    sums = []
    for ext in ("hea", "dat", "xyz"):
        data = (ptbdb_dir / f"s0010_re.{ext}").read_bytes()
        (served / "patient001" / f"s0010_re.{ext}").write_bytes(data)
        sums.append(f"{hashlib.sha256(data).hexdigest()} patient001/s0010_re.{ext}")
    (served / "RECORDS").write_text("patient001/s0010_re\n")
    sums.append(f"{hashlib.sha256(b'patient001/s0010_re' + bytes([10])).hexdigest()} RECORDS")
    (served / "SHA256SUMS.txt").write_text("\n".join(sums) + "\n")
    base = (tmp_path / "server").as_uri()
    ptb = fetch_ptbdb(tmp_path / "home", cache=False, base_url=base)
    assert ptb.data.shape == (51, 187)
    assert (tmp_path / "home" / "ptbdb" / "patient001" / "s0010_re.dat").is_file()
    # A download cut off after the header (the .dat file of lead ii missing): the record was
    # taken as there and failed "data file ... not found" at every later call.
    record = tmp_path / "home" / "ptbdb" / "patient001" / "s0010_re"
    record.with_suffix(".dat").unlink()
    again = fetch_ptbdb(tmp_path / "home", cache=False, base_url=base)
    np.testing.assert_array_equal(again.data, ptb.data)
    assert record.with_suffix(".dat").is_file()
    # The .xyz (the Frank leads) is fetched for a lead it holds, not for lead ii.
    record.with_suffix(".xyz").unlink()
    fetch_ptbdb(tmp_path / "home", cache=False, base_url=base)
    assert not record.with_suffix(".xyz").exists()
    fetch_ptbdb(tmp_path / "home", lead="vx", cache=False, base_url=base)
    assert record.with_suffix(".xyz").is_file()


def test_a_ptb_record_without_the_files_of_other_leads_is_read_offline(ptbdb_dir, tmp_path):
    # Kept without its .xyz (the Frank leads, which lead ii does not need: read_lead reads it
    # without them), the record was fetched again whenever downloading was on, and offline
    # failed as "ptbdb files missing ...: SHA256SUMS.txt; ... could not be reached".
    folder = tmp_path / "ptbdb"
    folder.mkdir()
    for ext in ("hea", "dat"):
        shutil.copyfile(ptbdb_dir / f"s0010_re.{ext}", folder / f"s0010_re.{ext}")
    empty = tmp_path / "no-server"
    empty.mkdir()
    before = snapshot(folder)
    ptb = fetch_ptbdb(tmp_path, records=["s0010_re"], cache=False, base_url=empty.as_uri())
    assert ptb.data.shape == (51, 187)
    assert snapshot(folder) == before
    # Lead vx lives in the .xyz: that one is missing, and fetched (here: told unreachable).
    with pytest.raises(DataNotFoundError, match="could not be reached"):
        fetch_ptbdb(tmp_path, records=["s0010_re"], lead="vx", base_url=empty.as_uri())
    # A lead the record does not have is told as such, not fetched.
    with pytest.raises(DataFormatError, match=r"s0010_re has no lead 'MLII'; its leads are i, "):
        fetch_ptbdb(tmp_path, records=["s0010_re"], lead="MLII", base_url=empty.as_uri())


@pytest.mark.parametrize("layout", ["flat", "patient folders"])
def test_a_data_home_that_is_the_ptb_folder_is_refused_not_downloaded_into(
    ptbdb_dir, tmp_path, layout
):
    # As for MIT-BIH: data_home="/data/ptbdb" was searched for /data/ptbdb/ptbdb/, and the
    # records beside it fetched again into it (here: told unreachable).
    folder = tmp_path / "ptbdb"
    records = folder if layout == "flat" else folder / "patient001"
    records.mkdir(parents=True)
    for ext in ("hea", "dat", "xyz"):
        shutil.copyfile(ptbdb_dir / f"s0010_re.{ext}", records / f"s0010_re.{ext}")
    shutil.copyfile(ptbdb_dir / "RECORDS", folder / "RECORDS")
    empty = tmp_path / "no-server"
    empty.mkdir()
    with pytest.raises(ValueError, match=r"holds the ptbdb records itself.*data_home="):
        fetch_ptbdb(folder, records=["s0010_re"], cache=False, base_url=empty.as_uri())
    assert not (folder / "ptbdb").exists()


def test_progress_bar_only_when_asked(user_home, capsys):
    pytest.importorskip("tqdm")
    fetch_mitbih(user_home, records=["100"], cache=False, download_if_missing=False)
    assert "MIT-BIH" not in capsys.readouterr().err  # stderr is not a terminal under pytest
    fetch_mitbih(user_home, records=["100"], cache=False, download_if_missing=False, progress=True)
    assert "MIT-BIH" in capsys.readouterr().err


def test_the_sample_gives_what_fetch_mitbih_gives():
    from ecgbeat.datasets import load_sample

    sample = load_sample()
    assert sample.r_peaks.dtype == np.int64  # stored as int32; fetch_mitbih's are int64
    np.testing.assert_array_equal(
        sample.patient, np.where(sample.record == "202", "201", sample.record)
    )


def test_target_names_given_in_an_array_come_back_as_plain_text(kaggle_dir):
    from ecgbeat.datasets import load_heartbeat_csv

    names = np.array(["N", "S", "V", "F", "Q"])
    data = load_heartbeat_csv(kaggle_dir / "mitbih_test_first10.csv", target_names=names)
    assert data.target_names == ["N", "S", "V", "F", "Q"]
    assert all(type(name) is str for name in data.target_names)


@pytest.mark.parametrize("where", ["data_home", "cache"])
def test_an_empty_data_home_or_cache_is_refused_not_the_current_folder(
    user_home, monkeypatch, tmp_path, where
):
    # Path("") is the current folder: an unset shell variable (--data-home "$DIR") searched for
    # the database, downloaded it and wrote the cache files wherever the program ran.
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    home = "" if where == "data_home" else user_home
    cache = "" if where == "cache" else True
    with pytest.raises(ValueError, match=f"{where} is empty"):
        fetch_mitbih(home, records=["100"], cache=cache, download_if_missing=True)
    assert list(cwd.iterdir()) == []


def test_a_data_home_that_is_no_path_is_named(user_home):
    # Path() refused it as "expected str, bytes or os.PathLike object, not int", naming nothing.
    from ecgbeat.datasets import get_data_home

    for fetch in (fetch_mitbih, fetch_ptbdb):
        with pytest.raises(TypeError, match=r"data_home must be the path of a folder.*got 5$"):
            fetch(5, cache=False, download_if_missing=False)
    # A path in bytes, as os.listdir(b".") gives it, is a path.
    assert get_data_home(os.fsencode(user_home)) == user_home
    X, _ = fetch_mitbih(os.fsencode(user_home), records=["100"], cache=False, return_X_y=True)
    assert X.shape == (2272, 187)


@pytest.mark.parametrize("name", ["mitbih_test.csv.zip", "beats.csv"])
def test_a_zip_archive_given_as_a_csv_is_named_as_one(kaggle_dir, tmp_path, name):
    # Kaggle serves its files zipped, and a spreadsheet is a ZIP archive: read as text, they
    # failed as "not a CSV of numbers: 'utf-8' codec can't decode byte 0x82", or "not UTF-8
    # text: save it as a UTF-8 CSV", which named neither the archive nor what to do.
    import zipfile

    from ecgbeat.datasets import read_beats_csv, read_signal

    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(kaggle_dir / "mitbih_test_first10.csv", "mitbih_test.csv")
    archive_error = rf"{re.escape(name)} is a ZIP archive .*not a CSV: extract the CSV"
    with pytest.raises(DataFormatError, match=archive_error):
        load_heartbeat_csv(path)
    with pytest.raises(DataFormatError, match=archive_error):
        read_beats_csv(path, 187)
    if name.endswith(".csv"):
        with pytest.raises(DataFormatError, match=archive_error):
            read_signal(path, fs=360)
