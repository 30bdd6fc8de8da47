"""The scripts that build what ships in the package: the pretrained models and their cards, the
sample beats, the table of the random split.

Run from the repository root, ``python -m tools.NAME [options]``. Not part of the installed
package.
"""
