"""How to install an optional extra, worded for the installation at hand."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

__all__ = ["import_optional", "install_hint"]


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


def import_optional(module: str, needs: str, extra: str) -> ModuleType:
    """Import an optional package, or say what needs it and how to install it.

    Parameters
    ----------
    module : str
        The module to import, by its dotted name (``"matplotlib.pyplot"``).
    needs : str
        What needs it, the start of the error message ("reading EDF files needs the optional
        package 'edfio'"); the pip command that installs ``extra`` follows it.
    extra : str
        The optional extra of ecgbeat that installs it.

    Returns
    -------
    module

    Raises
    ------
    ImportError
        If the module cannot be imported; the error it raised is its cause.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"{needs}: {install_hint(extra)}") from exc
