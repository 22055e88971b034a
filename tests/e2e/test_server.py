"""End to end: the real `lrs` CLI and a real gunicorn server, spoken to over HTTP on loopback."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import make_statement, voiding

LRS = str(Path(sys.executable).with_name("lrs"))
MAX_BODY = 64 * 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([LRS, *args], env=env, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


class Server:
    def __init__(self, base: str, key: str, secret: str) -> None:
        self.base = base
        self.auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()

    def call(self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", self.auth)
        request.add_header("X-Experience-API-Version", "1.0.3")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("lrs-data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LRS_")}
    env["LRS_DATA_DIR"] = str(data_dir)
    env["LRS_MAX_BODY_BYTES"] = str(MAX_BODY)
    _run(env, "tenants", "create", "kemenkeu", "--name", "Kementerian Keuangan")
    issued = json.loads(_run(env, "credentials", "create", "--tenant", "kemenkeu", "--json"))
    port = _free_port()
    log_path = data_dir / "server.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [LRS, "serve", "--port", str(port), "--workers", "2"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/xapi/about", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("server did not start: " + log_path.read_text()) from None
                time.sleep(0.2)
        yield Server(base, issued["key"], issued["secret"])
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
    assert "Traceback" not in log_path.read_text()


def test_store_query_void_over_real_http(server: Server) -> None:
    statements = [make_statement() for _ in range(5)]
    status, headers, body = server.call("POST", "/xapi/statements", statements)
    assert status == 200, body
    assert json.loads(body) == [s["id"] for s in statements]
    assert headers["X-Experience-API-Version"] == "1.0.3"

    status, headers, body = server.call("GET", f"/xapi/statements?statementId={statements[0]['id']}")
    assert status == 200 and json.loads(body)["id"] == statements[0]["id"]
    assert headers["Last-Modified"].endswith("GMT")

    status, _, body = server.call("GET", "/xapi/statements?limit=2")
    page = json.loads(body)
    seen = [s["id"] for s in page["statements"]]
    while page["more"]:
        status, _, body = server.call("GET", page["more"])
        assert status == 200
        page = json.loads(body)
        seen.extend(s["id"] for s in page["statements"])
    assert sorted(seen) == sorted(s["id"] for s in statements)

    assert server.call("POST", "/xapi/statements", voiding(statements[1]["id"]))[0] == 200
    assert server.call("GET", f"/xapi/statements?statementId={statements[1]['id']}")[0] == 404
    assert server.call("GET", f"/xapi/statements?voidedStatementId={statements[1]['id']}")[0] == 200


def test_bad_input_over_real_http_is_4xx_json(server: Server) -> None:
    status, headers, body = server.call("POST", "/xapi/statements", {"actor": {}})
    assert status == 400 and json.loads(body)["code"] == 400
    assert headers["X-Experience-API-Version"]
    status, headers, _ = server.call("GET", "/xapi/statements", headers={"Authorization": "Basic Og=="})
    assert status == 401 and headers["WWW-Authenticate"].startswith("Basic")


def test_workers_share_one_store(server: Server) -> None:
    """Several requests land on different workers; every one sees every committed write."""
    ids = []
    for _ in range(12):
        statement = make_statement()
        assert server.call("PUT", f"/xapi/statements?statementId={statement['id']}", statement)[0] == 204
        ids.append(statement["id"])
    for statement_id in ids:
        assert server.call("GET", f"/xapi/statements?statementId={statement_id}")[0] == 200


def _raw_post(server: Server, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    import http.client

    host, port = server.base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.putrequest("POST", "/xapi/statements")
        for name, value in {
            "Authorization": server.auth,
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
            **headers,
        }.items():
            connection.putheader(name, value)
        connection.endheaders()
        if headers.get("Transfer-Encoding") == "chunked":
            for start in range(0, len(body), 8192):
                chunk = body[start : start + 8192]
                connection.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            connection.send(b"0\r\n\r\n")
        else:
            connection.send(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_oversized_bodies_are_413_with_or_without_content_length(server: Server) -> None:
    statement = make_statement(result={"response": "x" * (MAX_BODY * 2)})
    body = json.dumps(statement).encode()
    status, text = _raw_post(server, body, {"Content-Length": str(len(body))})
    assert status == 413 and json.loads(text)["code"] == 413
    status, text = _raw_post(server, body, {"Transfer-Encoding": "chunked"})
    assert status == 413, text
    assert server.call("GET", f"/xapi/statements?statementId={statement['id']}")[0] == 404


def test_concurrent_puts_of_one_id_store_exactly_one(server: Server) -> None:
    from concurrent.futures import ThreadPoolExecutor

    statement_id = make_statement()["id"]
    variants = [make_statement(id=statement_id, result={"response": f"answer {i}"}) for i in range(20)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(
            pool.map(lambda s: server.call("PUT", f"/xapi/statements?statementId={statement_id}", s)[0], variants)
        )
    assert statuses.count(204) == 1 and statuses.count(409) == 19, statuses
    identical = make_statement()
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(
            pool.map(
                lambda _: server.call("PUT", f"/xapi/statements?statementId={identical['id']}", identical)[0], range(20)
            )
        )
    assert set(statuses) == {204}


def _raw(server: Server, payload: bytes) -> bytes:
    """Send raw bytes to the server and return whatever it answers before closing (at most 64 kB)."""
    host, port = server.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(payload)
        chunks = []
        while sum(map(len, chunks)) < 65536:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.") else 0


@pytest.mark.parametrize(
    "header_line",
    [
        b"X-Request-ID: abc\rInjected: yes",  # bare CR inside a value
        b"X-Request-ID: abc\x00Injected: yes",  # NUL inside a value
        b"X-Request-ID: abc\r\n Injected: yes",  # obs-fold continuation
        b"X-Experience-API-Version: 1.0.3\nInjected: yes",  # bare LF line ending
    ],
)
def test_j9_control_characters_in_headers_are_refused_or_dropped_never_reflected(
    server: Server, header_line: bytes
) -> None:
    request = (
        b"GET /xapi/statements HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        + b"Authorization: "
        + server.auth.encode()
        + b"\r\n"
        + header_line
        + b"\r\n\r\n"
    )
    answer = _raw(server, request)
    status = _status(answer)
    assert 0 < status < 500, answer[:200]
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert b"injected" not in head  # nothing of the smuggled header is echoed into response headers
    assert server.call("GET", "/xapi/about")[0] == 200  # the worker is still serving


def test_k5_oversized_request_line_or_too_many_headers_are_4xx_and_workers_survive(server: Server) -> None:
    long_line = b"GET /xapi/statements?verb=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    assert _status(_raw(server, long_line)) in (400, 414)
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(150))
    too_many = b"GET /xapi/about HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + many + b"\r\n"
    assert _status(_raw(server, too_many)) in (400, 431)
    for _ in range(4):  # both workers still answer
        assert server.call("GET", "/xapi/about")[0] == 200
