"""The `lrs` command as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import main
from auth.secrets import verify_secret
from lrs.storage.sqlite import SQLiteStore


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LRS_DATA_DIR", str(tmp_path))
    return tmp_path


def test_tenants_and_credentials(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tenants", "create", "bkn", "--name", "Badan Kepegawaian Negara"]) == 0
    assert main(["tenants", "create", "bkn"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["credentials", "create", "--tenant", "bkn", "--scope", "statements/write", "--json"]) == 0
    issued = json.loads(capsys.readouterr().out)
    assert issued["scopes"] == ["statements/write"]
    stored = SQLiteStore(data_dir / "lrs.sqlite3").get_credential(issued["key"])
    assert stored is not None and stored.tenant == "bkn"
    assert issued["secret"] not in stored.secret_hash
    assert verify_secret(issued["secret"], stored.secret_hash)
    assert main(["credentials", "list", "--tenant", "bkn"]) == 0
    listing = capsys.readouterr().out
    assert issued["key"] in listing and issued["secret"] not in listing
    assert main(["tenants", "list"]) == 0
    assert "bkn" in capsys.readouterr().out


def test_credentials_for_unknown_tenant_fail_cleanly(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["credentials", "create", "--tenant", "nope"]) == 2
    assert "no tenant 'nope'" in capsys.readouterr().err


def test_invalid_slug(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tenants", "create", "Not A Slug"]) == 2
    assert "slug" in capsys.readouterr().err


def test_db_init_is_idempotent(data_dir: Path) -> None:
    assert main(["db", "init"]) == 0
    assert main(["db", "init"]) == 0
    assert (data_dir / "lrs.sqlite3").exists()


def test_slug_with_a_trailing_newline_is_refused(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tenants", "create", "bkn\n"]) == 2
    assert "slug" in capsys.readouterr().err
