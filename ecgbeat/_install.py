"""How to install an optional extra, worded for the installation at hand."""

from __future__ import annotations

from pathlib import Path

__all__ = ["install_hint"]


def install_hint(extra: str) -> str:
    """The pip command that adds an optional extra to this installation of ecgbeat.

    From a source checkout (``pip install -e .``), ``pip install "ecgbeat[plot]"`` would look for
    ecgbeat on the package index instead of the checkout: the hint then names the checkout.

    >>> install_hint("plot").startswith("pip install ") and install_hint("plot").endswith('[plot]"')
    True
    """
    root = Path(__file__).resolve().parents[1]
    if (root / "pyproject.toml").is_file():
        return f'pip install -e "{root}[{extra}]"'
    return f'pip install "ecgbeat[{extra}]"'
