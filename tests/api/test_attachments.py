"""Attachments (multipart/mixed) and signed statements through the Statement resource (catalogue I1-I9, K)."""

from __future__ import annotations

import base64
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import TestResponse

from tests.api.conftest import World, XAPIClient, make_world
from tests.attachment_helpers import attachment, certificate_b64, multipart, part, sha256, sign, signed
from tests.factories import make_statement
from validators.multipart import parse_boundary, split_parts

TEXT = b"here is a simple attachment"
IMAGE = bytes(range(256)) * 8 + b"\r\n--not-the-boundary\r\n"


def b64url(raw: bytes) -> bytes:
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


def post_multipart(client: XAPIClient, statements: Any, parts: list[tuple[dict[str, str], bytes]] = ()) -> TestResponse:  # type: ignore[assignment]
    content_type, body = multipart(statements, parts)
    return client.request("POST", data=body, headers={"Content-Type": content_type})


def parts_of(response: TestResponse) -> list[tuple[str, bytes]]:
    """(X-Experience-API-Hash or the part's media type, content) of each part of a multipart response."""
    assert response.status_code == 200, response.get_data(as_text=True)
    parsed = split_parts(response.get_data(), parse_boundary(response.headers["Content-Type"]))
    return [(p.headers.get("x-experience-api-hash", p.media_type()), p.content) for p in parsed]


def test_i1_stored_content_comes_back_byte_for_byte_only_when_asked(world: World) -> None:
    statement = make_statement(attachments=[attachment(TEXT), attachment(IMAGE, contentType="image/png")])
    response = post_multipart(world.a, statement, [part(TEXT), part(IMAGE, Content_Type="image/png")])
    assert response.status_code == 200, response.get_data(as_text=True)

    single = world.a.get(statementId=statement["id"], attachments="true")
    assert (
        single.headers["Content-Type"] == f"multipart/mixed; boundary={parse_boundary(single.headers['Content-Type'])}"
    )
    (first_type, first), *rest = parts_of(single)
    assert first_type == "application/json" and json.loads(first)["id"] == statement["id"]
    assert rest == [(sha256(TEXT), TEXT), (sha256(IMAGE), IMAGE)]

    for params in ({"attachments": "false"}, {}):
        plain = world.a.get(statementId=statement["id"], **params)
        assert plain.mimetype == "application/json" and json.loads(plain.get_data())["id"] == statement["id"]

    (_, result), *rest = parts_of(world.a.get(attachments="true"))
    assert [s["id"] for s in json.loads(result)["statements"]] == [statement["id"]]
    assert rest == [(sha256(TEXT), TEXT), (sha256(IMAGE), IMAGE)]


def test_put_multipart_and_the_same_content_shared_by_a_batch(world: World) -> None:
    statement = make_statement(attachments=[attachment(TEXT)])
    content_type, body = multipart(statement, [part(TEXT)])
    response = world.a.request(
        "PUT", data=body, headers={"Content-Type": content_type}, query_string={"statementId": statement["id"]}
    )
    assert response.status_code == 204, response.get_data(as_text=True)
    batch = [make_statement(attachments=[attachment(TEXT)]) for _ in range(3)]
    assert post_multipart(world.a, batch, [part(TEXT)]).status_code == 200
    _, *rest = parts_of(world.a.get(attachments="true"))
    assert rest == [(sha256(TEXT), TEXT)]  # one part per distinct hash
    resent = post_multipart(world.a, batch, [part(TEXT)])  # the same statements again: no change, 200
    assert resent.status_code == 200 and world.store.count_statements("tenant-a") == 4


def test_i2_to_i5_bad_requests_store_nothing(world: World) -> None:
    statement = make_statement(attachments=[attachment(TEXT)])
    good_ct, good_body = multipart(statement, [part(TEXT)])
    cases: dict[str, tuple[str, bytes]] = {
        "I2 no part, no fileUrl": multipart(statement),
        "I2 application/json": ("application/json", json.dumps(statement).encode()),
        "I3 extra part": multipart(statement, [part(TEXT), part(IMAGE)]),
        "I4 no hash header": multipart(statement, [part(TEXT, X_Experience_API_Hash=None)]),
        "I4 no transfer encoding": multipart(statement, [part(TEXT, Content_Transfer_Encoding=None)]),
        "I4 no boundary in the header": ("multipart/mixed", good_body),
        "I4 no boundary in the body": (good_ct, good_body.replace(b"--b0und4ry-x", b"--elsewhere")),
        "I4 first part not JSON": multipart(statement, [part(TEXT)], first_type="text/plain"),
        "I5 wrong bytes": multipart(statement, [part(TEXT[:-1] + b"!", X_Experience_API_Hash=sha256(TEXT))]),
        "multipart/form-data": ("multipart/form-data; boundary=b0und4ry-x", good_body),
    }
    for case, (content_type, body) in cases.items():
        response = world.a.request("POST", data=body, headers={"Content-Type": content_type})
        assert response.status_code == 400, case
        assert response.get_json()["message"], case
    assert world.store.count_statements("tenant-a") == 0
    assert world.store.get_attachments("tenant-a", [sha256(TEXT)]) == {}


