"""Reproducible benchmarks whose results the documentation quotes.

Each module is a script run from the repository root, ``python -m benchmarks.NAME [options]``,
that writes its result with the command, date and machine to ``benchmarks/results/NAME.json``.
The documentation's Benchmarks page lists them. Not part of the installed package.
"""
