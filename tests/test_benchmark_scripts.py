"""Smoke runs of the experiment scripts, so that they cannot rot (the full runs are by hand)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_transfer_script_runs_on_ptb_layout(ptbdb_dir, tmp_path):
    """The PTB table's script runs unchanged on PTB records: here the fixture and a control copy."""
    folder = tmp_path / "ptbdb"
    folder.mkdir()
    for suffix in ("hea", "dat", "xyz"):
        shutil.copy(ptbdb_dir / f"s0010_re.{suffix}", folder / f"s0010_re.{suffix}")
        shutil.copy(ptbdb_dir / f"s0010_re.{suffix}", folder / f"s9999_re.{suffix}")
    header = (folder / "s0010_re.hea").read_text()
    control = header.replace("s0010_re", "s9999_re").replace(
        "Reason for admission: Myocardial infarction", "Reason for admission: Healthy control"
    )
    (folder / "s9999_re.hea").write_text(control)
    (folder / "RECORDS").write_text("s0010_re\ns9999_re\n")
    output = tmp_path / "transfer.json"
    result = _script("transfer").main(
        ["--target", "ptbdb", "--data-home", str(tmp_path), "--quick", "--output", str(output)]
    )
    assert set(result["results"]) == {"from_scratch", "freeze_conv", "full_fine_tune"}
    assert result["n_train"] + result["n_test"] > 80
    for row in result["results"].values():
        assert 0.0 <= row["accuracy"] <= 1.0
    assert json.loads(output.read_text())["target"] == "ptbdb"


def test_transfer_script_runs_on_patients(mitdb_dir, tmp_path):
    output = tmp_path / "patients.json"
    result = _script("transfer").main(
        ["--data-home", str(mitdb_dir.parent), "--quick", "--output", str(output)]
    )
    assert set(result["results"]) == {
        "no_adaptation",
        "from_scratch",
        "freeze_conv",
        "full_fine_tune",
    }
    assert result["n_test_beats"] > 2000
    assert result["results"]["no_adaptation"]["accuracy"] > 0.5


def test_inference_benchmark_quick(mitdb_dir):
    result = _script("inference").main(["--quick", "--data-home", str(mitdb_dir.parent)])
    assert result["max_abs_probability_difference"] < 1e-5
    assert result["end_to_end"]["beats"] > 4000
    assert result["flops_per_beat"] > 1e7


def test_train_speed_benchmark_quick(mitdb_dir):
    result = _script("train_speed").main(["--quick", "--data-home", str(mitdb_dir.parent)])
    for name in ("baseline", "ecgbeat"):
        run = result["results"][name]
        assert run["epochs_run"] == 1
        assert 0.0 <= run["final"]["macro_f1"] <= 1.0
        assert run["per_epoch"][0]["train_seconds"] > 0
