"""Cross-cutting protocol behaviour: versions, authentication, CORS, error shape, alternate syntax."""

from __future__ import annotations

import base64
import json
import uuid
from urllib.parse import urlencode

import pytest

from tests.api.conftest import World, basic
from tests.factories import make_statement


def test_about_needs_no_auth_and_no_version(world: World) -> None:
    response = world.anonymous.client.get("/xapi/about")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) <= {"version", "extensions"}
    assert "1.0.3" in body["version"]
    assert response.headers["X-Experience-API-Version"]


@pytest.mark.parametrize("version", ["1.0", "1.0.0", "1.0.3", "1.0.99", "2.0.0", "2.0"])
def test_supported_versions(world: World, version: str) -> None:
    world.a.version = version
    assert world.a.get().status_code == 200


@pytest.mark.parametrize("version", [None, "1.1.0", "0.95", "2.1.0", "abc", ""])
def test_missing_or_unsupported_version_is_400_with_the_header(world: World, version: str | None) -> None:
    world.a.version = version
    response = world.a.post(make_statement())
    assert response.status_code == 400
    assert "X-Experience-API-Version" in response.get_json()["message"]
    assert response.headers["X-Experience-API-Version"]
    assert world.store.count_statements("tenant-a") == 0


def test_version_header_answers_the_requested_major_version(world: World) -> None:
    world.a.version = "2.0.0"
    assert world.a.get().headers["X-Experience-API-Version"] == "2.0.0"
    world.a.version = "1.0.1"
    assert world.a.get().headers["X-Experience-API-Version"] == "1.0.3"


def test_2_0_statements_get_version_2_0_0(world: World) -> None:
    world.a.version = "2.0.0"
    statement = make_statement()
    world.a.post(statement)
    assert world.a.get(statementId=statement["id"]).get_json()["version"] == "2.0.0"


def test_no_credentials_is_401_with_challenge(world: World) -> None:
    response = world.anonymous.post(make_statement())
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.headers["X-Experience-API-Version"]
    assert world.store.count_statements("tenant-a") == 0


@pytest.mark.parametrize(
    "header",
    [
        "Basic:xxxx",
        "Basic !!!notbase64",
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Bearer abc",
        "Basic Og==",
    ],
)
def test_malformed_authorization_is_401(world: World, header: str) -> None:
    world.anonymous.authorization = header
    assert world.anonymous.get().status_code == 401


def test_unknown_key_and_wrong_secret_look_identical(world: World) -> None:
    key, _ = world.keys["tenant-a"]
    world.anonymous.authorization = basic(key, "wrong")
    wrong_secret = world.anonymous.get()
    world.anonymous.authorization = basic("unknown-key", "wrong")
    unknown_key = world.anonymous.get()
    assert wrong_secret.status_code == unknown_key.status_code == 401
    assert wrong_secret.get_data() == unknown_key.get_data()


