"""Experiments that chose a default or tried an idea, kept with their results in
``experiments/results/`` because the documentation cites them.

Run from the repository root, ``python -m experiments.NAME [options]``. Unlike the benchmarks,
these are not rerun to report a figure: they record how a choice was made. Not part of the
installed package.
"""
