"""``lrs serve`` with the progress projection switched off: the baseline of ``bench/progress.py``'s ingest.

Every worker's trainings catalog answers "no trainings, no index", so the statement service computes no events
(no training events, no microlearning) and the store writes nothing of the projection: exactly the ingest path of
the LRS without it.  Only for measuring; the arguments are those of ``lrs`` (``serve --port ...``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lrs.progress.service import TrainingCatalog


def _no_projection(self: TrainingCatalog, tenant: str) -> tuple[int, Any]:
    return 0, None


TrainingCatalog.current = _no_projection  # type: ignore[method-assign]  # inherited by the forked workers

if __name__ == "__main__":
    from api.cli import main

    raise SystemExit(main(sys.argv[1:]))
