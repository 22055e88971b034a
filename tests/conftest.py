from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _clean_lrs_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees LRS_* settings from the machine it runs on (LRS_TEST_* are test switches, kept)."""
    for name in list(os.environ):
        if name.startswith("LRS_") and not name.startswith("LRS_TEST_"):
            monkeypatch.delenv(name)
    yield
