#!/usr/bin/env python3
"""Entry point from a checkout: `python pipeline.py validate|run|list` (see README.md).

Once installed (`make setup`), the console script `audit-pipeline` runs the same command line.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from audit_pipeline.cli import entry  # noqa: E402

if __name__ == "__main__":
    entry()
