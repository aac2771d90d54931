"""Where the real exports of ../shared/corpora are, and the mark that skips a test, saying why, without them.

The corpora sit beside the project's clone, not in it (../shared/corpora/README.md): a clone of the
project alone must still pass its tests, so every test that reads them carries `needs_corpus`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "ropensci-tweets"

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpora are not beside this clone ({CORPUS})")
