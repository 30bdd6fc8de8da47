"""The documentation: the site builds in strict mode, and every docstring example runs.

``mkdocs build --strict`` fails on a broken link, a page missing from the navigation or an API
reference (``::: ecgbeat.x``) that does not resolve; the second test proves that it does fail.
The docstring examples of every module of the package are run as doctests (those that need the
raw PhysioNet data are marked ``+SKIP`` where they are written).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ecgbeat

REPO = Path(__file__).resolve().parents[1]

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings")


def _build(config: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )


def test_site_builds_strict(tmp_path):
    result = _build(REPO / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 0, result.stderr[-3000:]
    site = tmp_path / "site"
    for page in ("install", "quickstart", "cli", "data", "training", "transfer", "sklearn"):
        assert (site / page / "index.html").is_file(), page
    for page in ("persistence", "results", "benchmarks", "experiments", "architecture", "dask"):
        assert (site / page / "index.html").is_file(), page
    for page in ("robustness", "attribution"):
        assert (site / page / "index.html").is_file(), page
    # The API reference is generated from the docstrings, not written by hand.
    api = {
        "classifier": ["predict_proba", "from_pretrained", "freeze_conv"],
        "datasets": ["fetch_mitbih", "load_sample", "MITBIH_DS2"],
        "plot": ["plot_saliency", "grad_cam", "plot_strip"],
        "records": ["classify_record", "classify_file", "BeatTable"],
    }
    for page, names in api.items():
        html = (site / "api" / page / "index.html").read_text(encoding="utf-8")
        for name in names:
            assert f'id="{name}' in html or f"{name}</code>" in html or name in html, name
    # Every Sphinx role of the docstrings is rendered (a link, or code for other projects'
    # objects), never left as literal text such as ":func:".
    literal_roles = {
        str(page.relative_to(site)): len(re.findall(r":(?:class|func|meth|mod|data|attr|exc):", t))
        for page in site.rglob("*.html")
        if ":" in (t := page.read_text(encoding="utf-8"))
    }
    assert {page: n for page, n in literal_roles.items() if n} == {}
    records = (site / "api" / "records" / "index.html").read_text(encoding="utf-8")
    assert 'href="#ecgbeat.records.BeatTable"><code>BeatTable</code></a>' in records
    assert not (site / "hooks").exists()
    # Parameters are a list, each with its type and default beside its name (a table cut the
    # Default column off).
    classifier = (site / "api" / "classifier" / "index.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", classifier))
    assert "early_stopping_patience (int or None, default: 8 )" in text
    attribution = (site / "attribution" / "index.html").read_text(encoding="utf-8")
    assert "IEEE Eng in Med and Biol" in attribution and "Biomedizinische Technik" in attribution


def test_a_broken_reference_fails_the_build(tmp_path):
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(REPO / "docs", tmp_path / "docs")
    api = tmp_path / "docs" / "api" / "plot.md"
    api.write_text(api.read_text() + "\n::: ecgbeat.plot.no_such_function\n")
    result = _build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert result.returncode != 0
    assert "no_such_function" in result.stderr


def _modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(ecgbeat.__path__, "ecgbeat."):
        if info.name != "ecgbeat.__main__":
            names.append(info.name)
    return ["ecgbeat", *names]


@pytest.mark.parametrize("module_name", _modules())
def test_docstring_examples(module_name, monkeypatch, tmp_path):
    if module_name in ("ecgbeat.plot",):
        pytest.importorskip("matplotlib").use("Agg")
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = []
    for test in finder.find(module, module_name):
        runner.run(test, out=report.append)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, "".join(report)


def test_readme_commands_match_ci_and_cli():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    test_command = ci[ci.index("# --- the README's test command, verbatim ---") + 1]
    assert test_command in readme
    setup = "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && ecgbeat demo"
    assert setup in readme
    # Every command the README shows is one the CLI has.
    from ecgbeat.cli import build_parser

    commands = set(build_parser()._subparsers._group_actions[0].choices)
    code = "\n".join(re.findall(r"```bash\n(.*?)```", readme, re.DOTALL))
    shown = set(re.findall(r"(?:^|&& )ecgbeat (\w+)", code, re.MULTILINE))
    shown |= set(re.findall(r"`ecgbeat (\w+)", readme))
    assert shown and shown <= commands, shown - commands


def test_cli_synopses_list_every_option():
    # Each command's synopsis in docs/cli.md names every option its parser takes (the shared
    # -h, -q and -v aside, which the page's introduction describes).
    from ecgbeat.cli import build_parser

    page = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    commands = build_parser()._subparsers._group_actions[0].choices
    for name, parser in commands.items():
        block = re.search(rf"```text\n(ecgbeat {name} .*?)```", page, re.DOTALL)
        assert block, f"no synopsis of ecgbeat {name} in docs/cli.md"
        listed = set(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", block.group(1)))
        missing = {
            max(action.option_strings, key=len)
            for action in parser._actions
            if action.option_strings
            and action.dest not in ("help", "quiet", "verbose")
            and not listed & set(action.option_strings)  # -o or --output
        }
        assert not missing, f"ecgbeat {name}: {sorted(missing)} not in its synopsis"


def test_architecture_page_lists_each_module_after_those_it_imports():
    # docs/architecture.md lists the modules bottom up: a module imports (at the top or inside
    # a function) only from modules listed before it.
    page = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    order = re.findall(r"^\| `ecgbeat\.(\w+)` \|", page, re.MULTILINE)
    assert len(order) > 10
    for position, name in enumerate(order):
        path = REPO / "ecgbeat" / f"{name}.py"
        files = [path] if path.is_file() else sorted((REPO / "ecgbeat" / name).glob("*.py"))
        source = "\n".join(
            line
            for file in files
            for line in file.read_text(encoding="utf-8").splitlines()
            if not line.lstrip().startswith((">>>", "..."))  # doctests use what they like
        )
        imported = set(re.findall(r"(?:from|import) ecgbeat\.(\w+)", source))
        later = [other for other in order[position + 1 :] if other in imported]
        assert not later, f"ecgbeat.{name} imports {later}, listed after it"


def test_benchmarks_page_lists_every_script():
    # docs/benchmarks.md is the index of the scripts beside the package: each has its row.
    page = (REPO / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    listed = set(
        re.findall(r"^\| `((?:benchmarks|tools|experiments)\.\w+)` \|", page, re.MULTILINE)
    )
    scripts = {
        f"{folder}.{path.stem}"
        for folder in ("benchmarks", "tools", "experiments")
        for path in (REPO / folder).glob("*.py")
        if not path.name.startswith("_")
    }
    assert scripts <= listed, sorted(scripts - listed)


@pytest.fixture(scope="module")
def data_home_with_mitdb(tmp_path_factory, mitdb_dir):
    """A data home whose mitdb/ is the shared database, its cache of its own (shared by both
    documents: the second reads what the first built)."""
    home = tmp_path_factory.mktemp("ecgbeat_data")
    (home / "mitdb").symlink_to(mitdb_dir, target_is_directory=True)
    return home


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # one-epoch fits
@pytest.mark.parametrize("document", ["README.md", "docs/quickstart.md"])
def test_code_blocks_run_as_pasted(document, data_home_with_mitdb, monkeypatch, tmp_path):
    # Every Python block of the document, in order, as one session, exactly as written; only
    # training is made small (one epoch, at most 60 beats per class), as the examples' quick
    # mode does, because the blocks' real sizes take minutes.
    import matplotlib

    from ecgbeat import HeartbeatCNNClassifier

    matplotlib.use("Agg")
    text = (REPO / document).read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) >= 4
    original_fit = HeartbeatCNNClassifier.fit

    def quick_fit(self, X, y, **fit_params):
        self.set_params(epochs=1, min_steps_per_epoch=1, verbose=0)
        y = np.asarray(y)
        rng = np.random.default_rng(0)
        keep = np.sort(
            np.concatenate([rng.permutation(np.flatnonzero(y == c))[:60] for c in np.unique(y)])
        )
        fit_params = {
            key: np.asarray(value)[keep] if np.ndim(value) and len(value) == len(y) else value
            for key, value in fit_params.items()
        }
        return original_fit(self, np.asarray(X)[keep], y[keep], **fit_params)

    monkeypatch.setattr(HeartbeatCNNClassifier, "fit", quick_fit)
    monkeypatch.setenv("ECGBEAT_DATA", str(data_home_with_mitdb))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mitdb").symlink_to(data_home_with_mitdb / "mitdb", target_is_directory=True)
    namespace: dict = {"__name__": "__main__"}
    for number, block in enumerate(blocks, 1):
        try:
            exec(compile(block, f"{document}, Python block {number}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"{document}, Python block {number} fails:\n{block}") from exc