def test_i6_content_of_one_tenant_is_never_reachable_from_another(world: World) -> None:
    assert post_multipart(world.a, make_statement(attachments=[attachment(TEXT)]), [part(TEXT)]).status_code == 200
    claim = make_statement(attachments=[attachment(TEXT)])
    assert post_multipart(world.b, claim).status_code == 400  # declares A's hash, brings no content
    assert world.b.post(claim).status_code == 400
    by_url = make_statement(attachments=[attachment(TEXT, fileUrl="http://b.example/text.txt")])
    assert world.b.post(by_url).status_code == 200
    assert parts_of(world.b.get(statementId=by_url["id"], attachments="true"))[1:] == []
    assert parts_of(world.b.get(attachments="true"))[1:] == []


@pytest.mark.parametrize("store_kind", ["sqlite", "mongomock"])
def test_i7_and_k_size_limits_are_413_and_the_worker_stays_healthy(store_kind: str, tmp_path: Path) -> None:
    world = make_world(tmp_path, store_kind, max_attachment_bytes=1000, max_body_bytes=20_000)
    try:
        big = b"x" * 1001
        response = post_multipart(world.a, make_statement(attachments=[attachment(big)]), [part(big)])
        assert response.status_code == 413, response.get_data(as_text=True)
        huge = b"y" * 20_001
        response = post_multipart(world.a, make_statement(attachments=[attachment(huge)]), [part(huge)])
        assert response.status_code == 413
        tiny = [part(b"%d" % i) for i in range(2_000)]
        response = post_multipart(world.a, make_statement(attachments=[attachment(TEXT)]), [part(TEXT), *tiny])
        assert response.status_code in (400, 413)
        assert world.store.count_statements("tenant-a") == 0
        fits = b"z" * 1000
        assert post_multipart(world.a, make_statement(attachments=[attachment(fits)]), [part(fits)]).status_code == 200
    finally:
        world.store.close()


def test_i8_file_urls_are_stored_verbatim_and_never_fetched(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the LRS made an outbound connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    url = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    batch = [make_statement(attachments=[attachment(TEXT, fileUrl=url)]) for _ in range(2)]
    assert world.a.post(batch).status_code == 200
    stored = world.a.get(statementId=batch[0]["id"]).get_json()
    assert stored["attachments"][0]["fileUrl"] == url
    assert parts_of(world.a.get(statementId=batch[0]["id"], attachments="true"))[1:] == []


def test_i9_signed_statements(world: World) -> None:
    good, signature = signed(make_statement(), x5c=[certificate_b64()])
    response = post_multipart(world.a, good, [part(signature, Content_Type="application/octet-stream")])
    assert response.status_code == 200, response.get_data(as_text=True)
    assert parts_of(world.a.get(statementId=good["id"], attachments="true"))[1:] == [(sha256(signature), signature)]

    statement = make_statement()
    hmac = json.dumps(statement).encode()
    bad_signatures = {
        "HS256": sign(hmac, algorithm="HS256", key="a-shared-secret-of-enough-length!"),
        "none": b64url(b'{"alg":"none"}') + b"." + b64url(hmac) + b".",
        "other payload": sign({**statement, "verb": {"id": "http://ex.gov/verbs/other"}}),
        "malformed": b"this.is-not.a-jws",
    }
    for case, content in bad_signatures.items():
        attempt, _ = signed(statement)
        attempt["attachments"][0].update(length=len(content), sha2=sha256(content))
        response = post_multipart(world.a, attempt, [part(content, Content_Type="application/octet-stream")])
        assert response.status_code == 400, case
        assert "signature" in response.get_json()["message"], case
    assert world.store.count_statements("tenant-a") == 1


def test_alternate_request_syntax_carries_a_multipart_statement(world: World) -> None:
    statement = make_statement(attachments=[attachment(TEXT)])
    content_type, body = multipart(statement, [part(TEXT)])
    form = {"statementId": statement["id"], "Content-Type": content_type, "content": body.decode()}
    response = world.a.request("POST", query_string={"method": "PUT"}, data=form)
    assert response.status_code == 204, response.get_data(as_text=True)
    assert parts_of(world.a.get(statementId=statement["id"], attachments="true"))[1:] == [(sha256(TEXT), TEXT)]
