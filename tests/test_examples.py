"""Every example runs, in its quick mode (``ECGBEAT_EXAMPLE_QUICK=1``), and says what it should.

The scripts run in this process (``runpy``, as ``__main__``), so TensorFlow is imported once for
all of them; the notebook runs in a Jupyter kernel through nbclient. Until the shipped ``mitbih``
model exists, a tiny model trained here stands in for it (``ECGBEAT_EXAMPLE_MODEL``).
"""

from __future__ import annotations

import ast
import json
import re
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model_name(tmp_path_factory) -> str:
    """'mitbih' once it ships, else the path of a tiny 5-class model trained on the sample."""
    from ecgbeat.pretrained import list_pretrained

    if "mitbih" in list_pretrained():
        return "mitbih"
    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.datasets import load_sample

    X, y = load_sample(return_X_y=True)
    keep = np.concatenate([np.flatnonzero(y == k)[:30] for k in range(5)])
    clf = HeartbeatCNNClassifier(epochs=1, random_state=0).fit(X[keep], y[keep])
    clf.model_card_ = {"target_names": ["N", "S", "V", "F", "Q"]}
    path = tmp_path_factory.mktemp("model") / "stand-in.keras"
    clf.save(path)
    return str(path)


@pytest.fixture
def quick(monkeypatch, tmp_path, model_name):
    monkeypatch.setenv("ECGBEAT_EXAMPLE_QUICK", "1")
    monkeypatch.setenv("ECGBEAT_EXAMPLE_MODEL", model_name)
    monkeypatch.chdir(tmp_path)
    return model_name


def _run(name: str, monkeypatch, capsys, *args: str) -> str:
    monkeypatch.setattr(sys, "argv", [str(EXAMPLES / name), *args])
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    return capsys.readouterr().out


def test_every_example_is_tested():
    tested = {
        "quickstart.py",
        "grid_search.py",
        "reproduce_results.py",
        "transfer_learning.py",
        "classify_record.py",
        "quickstart.ipynb",
    }
    found = {p.name for p in EXAMPLES.iterdir() if p.suffix in (".py", ".ipynb")}
    assert found == tested


def test_quickstart(quick, monkeypatch, capsys):
    out = _run("quickstart.py", monkeypatch, capsys)
    first = re.search(r"accuracy (\S+), macro-F1 (\S+) on 2850 sample beats", out)
    assert first is not None, out
    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.datasets import load_sample

    X, y = load_sample(return_X_y=True)
    accuracy = HeartbeatCNNClassifier.from_pretrained(quick).score(X, y)
    assert float(first.group(1)) == pytest.approx(accuracy, abs=1e-4)
    assert "own model: 2 epochs" in out
    assert "classes ['F', 'N', 'Q', 'S', 'V']" in out  # string labels, sorted as sklearn does
    assert "identical predictions True" in out


def test_grid_search(quick, monkeypatch, capsys):
    out = _run("grid_search.py", monkeypatch, capsys)
    scores = re.findall(r"^\{'pretrained': (.+)\}: macro-F1 (\S+) ± (\S+)$", out, re.MULTILINE)
    assert [s[0] for s in scores] == ["None", repr(quick)]
    best = re.search(r"best: .* \(macro-F1 (\S+)\)", out)
    assert float(best.group(1)) == max(float(s[1]) for s in scores)


def test_grid_search_keeps_each_patient_on_one_side_of_every_fold(monkeypatch, capsys):
    # The example's folds keep a patient's beats on one side: records 201 and 202 are one
    # patient (the sample's ``patient``), which folds grouped by record put on both sides.
    from sklearn.model_selection import GridSearchCV

    from ecgbeat.datasets import load_sample

    class Stop(Exception):
        pass

    seen = {}

    def fit(self, X, y, groups=None, **params):
        seen.update(X=X, y=y, groups=groups, cv=self.cv)
        raise Stop  # the folds are what is checked: no network is trained

    monkeypatch.delenv("ECGBEAT_EXAMPLE_QUICK", raising=False)
    monkeypatch.setattr(GridSearchCV, "fit", fit)
    with pytest.raises(Stop):
        _run("grid_search.py", monkeypatch, capsys)
    sample = load_sample()
    patient_of = {row.tobytes(): p for row, p in zip(sample.data, sample.patient, strict=True)}
    patients = np.array([patient_of[row.tobytes()] for row in seen["X"]])
    for train, test in seen["cv"].split(seen["X"], seen["y"], seen["groups"]):
        assert not set(patients[train]) & set(patients[test])


def test_reproduce_results(quick, monkeypatch, capsys, mitdb_dir, tmp_path):
    monkeypatch.setenv("ECGBEAT_DATA", str(mitdb_dir.parent))
    out = _run("reproduce_results.py", monkeypatch, capsys, "--output", "results.json")
    assert "| split | train / test beats | accuracy | macro-F1 |" in out
    row = next(line for line in out.splitlines() if line.startswith("| random |"))
    assert row.endswith("| 98.5% | 0.915 |")  # the reference project's published numbers
    (result,) = json.loads((tmp_path / "results.json").read_text())
    matrix = np.array(result["confusion_matrix"])
    assert matrix.sum() == result["n_test"]
    assert result["accuracy"] == pytest.approx(np.trace(matrix) / matrix.sum(), abs=1e-4)
    assert f"| {result['n_train']} / {result['n_test']} | {result['accuracy']:.1%} |" in row