def test_b2_unknown_key_and_wrong_secret_cost_the_same_key_derivation(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B2 without a stopwatch: both failures run exactly one scrypt with the same parameters, so their timing
    cannot tell a known key from an unknown one (the secret comparison itself is constant time)."""
    import hashlib

    calls: list[tuple[int, int, int]] = []
    real_scrypt = hashlib.scrypt

    def counting_scrypt(password: bytes, **kwargs: int) -> bytes:
        calls.append((kwargs["n"], kwargs["r"], kwargs["p"]))
        return real_scrypt(password, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(hashlib, "scrypt", counting_scrypt)
    key, _ = world.keys["tenant-a"]
    costs = []
    for candidate in (key, "unknown-key", key, "another-unknown-key"):
        calls.clear()
        world.anonymous.authorization = basic(candidate, f"wrong-{len(costs)}")
        assert world.anonymous.get().status_code == 401
        costs.append(list(calls))
    assert all(cost == costs[0] for cost in costs) and len(costs[0]) == 1, costs


def test_lowercase_scheme_is_accepted(world: World) -> None:
    key, secret = world.keys["tenant-a"]
    world.anonymous.authorization = "basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
    assert world.anonymous.get().status_code == 200


def test_secret_containing_colons_is_split_at_the_first_colon(world: World) -> None:
    from auth.secrets import hash_secret
    from lrs.storage.port import Credential

    world.store.add_credential(Credential("colon-key", "tenant-a", hash_secret("a:b:c"), ("all",), "", 1))
    world.anonymous.authorization = basic("colon-key", "a:b:c")
    assert world.anonymous.get().status_code == 200


def test_cors_preflight_for_allowed_and_unlisted_origins(tmp_path) -> None:
    from tests.api.conftest import make_world

    restricted = make_world(tmp_path, cors_origins=("https://player.gov",))
    client = restricted.anonymous.client
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = client.options("/xapi/statements", headers={"Origin": "https://player.gov", **preflight})
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://player.gov"
    assert "X-Experience-API-Version" in allowed.headers["Access-Control-Allow-Headers"]
    denied = client.options("/xapi/statements", headers={"Origin": "https://evil.example", **preflight})
    assert "Access-Control-Allow-Origin" not in denied.headers
    actual = restricted.a.get(headers={"Origin": "https://player.gov"})
    assert actual.headers["Access-Control-Allow-Origin"] == "https://player.gov"
    assert "X-Experience-API-Consistent-Through" in actual.headers["Access-Control-Expose-Headers"]


def test_unknown_route_and_method_give_json_errors(world: World) -> None:
    missing = world.a.request("GET", "/xapi/nothing-here")
    assert missing.status_code == 404 and missing.get_json()["code"] == 404
    wrong = world.a.request("PATCH", "/xapi/statements")
    assert wrong.status_code == 405
    assert "GET" in wrong.headers["Allow"]
    assert wrong.get_json()["status"] == "Method Not Allowed"


def test_internal_errors_say_nothing_internal(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internal detail: table statements")

    monkeypatch.setattr(world.store, "query_statements", explode)
    response = world.a.get()
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "secret internal detail" not in text and "Traceback" not in text
    assert response.get_json()["message"].startswith("internal error")
    assert response.headers["X-Experience-API-Version"]


def _alternate(world: World, method: str, fields: dict[str, str], version: str = "1.0.3"):  # type: ignore[no-untyped-def]
    key, secret = world.keys["tenant-a"]
    form = {"Authorization": basic(key, secret), "X-Experience-API-Version": version, **fields}
    return world.anonymous.client.post(
        f"/xapi/statements?method={method}",
        data=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def test_alternate_request_syntax_put_and_get(world: World) -> None:
    statement = make_statement()
    put = _alternate(
        world,
        "PUT",
        {"statementId": statement["id"], "content": json.dumps(statement), "Content-Type": "application/json"},
    )
    assert put.status_code == 204, put.get_data(as_text=True)
    got = _alternate(world, "GET", {"statementId": statement["id"]})
    assert got.status_code == 200 and got.get_json()["id"] == statement["id"]


def test_alternate_request_syntax_rejects_extra_query_parameters_and_2_0(world: World) -> None:
    key, secret = world.keys["tenant-a"]
    response = world.anonymous.client.post(
        "/xapi/statements?method=GET&verb=x",
        data=urlencode({"Authorization": basic(key, secret), "X-Experience-API-Version": "1.0.3"}),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert _alternate(world, "GET", {"statementId": str(uuid.uuid4())}, version="2.0.0").status_code == 400


def test_health_probes(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    client = world.anonymous.client
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200

    from lrs.errors import StorageUnavailableError

    def down() -> None:
        raise StorageUnavailableError("the embedded database failed; retry")

    monkeypatch.setattr(world.store, "ping", down)
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503 and not_ready.headers["Retry-After"]
    assert client.get("/healthz").status_code == 200


def test_unsupported_method_is_405_even_without_the_version_header(world: World) -> None:
    world.a.version = None
    response = world.a.request("DELETE", "/xapi/statements")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_any_xapi_path_without_the_version_header_is_400(world: World) -> None:
    world.a.version = None
    response = world.a.request("GET", "/xapi/activities/state")
    assert response.status_code == 400
    assert "X-Experience-API-Version" in response.get_json()["message"]


def test_about_and_405_answer_in_the_version_asked(world: World) -> None:
    client = world.anonymous.client
    assert (
        client.get("/xapi/about", headers={"X-Experience-API-Version": "2.0.0"}).headers["X-Experience-API-Version"]
        == "2.0.0"
    )
    assert client.get("/xapi/about", headers={"X-Experience-API-Version": "9"}).status_code == 200
    assert client.get("/xapi/about").headers["X-Experience-API-Version"] == "2.0.0"  # the latest, to anyone


def test_version_header_with_non_ascii_digits_is_400(world: World) -> None:
    world.a.version = "1.0.٣"
    assert world.a.get().status_code == 400
