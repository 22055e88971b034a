"""Operations and misconfiguration (catalogue N1-N4): 500s, unsupported methods, CORS, logs, request ids, start-up.

Runs on the SQLite store only: everything here lives in the HTTP layer and the settings, not in an adapter.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from api.app import create_app
from auth.credentials import issue_credential
from lrs.errors import ConfigurationError
from lrs.settings import Settings
from lrs.storage.sqlite import SQLiteStore
from lrs.tenants import create_tenant
from tests.api.conftest import XAPIClient, basic
from tests.factories import make_agent, make_statement

GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class Deployment:
    app: Flask
    store: SQLiteStore
    client: XAPIClient
    key: str
    secret: str


def deploy(tmp_path: Path, **settings: Any) -> Deployment:
    store = SQLiteStore(tmp_path / "lrs.sqlite3")
    app = create_app(Settings(data_dir=tmp_path, **settings), store=store)
    create_tenant(store, "tenant-a")
    issued = issue_credential(store, "tenant-a", ["all"], "tenant-a-lms")
    client = XAPIClient(app.test_client(), basic(issued.key, issued.secret))
    return Deployment(app, store, client, issued.key, issued.secret)


@pytest.fixture(autouse=True)
def _keep_lrs_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """create_app configures the process-wide ``lrs`` logger; leave it as it was for other tests."""
    logger = logging.getLogger("lrs")
    level = logger.level
    monkeypatch.setattr(logger, "handlers", list(logger.handlers))
    yield
    logger.setLevel(level)


@pytest.fixture
def lrs(tmp_path: Path) -> Iterator[Deployment]:
    deployment = deploy(tmp_path)
    yield deployment
    deployment.store.close()


def error_shape(body: Any, status: int) -> None:
    assert isinstance(body, dict) and set(body) == {"code", "status", "message", "errors"}
    assert body["code"] == status


# N1: a forced internal error ---------------------------------------------------------------------------------

INTERNAL_DETAIL = "SELECT secret_hash FROM credentials WHERE key = 'k1' -- mongodb://lrs:hunter2@db-7.internal"
FAILURE_POINTS = {
    # name: (object path inside the app, attribute, request)
    "storage-write": ("store", "insert_statements", "POST"),
    "statement-query": ("statements", "query", "GET"),
    "authentication": ("authenticator", "authenticate", "GET"),
}


@pytest.mark.parametrize("point", sorted(FAILURE_POINTS))
def test_internal_error_is_generic_500_and_its_log_line_carries_the_request_id(
    lrs: Deployment, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, point: str
) -> None:
    holder, attribute, method = FAILURE_POINTS[point]

    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(INTERNAL_DETAIL)

    monkeypatch.setattr(getattr(lrs.app.extensions["lrs"], holder), attribute, explode)
    statement = make_statement()
    request_id = f"n1-{point}"
    headers = {"X-Request-ID": request_id}
    with caplog.at_level(logging.INFO, logger="lrs"):
        if method == "POST":
            response = lrs.client.post(statement, headers=headers)
        else:
            response = lrs.client.request("GET", headers=headers)

    assert response.status_code == 500
    assert response.mimetype == "application/json"
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert response.headers["X-Request-ID"] == request_id
    body = response.get_json()
    error_shape(body, 500)
    assert body["errors"] == {}
    assert request_id in body["message"]  # the client can quote it
    text = response.get_data(as_text=True)
    for leak in ("SELECT", "secret_hash", "hunter2", "db-7", "RuntimeError", "Traceback", ".py", lrs.secret, lrs.key):
        assert leak not in text
    assert statement["id"] not in text and "tenant-a" not in text

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].name.startswith("lrs") and request_id in errors[0].getMessage()
    assert errors[0].exc_info is not None  # the trace goes to the log, not to the client
    access = [r.getMessage() for r in caplog.records if r.name == "lrs.access"]
    assert len(access) == 1 and " 500 " in access[0] and f"request_id={request_id}" in access[0]
    assert lrs.store.count_statements("tenant-a") == 0


# N2: methods a route does not support ---------------------------------------------------------------------------

ROUTES = {
    "/xapi/statements": {"GET", "HEAD", "OPTIONS", "POST", "PUT"},
    "/xapi/about": {"GET", "HEAD", "OPTIONS"},
    "/healthz": {"GET", "HEAD", "OPTIONS"},
    "/readyz": {"GET", "HEAD", "OPTIONS"},
}


@pytest.mark.parametrize("method", ["TRACE", "PATCH", "DELETE", "CONNECT", "PROPFIND"])
@pytest.mark.parametrize("path", sorted(ROUTES))
def test_unsupported_method_is_405_with_allow_and_the_error_shape(lrs: Deployment, path: str, method: str) -> None:
    assert lrs.client.post(make_statement()).status_code == 200
    response = lrs.client.request(method, path, data=json.dumps(make_statement()))
    assert response.status_code == 405, response.get_data(as_text=True)
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed == ROUTES[path]
    error_shape(response.get_json(), 405)
    assert response.get_json()["status"] == "Method Not Allowed"
    if path.startswith("/xapi/"):
        assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert lrs.store.count_statements("tenant-a") == 1  # nothing added, nothing deleted


# N3: what the existing preflight test does not cover --------------------------------------------------------------


def test_actual_request_from_an_unlisted_origin_gets_no_cors_grant(tmp_path: Path) -> None:
    deployment = deploy(tmp_path, cors_origins=("https://player.gov",))
    denied = deployment.client.get(headers={"Origin": "https://evil.example"})
    assert denied.status_code == 200  # CORS is enforced by the browser; the LRS just grants nothing
    assert not any(name.lower().startswith("access-control-") for name, _ in denied.headers.items())
    allowed = deployment.client.get(headers={"Origin": "https://player.gov"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://player.gov"
    assert "Origin" in allowed.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in allowed.headers  # no cookies or ambient credentials
    preflight = deployment.client.client.options(
        "/xapi/statements", headers={"Origin": "https://player.gov", "Access-Control-Request-Method": "PUT"}
    )
    assert "Access-Control-Allow-Credentials" not in preflight.headers


# N4: what the logs may and may not hold ------------------------------------------------------------------------------


def test_logs_hold_tenant_and_request_id_but_no_credentials_or_personal_data(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A fresh stdout handler, bound to this test's captured stdout (the process-wide one is restored afterwards).
    monkeypatch.setattr(logging.getLogger("lrs"), "handlers", [])
    caplog.set_level(logging.DEBUG)
    deployment = deploy(tmp_path, log_level="DEBUG")
    client = deployment.client
    mbox = "mailto:private.person@example.gov"
    marker = "BODY-MARKER-7f3a9c"
    statement = make_statement(
        actor=make_agent("private.person", mbox=mbox),
        result={"response": marker},
    )
    wrong = XAPIClient(deployment.app.test_client(), basic(deployment.key, "not-the-secret-Zq81"))

    sent = [
        # (request id, caller, method, request arguments, expected status, tenant in the log line)
        ("n4-post", client, "POST", {"json": statement}, 200, "tenant-a"),
        ("n4-get", client, "GET", {"query_string": {"statementId": statement["id"]}}, 200, "tenant-a"),
        ("n4-agent-query", client, "GET", {"query_string": {"agent": json.dumps({"mbox": mbox})}}, 200, "tenant-a"),
        ("n4-wrong-secret", wrong, "POST", {"json": statement}, 401, "-"),
        (
            "n4-invalid",
            client,
            "POST",
            {"json": {**statement, "id": str(uuid.uuid4()), "verb": marker}},
            400,
            "tenant-a",
        ),
        ("n4-conflict", client, "POST", {"json": {**statement, "verb": {"id": "http://ex.gov/v/x"}}}, 409, "tenant-a"),
    ]
    for request_id, caller, method, arguments, status, _ in sent:
        response = caller.request(method, headers={"X-Request-ID": request_id}, **arguments)
        assert response.status_code == status, (request_id, response.get_data(as_text=True))
        assert response.headers["X-Request-ID"] == request_id

    out, err = capsys.readouterr()
    assert "lrs.access" in out  # the lrs loggers write to stdout
    for logs in (out + err, caplog.text):
        for forbidden in (
            deployment.secret,
            "not-the-secret-Zq81",
            basic(deployment.key, deployment.secret).split()[1],
            basic(deployment.key, "not-the-secret-Zq81").split()[1],
            "Authorization",
            "Basic ",
            "private.person",
            "mailto:",
            marker,
            '"actor"',
        ):
            assert forbidden not in logs, f"{forbidden!r} is in the logs"
        for request_id, _, _, _, status, tenant in sent:
            lines = [line for line in logs.splitlines() if f"request_id={request_id}" in line]
            assert len(lines) == 1, (request_id, lines)
            assert f" {status} " in lines[0] and f"tenant={tenant} " in lines[0]


# X-Request-ID: echo the well-formed, replace the rest ------------------------------------------------------------


@pytest.mark.parametrize("incoming", ["a", "req-2024.11_x", "A" * 64, str(uuid.uuid4())])
def test_well_formed_request_id_is_echoed_and_logged(
    lrs: Deployment, caplog: pytest.LogCaptureFixture, incoming: str
) -> None:
    with caplog.at_level(logging.INFO, logger="lrs"):
        response = lrs.client.get(headers={"X-Request-ID": incoming})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == incoming
    assert f"request_id={incoming}" in caplog.text


MALFORMED = {
    "too-long": "a" * 65,
    "crlf-header-injection": "abc\r\nSet-Cookie: session=1",
    "trailing-lf": "abc\n",
    "non-ascii": "req-\u00fcn\u00efc\u00f6de",
    "space": "a b",
    "separator": "a;b=c",
    "empty": "",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
@pytest.mark.parametrize("path", ["/xapi/about", "/healthz"])
def test_malformed_request_id_is_replaced_never_reflected(
    lrs: Deployment, caplog: pytest.LogCaptureFixture, name: str, path: str
) -> None:
    incoming = MALFORMED[name]
    with caplog.at_level(logging.INFO, logger="lrs"):
        response = lrs.app.test_client().get(
            path, headers={"X-Experience-API-Version": "1.0.3"}, environ_overrides={"HTTP_X_REQUEST_ID": incoming}
        )
    assert response.status_code < 500, response.get_data(as_text=True)
    replacement = response.headers.get("X-Request-ID", "")
    assert GENERATED_ID.match(replacement), replacement
    assert "Set-Cookie" not in response.headers
    assert f"request_id={replacement}" in caplog.text
    if incoming:
        assert incoming not in caplog.text and incoming.strip() not in response.get_data(as_text=True)


def test_control_characters_in_another_header_are_not_a_500(lrs: Deployment) -> None:
    """Never a 500 for bad input (design section 3): a header value with CR/LF is refused or ignored."""
    response = lrs.app.test_client().get(
        "/xapi/about", headers={"X-Experience-API-Version": "1.0.3"}, environ_overrides={"HTTP_X_TRACE": "a\r\nb"}
    )
    assert response.status_code < 500


# Start-up: an invalid LRS_* environment fails fast, naming the variable ------------------------------------------

INVALID_ENVIRONMENTS = {
    "batch-not-a-number": ({"LRS_MAX_BATCH": "lots"}, "LRS_MAX_BATCH"),
    "body-limit-float": ({"LRS_MAX_BODY_BYTES": "1e6"}, "LRS_MAX_BODY_BYTES"),
    "negative-page": ({"LRS_QUERY_LIMIT_MAX": "-5"}, "LRS_QUERY_LIMIT_MAX"),
    "zero-time-limit": ({"LRS_MONGO_MAX_TIME_MS": "0"}, "LRS_MONGO_MAX_TIME_MS"),
    "log-level": ({"LRS_LOG_LEVEL": "chatty"}, "LRS_LOG_LEVEL"),
    "default-above-max": ({"LRS_QUERY_LIMIT_DEFAULT": "900"}, "LRS_QUERY_LIMIT_DEFAULT"),
    "misspelt-variable": ({"LRS_MAX_BTACH": "10"}, "LRS_MAX_BTACH"),
    "uri-scheme": ({"LRS_MONGO_URI": "postgres://lrs:hunter2@db/lrs"}, "LRS_MONGO_URI"),
    "srv-uri-with-port": ({"LRS_MONGO_URI": "mongodb+srv://lrs:hunter2@db.example:27017/lrs"}, "LRS_MONGO_URI"),
    "uri-port-out-of-range": ({"LRS_MONGO_URI": "mongodb://lrs:hunter2@db:99999/lrs"}, "LRS_MONGO_URI"),
    "data-dir-is-a-file": ({"LRS_DATA_DIR": "{tmp}/a-file"}, "LRS_DATA_DIR"),
}


@pytest.mark.parametrize("case", sorted(INVALID_ENVIRONMENTS))
def test_invalid_environment_fails_at_startup_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, case: str
) -> None:
    env, variable = INVALID_ENVIRONMENTS[case]
    (tmp_path / "a-file").write_text("not a directory")
    data_dir = tmp_path / "data"
    monkeypatch.setenv("LRS_DATA_DIR", str(data_dir))
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(tmp=tmp_path))
    with pytest.raises(ConfigurationError) as caught:
        create_app()
    assert variable in caught.value.message
    assert "hunter2" not in str(caught.value) and "hunter2" not in repr(caught.value)
    assert caught.value.status == 500 and caught.value.code == "configuration_error"
    assert not data_dir.exists()  # it failed before opening any store


def test_valid_environment_is_what_the_app_runs_with(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("LRS_DATA_DIR", str(data_dir))
    monkeypatch.setenv("LRS_MAX_BATCH", "2")
    monkeypatch.setenv("LRS_CORS_ORIGINS", "https://player.gov")
    app = create_app()
    store = app.extensions["lrs"].store
    create_tenant(store, "tenant-a")
    issued = issue_credential(store, "tenant-a", ["all"])
    client = XAPIClient(app.test_client(), basic(issued.key, issued.secret))
    assert client.post([make_statement(), make_statement(), make_statement()]).status_code == 413
    assert client.post([make_statement(), make_statement()]).status_code == 200
    assert (data_dir / "lrs.sqlite3").is_file()
    assert "Access-Control-Allow-Origin" not in client.get(headers={"Origin": "https://evil.example"}).headers
    store.close()