def test_transfer_learning(quick, monkeypatch, capsys, mitdb_dir):
    monkeypatch.setenv("ECGBEAT_DATA", str(mitdb_dir.parent))
    out = _run("transfer_learning.py", monkeypatch, capsys)
    n_test = int(re.search(r"test:\s+(\d+) beats of records 221", out).group(1))
    lines = [line for line in out.splitlines() if "abnormal recall" in line]
    assert [line[:24].strip() for line in lines] == [
        "from scratch",
        "pretrained, conv frozen",
        "pretrained, fine-tuned",
    ]
    from ecgbeat.datasets import fetch_mitbih

    y = fetch_mitbih(mitdb_dir.parent, records=["221"]).target[::10]
    assert n_test == len(y)
    assert f"({np.mean(y != 0):.1%} abnormal)" in out


def test_classify_record(quick, monkeypatch, capsys, mitdb_dir, tmp_path):
    record = str(mitdb_dir / "208")
    out = _run("classify_record.py", monkeypatch, capsys, record, "--out", "figures")
    beats = int(re.search(r"record 208 \(lead MLII\): (\d+) beats", out).group(1))
    counts = ast.literal_eval(out.split("beats per class:")[1].splitlines()[0])
    assert sum(counts.values()) == beats
    matched = int(re.search(r"(\d+) beats matched to the reference", out).group(1))
    assert 0.98 * beats <= matched <= beats  # Pan-Tompkins finds nearly every annotated beat
    strip = tmp_path / "figures" / "208-strip.png"
    assert strip.read_bytes()[:4] == b"\x89PNG"
    if counts["V"]:
        assert (tmp_path / "figures" / "208-saliency.png").is_file()


def test_classify_record_with_a_rhythm_model(quick, monkeypatch, capsys, tmp_path):
    # A model that reads R-R and template columns after the beat (as the default model for
    # recordings does): the Grad-CAM picture needs the row the model read, not the bare beat.
    from ecgbeat import plot

    titles = []

    def saliency(*args, **kwargs):
        fig, ax = draw(*args, **kwargs)
        titles.append(ax.get_title())
        return fig, ax

    draw = plot.plot_saliency
    monkeypatch.setattr(plot, "plot_saliency", saliency)
    excerpt = str(EXAMPLES / "data" / "mitdb208_60s")
    model = ["--model", "mitbih-ds1-rhythm-template"]
    out = _run("classify_record.py", monkeypatch, capsys, excerpt, *model, "--out", "figures")
    assert "mitdb208_60s-saliency.png" in out
    assert (tmp_path / "figures" / "mitdb208_60s-saliency.png").is_file()
    # The first beat the table calls V, and the model calls it V again from the same row.
    assert len(titles) == 1 and titles[0].startswith("Grad-CAM for class V ")


def test_notebook(quick):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(EXAMPLES / "quickstart.ipynb", as_version=4)
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code_cells)  # cleared
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    text = "".join(
        o.get("text", "") for c in code_cells for o in c.outputs if o.output_type == "stream"
    )
    assert "(2850, 187) ['N', 'S', 'V', 'F', 'Q']" in text
    assert "{'N': 1500, 'S': 400, 'V': 400, 'F': 150, 'Q': 400}" in text
    assert re.search(r"accuracy \d\.\d{4}, macro-F1 \d\.\d{4}", text)
    assert "Grad-CAM for class" in text
    images = [o for c in code_cells for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3  # confusion matrix, beats by class, saliency


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No MIT-BIH records on disk and PhysioNet unreachable (a port nothing listens on)."""
    from ecgbeat.datasets import _download

    monkeypatch.setenv("ECGBEAT_DATA", str(tmp_path / "empty"))
    monkeypatch.setattr(_download, "PHYSIONET_URL", "http://127.0.0.1:9")


def test_examples_run_offline_in_quick_mode(quick, offline, monkeypatch, capsys, tmp_path):
    out = _run("reproduce_results.py", monkeypatch, capsys)
    assert "a smoke run on the shipped sample's" in out and "not comparable" in out
    assert re.search(r"\| random \| \d+ / \d+ \| [\d.]+% \|", out)
    out = _run("transfer_learning.py", monkeypatch, capsys)
    assert "a smoke run on the shipped sample's beats" in out
    assert len([line for line in out.splitlines() if "abnormal recall" in line]) == 3
    # The minute of record 208 that ships with the examples: 64 N, 30 V and 12 F beats.
    out = _run("classify_record.py", monkeypatch, capsys, "--out", "figures")
    beats = int(re.search(r"record mitdb208_60s \(lead MLII\): (\d+) beats", out).group(1))
    assert 100 <= beats <= 106
    assert (tmp_path / "figures" / "mitdb208_60s-strip.png").is_file()
    assert not (tmp_path / "empty").exists()  # nothing was fetched, no folder left behind


def test_examples_without_data_say_so_without_a_traceback(offline, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [str(EXAMPLES / "transfer_learning.py")])
    with pytest.raises(SystemExit) as caught:
        runpy.run_path(str(EXAMPLES / "transfer_learning.py"), run_name="__main__")
    assert str(caught.value).startswith("transfer_learning.py: ")
    assert "ECGBEAT_DATA" in str(caught.value)
