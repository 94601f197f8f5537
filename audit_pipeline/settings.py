"""One definition of where things are and how long they may take.

The repository root, the bundled sample pack, the notebooks, the reports
folder, the caches and the default cell timeout; and the digest of the
package's own code, part of every cache key. Imports nothing of the package.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
DEFAULT_DATA = ROOT / "data" / "ngss"
DEFAULT_OUT = ROOT / "reports"
NOTEBOOK_DIR = ROOT / "notebooks"
DEFAULT_TIMEOUT = 600  # seconds a single cell may run before the notebook is stopped


def cache_dir() -> Path:
    """Where validated packs are cached: ``$AUDIT_PIPELINE_CACHE``, else ``<repo>/.cache``."""
    return Path(os.environ.get("AUDIT_PIPELINE_CACHE", ROOT / ".cache"))


def code_digest() -> str:
    """SHA-256 over the package's own source files and package data (part of every cache key)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
