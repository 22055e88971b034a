"""The administrative `lrs` commands: tenants, credentials with roles, the first operator, the audit log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.app import create_app
from api.cli import main
from lrs.settings import Settings
from lrs.storage.sqlite import SQLiteStore
from tests.api.conftest import basic


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LRS_DATA_DIR", str(tmp_path))
    return tmp_path


def _json_lines(text: str) -> list[dict[str, object]]:
    """The JSON lines of the output (once an app exists in this process, its log lines go to stdout too)."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    [found] = _json_lines(capsys.readouterr().out)
    return found


def _audit(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert main(["audit", *args]) == 0
    return _json_lines(capsys.readouterr().out)


def test_bootstrap_prints_the_first_operator_once(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["operator", "bootstrap", "--json"]) == 0
    first = _json(capsys)
    assert first["role"] == "operator" and first["tenant"] is None and first["scopes"] == []
    assert main(["operator", "bootstrap"]) == 2
    assert "exists already" in capsys.readouterr().err
    # the credential works on the admin API and nowhere else
    store = SQLiteStore(data_dir / "lrs.sqlite3")
    client = create_app(Settings(data_dir=data_dir), store=store).test_client()
    auth = {"Authorization": basic(str(first["key"]), str(first["secret"]))}
    assert client.get("/api/v1/admin/tenants", headers=auth).status_code == 200
    xapi = client.get("/xapi/statements", headers={**auth, "X-Experience-API-Version": "1.0.3"})
    assert xapi.status_code == 403
    stored = store.get_credential(str(first["key"]))
    assert stored is not None and stored.tenant == "" and str(first["secret"]) not in stored.secret_hash
    store.close()
    # once revoked, bootstrapping is possible again (a lost operator credential can be replaced from the host)
    assert main(["credentials", "revoke", str(first["key"])]) == 0
    capsys.readouterr()
    assert main(["operator", "bootstrap", "--json"]) == 0
    assert _json(capsys)["key"] != first["key"]


def test_tenant_lifecycle(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tenants", "create", "bkn", "--name", "BKN"]) == 0
    assert main(["tenants", "rename", "bkn", "Badan Kepegawaian Negara"]) == 0
    assert main(["tenants", "suspend", "bkn"]) == 0
    assert main(["tenants", "suspend", "bkn"]) == 2
    assert "already suspended" in capsys.readouterr().err
    assert main(["tenants", "list"]) == 0
    assert "bkn\tsuspended" in capsys.readouterr().out
    assert main(["tenants", "resume", "bkn"]) == 0
    assert main(["tenants", "rename", "nope", "x"]) == 2
    assert "no tenant 'nope'" in capsys.readouterr().err
    assert main(["tenants", "list"]) == 0
    listing = capsys.readouterr().out
    assert "bkn\tactive" in listing and "Badan Kepegawaian Negara" in listing
    entries = _audit(capsys, "--tenant", "bkn")
    assert [e["action"] for e in entries] == ["tenant.resume", "tenant.suspend", "tenant.rename", "tenant.create"]
    assert all(e["actor"] == {"key": "cli", "role": "operator"} for e in entries)
    assert all(e["remote_addr"] and e["request_id"] for e in entries)


def test_credentials_with_roles_rotate_and_revoke(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tenants", "create", "bkn"]) == 0
    assert main(["credentials", "create", "--tenant", "bkn", "--role", "tenant_admin", "--json"]) == 0
    admin = _json(capsys)
    assert admin["role"] == "tenant_admin" and admin["scopes"] == []
    assert main(["credentials", "create", "--tenant", "bkn", "--json"]) == 0
    client = _json(capsys)
    assert client["role"] == "client" and client["scopes"] == ["all"]
    assert main(["credentials", "rotate", str(client["key"]), "--json"]) == 0
    rotated = _json(capsys)
    assert rotated["key"] == client["key"] and rotated["secret"] != client["secret"]
    store = SQLiteStore(data_dir / "lrs.sqlite3")
    app = create_app(Settings(data_dir=data_dir), store=store)
    headers = {"X-Experience-API-Version": "1.0.3"}

    def status(secret: object) -> int:
        auth = basic(str(client["key"]), str(secret))
        return int(app.test_client().get("/xapi/statements", headers={**headers, "Authorization": auth}).status_code)

    assert status(client["secret"]) == 401
    assert status(rotated["secret"]) == 200
    assert main(["credentials", "revoke", str(client["key"])]) == 0
    assert status(rotated["secret"]) == 401
    store.close()
    assert main(["credentials", "revoke", str(client["key"])]) == 2
    assert "already revoked" in capsys.readouterr().err
    assert main(["credentials", "list", "--tenant", "bkn"]) == 0
    listing = capsys.readouterr().out
    assert f"{admin['key']}\tactive\ttenant_admin" in listing
    assert f"{client['key']}\trevoked\tclient" in listing
    for secret in (admin["secret"], client["secret"], rotated["secret"]):
        assert str(secret) not in listing
    entries = _audit(capsys, "--action", "credential.rotate")
    assert [e["target"] for e in entries] == [client["key"]]
    everything = json.dumps(_audit(capsys))
    for secret in (admin["secret"], client["secret"], rotated["secret"]):
        assert str(secret) not in everything


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["credentials", "create", "--role", "operator", "--tenant", "bkn"], "belongs to no tenant"),
        (["credentials", "create"], "needs --tenant"),
        (["credentials", "create", "--tenant", "bkn", "--role", "tenant_admin", "--scope", "all"], "no xAPI scopes"),
        (["credentials", "rotate", "nope"], "no credential 'nope'"),
        (["credentials", "revoke", "nope"], "no credential 'nope'"),
        (["tenants", "resume", "bkn"], "already active"),
        (["audit", "--since", "yesterday"], "RFC 3339"),
        (["audit", "--limit", "0"], "limit"),
    ],
)
def test_admin_commands_fail_cleanly(
    data_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    assert main(["tenants", "create", "bkn"]) == 0
    capsys.readouterr()
    assert main(argv) == 2
    assert fragment in capsys.readouterr().err


def test_operator_credentials_listed_apart(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["credentials", "create", "--role", "operator", "--label", "ops", "--json"]) == 0
    operator = _json(capsys)
    assert main(["credentials", "list", "--operators"]) == 0
    assert f"{operator['key']}\tactive\toperator" in capsys.readouterr().out
