"""Data that is not on disk and cannot be fetched: one clear error, and nothing left behind.

No test here touches the network: PhysioNet is replaced by an address that refuses at once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ecgbeat.cli import main
from ecgbeat.datasets import fetch_mitbih, fetch_ptbdb
from ecgbeat.exceptions import DataNotFoundError, ECGBeatError

# A local port that nothing listens on: the connection is refused without any network.
UNREACHABLE = "http://127.0.0.1:9"


def _says_what_to_do(message: str, folder, database: str) -> None:
    assert f"files missing from {folder}" in message
    for hint in ("data_home=", "--data-home", "ECGBEAT_DATA"):
        assert hint in message
    assert f"https://physionet.org/content/{database}/1.0.0/" in message


@pytest.mark.parametrize("base_url", [UNREACHABLE, "file:///nonexistent/physionet"])
def test_unreachable_physionet_is_one_clear_error_and_leaves_no_folder(tmp_path, base_url):
    home = tmp_path / "ecgbeat_data"
    with pytest.raises(DataNotFoundError) as caught:
        fetch_mitbih(home, records=["100"], base_url=base_url, progress=False)
    message = str(caught.value)
    _says_what_to_do(message, home / "mitdb", "mitdb")
    assert "could not be reached" in message and base_url in message
    assert isinstance(caught.value, FileNotFoundError) and isinstance(caught.value, ECGBeatError)
    # The folders the fetch would have filled are gone again; what was there stays.
    assert not home.exists() and tmp_path.is_dir()


def test_a_folder_that_was_there_is_kept(tmp_path):
    folder = tmp_path / "mitdb"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(DataNotFoundError):
        fetch_mitbih(tmp_path, records=["100"], base_url=UNREACHABLE, progress=False)
    assert (folder / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_no_download_names_the_missing_files_and_the_ways_to_local_data(tmp_path):
    with pytest.raises(DataNotFoundError, match="downloading is off") as caught:
        fetch_mitbih(tmp_path, records=["100", "101"], download_if_missing=False)
    _says_what_to_do(str(caught.value), tmp_path / "mitdb", "mitdb")
    assert "100.hea, 100.dat, 100.atr, 101.hea" in str(caught.value)
    with pytest.raises(DataNotFoundError, match="downloading is off") as caught:
        fetch_ptbdb(tmp_path, download_if_missing=False)
    _says_what_to_do(str(caught.value), tmp_path / "ptbdb", "ptbdb")


def test_the_command_line_prints_it_on_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ECGBEAT_DATA", str(tmp_path))
    code = main(["data", "--records", "100", "--no-download"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("ecgbeat data: error: mitdb files missing from ")
    assert err.count("\n") == 1 and "Traceback" not in err and "--data-home" in err


def test_commands_hold_back_the_libraries_start_up_noise(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["ECGBEAT_DATA"] = str(tmp_path)
    argv = [sys.executable, "-m", "ecgbeat", "evaluate", "mitbih", "--data", "mitbih"]
    argv += ["--no-download"]
    quiet = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
    assert quiet.returncode == 1
    # What the user sees is ecgbeat's own three lines: no TensorFlow start-up, no cuInit.
    lines = quiet.stderr.splitlines()
    assert lines[0] == "loading model mitbih" and len(lines) == 3, lines
    assert lines[2].startswith("ecgbeat evaluate: error: mitdb files missing")
    argv_verbose = [*argv[:3], "-v", *argv[3:]]
    verbose = subprocess.run(argv_verbose, capture_output=True, text=True, env=env, timeout=300)
    assert verbose.returncode == 1 and set(lines) <= set(verbose.stderr.splitlines())


def test_a_failing_tensorflow_import_still_shows_its_output(monkeypatch, capfd):
    import os

    from ecgbeat import _backend

    def broken():
        os.write(2, b"native library libfoo.so not found\n")
        raise ImportError("tensorflow is broken")

    monkeypatch.delitem(__import__("sys").modules, "tensorflow", raising=False)
    monkeypatch.setattr(_backend, "import_tensorflow", broken)
    with pytest.raises(ImportError, match="broken"):
        _backend.import_tensorflow_quietly()
    assert "libfoo.so not found" in capfd.readouterr().err


def test_ctrl_c_during_the_tensorflow_import_shows_none_of_its_output(monkeypatch, capfd):
    # The held start-up lines (oneDNN, "Could not find cuda drivers") say why an import failed;
    # after Ctrl-C they were written out all the same, above "interrupted", as if they had.
    import os

    from ecgbeat import _backend

    def interrupted():
        os.write(2, b"Could not find cuda drivers on your machine\n")
        raise KeyboardInterrupt

    monkeypatch.delitem(__import__("sys").modules, "tensorflow", raising=False)
    monkeypatch.setattr(_backend, "import_tensorflow", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _backend.import_tensorflow_quietly()
    assert capfd.readouterr().err == ""


def test_data_info_only_reads(tmp_path, mitdb_dir, capsys):
    import shutil

    (tmp_path / "mitdb").mkdir()
    for ext in ("hea", "dat", "atr"):
        shutil.copyfile(mitdb_dir / f"100.{ext}", tmp_path / "mitdb" / f"100.{ext}")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    argv = ["data", "--info", "--records", "100", "--split", "inter-patient"]
    argv += ["--data-home", str(tmp_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "beat cache" in out and "(0 files, 0.0 MB)" in out
    assert "inter-patient" in out and "2272" in out
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_install_hints_name_the_checkout_or_the_package(monkeypatch, tmp_path):
    from ecgbeat import _install

    # This test runs from a checkout: "pip install ecgbeat[plot]" would look on the index.
    root = Path(_install.__file__).resolve().parents[1]
    assert _install.install_hint("plot") == f'pip install -e "{root}[plot]"'
    # Installed from a wheel, the package sits in site-packages with no pyproject.toml beside it.
    wheel = tmp_path / "site-packages" / "ecgbeat" / "_install.py"
    monkeypatch.setattr(_install, "__file__", str(wheel))
    assert _install.install_hint("edf") == 'pip install "ecgbeat[edf]"'


@pytest.mark.parametrize(
    ("fetch", "wrong", "message"),
    [
        (fetch_mitbih, {"beat_length": "187"}, "beat_length must be a whole number"),
        (fetch_mitbih, {"target_fs": 0}, "target_fs must be a finite number > 0"),
        (fetch_mitbih, {"before_r": 2.0}, "before_r must be a number of seconds"),
        (fetch_mitbih, {"detector": "pan_tompkins"}, "detector must be one of None, 'pan-t"),
        (fetch_mitbih, {"refine_radius": -0.1}, "refine_radius must be None or a number"),
        (fetch_mitbih, {"lead": []}, "lead must be a lead's name or a non-empty list"),
        (fetch_mitbih, {"cache": 1}, "cache must be True, False or the path of a folder"),
        (fetch_ptbdb, {"window_seconds": -10}, "window_seconds must be a finite number > 0"),
        (fetch_ptbdb, {"detector": None}, "detector must be one of 'pan-tompkins'"),
        (fetch_ptbdb, {"lead": 2}, "lead must be a lead's name"),
        # A folder as a Path failed in rstrip, as text with "unknown url type"; '' was PhysioNet.
        (fetch_mitbih, {"base_url": Path("/mirror")}, "base_url must be the URL of a PhysioNet"),
        (fetch_ptbdb, {"base_url": "/srv/physionet"}, r"base_url must be .*as_uri\(\)\), got '/"),
        (fetch_mitbih, {"base_url": ""}, "base_url must be the URL of a PhysioNet mirror"),
    ],
)
def test_wrong_parameters_are_refused_before_anything_is_downloaded(
    tmp_path, monkeypatch, fetch, wrong, message
):
    # They were checked only when the first record was read: after the download (of the whole
    # database, by default), and as a missing-data error when downloading was off.
    from ecgbeat.datasets import _mitbih, _ptbdb

    def no_download(*args, **kwargs):
        raise AssertionError("downloaded before checking the parameters")

    for module in (_mitbih, _ptbdb):
        monkeypatch.setattr(module, "download_physionet", no_download)
    for download in (True, False):
        with pytest.raises(ValueError, match=message):
            fetch(tmp_path, download_if_missing=download, progress=False, **wrong)
    assert not any(tmp_path.iterdir())
