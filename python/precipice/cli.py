"""The precipice command line."""

from __future__ import annotations

import sys


def main(argv=None) -> int:
    print("precipice: no command yet", file=sys.stderr)
    return 2
