"""``python -m ecgbeat``: the ``ecgbeat`` command (see :mod:`ecgbeat.cli`)."""

import sys

from ecgbeat.cli import main

if __name__ == "__main__":
    sys.exit(main())
