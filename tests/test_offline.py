"""Data that is not on disk and cannot be fetched: one clear error, and nothing left behind.

No test here touches the network: PhysioNet is replaced by an address that refuses at once.
"""

from __future__ import annotations

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
