"""``openapi.yaml`` is generated from the code; a test fails when the committed file drifts."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml

from lrs.settings import Settings
from lrs.storage.sqlite import SQLiteStore


def build_spec() -> dict[str, Any]:
    from api.app import create_app

    with tempfile.TemporaryDirectory() as scratch:
        store = SQLiteStore(Path(scratch) / "spec.sqlite3")
        app = create_app(Settings(data_dir=Path(scratch)), store=store)
        api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
        spec: dict[str, Any] = api.spec.to_dict()
        store.close()
    return spec


def render_yaml() -> str:
    return yaml.safe_dump(build_spec(), sort_keys=True, allow_unicode=True)
