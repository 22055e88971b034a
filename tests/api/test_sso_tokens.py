"""SSO bearer tokens through HTTP (catalogue B8-B13): verification, claim mapping, learner restriction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lrs.storage.port import AuditQuery
from tests.api.conftest import World, XAPIClient, make_world
from tests.factories import make_agent, make_statement
from tests.sso_tokens import (
    DROP,
    HOMEPAGE,
    HS256_SECRET,
    bearer,
    forge_hs256,
    hs256,
    jwks,
    keys,
    learner_agent,
    mint,
    recording_server,
    sso_settings,
    unsigned,
)


@pytest.fixture(params=["sqlite", "mongomock"])
def sso(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    instance = make_world(tmp_path, request.param, **sso_settings(tmp_path))
    yield instance
    instance.store.close()


@pytest.fixture
def sso_hs256(tmp_path: Path) -> Iterator[World]:
    """HS256 switched on as well (with its own shared secret)."""
    directory = tmp_path / "hs256"
    directory.mkdir()
    settings = sso_settings(directory, jwt_algorithms=("RS256", "ES256", "HS256"), jwt_hs256_secret=HS256_SECRET)
    instance = make_world(directory, "sqlite", **settings)
    yield instance
    instance.store.close()


def as_token(world: World, token: str, **kwargs: Any) -> XAPIClient:
    return XAPIClient(world.app.test_client(), bearer(token), **kwargs)


def refused(response: Any) -> None:
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert response.headers["X-Experience-API-Version"]


def statement_about(number: str, **overrides: Any) -> dict[str, Any]:
    return make_statement(actor={"objectType": "Agent", "account": {"homePage": HOMEPAGE, "name": number}}, **overrides)


# valid tokens ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["rsa", "ec"])
def test_a_valid_access_token_of_either_key_type_is_accepted(sso: World, key: str) -> None:
    assert as_token(sso, mint(key)).get().status_code == 200


def test_rfc9068_access_token_type_is_accepted_without_token_use(sso: World) -> None:
    token = mint(headers={"typ": "at+jwt"}, token_use=DROP)
    assert as_token(sso, token).get().status_code == 200


def test_without_an_issuer_configured_bearer_tokens_are_refused(world: World) -> None:
    refused(as_token(world, mint()).get())


# B8: algorithm confusion --------------------------------------------------------------------------------
def b8_tokens() -> dict[str, str]:
    rsa_pair = keys()["rsa"]
    return {
        "alg none": unsigned(),
        "alg none, kid of a real key": unsigned({"kid": rsa_pair.kid}),
        "alg None (capitalised)": unsigned({"alg": "None", "kid": rsa_pair.kid}),
        "HS256 keyed with the RSA public key (PEM)": forge_hs256(rsa_pair.public_pem),
        "HS256 keyed with the RSA public key (JWK)": forge_hs256(json.dumps(rsa_pair.public_jwk).encode()),
        "HS256 keyed with the JWKS document": forge_hs256(json.dumps(jwks()).encode()),
        "RS256 token naming the EC key": mint("rsa", kid=keys()["ec"].kid),
        "ES256 token naming the RSA key": mint("ec", kid=rsa_pair.kid),
    }


@pytest.mark.parametrize("case", sorted(b8_tokens()))
def test_b8_algorithm_confusion_is_refused(sso: World, case: str) -> None:
    response = as_token(sso, b8_tokens()[case]).post(make_statement())
    refused(response)
    assert sso.store.count_statements("tenant-a") == 0


@pytest.mark.parametrize("case", sorted(b8_tokens()))
def test_b8_algorithm_confusion_is_refused_with_hs256_switched_on(sso_hs256: World, case: str) -> None:
    refused(as_token(sso_hs256, b8_tokens()[case]).get())


def test_hs256_with_the_configured_secret_is_accepted_only_when_switched_on(sso: World, sso_hs256: World) -> None:
    assert as_token(sso_hs256, hs256()).get().status_code == 200
    refused(as_token(sso, hs256()).get())


# B9: key URLs in the token are never followed --------------------------------------------------------------
@pytest.mark.parametrize("header", ["jku", "x5u"])
@pytest.mark.parametrize("key", ["attacker", "rsa-kid-attacker-key"])
def test_b9_jku_and_x5u_are_ignored_and_nothing_is_fetched(sso: World, header: str, key: str) -> None:
    with recording_server(jwks("attacker")) as attacker:
        if key == "attacker":
            token = mint("attacker", headers={header: attacker.url})
        else:  # the kid of a trusted key, but signed by the attacker
            token = mint("attacker", kid=keys()["rsa"].kid, headers={header: attacker.url})
        refused(as_token(sso, token).get())
    assert attacker.requests == []


def test_b9_only_the_configured_jwks_url_is_fetched_and_unknown_kids_cannot_force_refetches(tmp_path: Path) -> None:
    with recording_server(jwks()) as idp, recording_server(jwks("attacker")) as attacker:
        settings = sso_settings(tmp_path, jwt_jwks_file=None, jwt_jwks_url=idp.url)
        world = make_world(tmp_path, "sqlite", **settings)
        try:
            assert idp.requests == []  # nothing fetched at start-up
            assert as_token(world, mint()).get().status_code == 200
            assert as_token(world, mint("ec")).get().status_code == 200
            for attempt in range(10):
                refused(as_token(world, mint("attacker", kid=f"random-{attempt}", headers={"jku": attacker.url})).get())
            assert as_token(world, mint()).get().status_code == 200
        finally:
            world.store.close()
    assert 1 <= len(idp.requests) <= 2  # the first load, and at most one refresh for the unknown kids
    assert attacker.requests == []


# B10: claims ------------------------------------------------------------------------------------------------
B10 = {
    "expired": {"exp": 1_000_000_000},
    "not valid yet": {"nbf": 4_000_000_000},
    "missing exp": {"exp": DROP},
    "missing iss": {"iss": DROP},
    "missing aud": {"aud": DROP},
    "wrong aud": {"aud": "another-service"},
    "wrong iss": {"iss": "https://evil.example.com"},
    "issued in the future": {"iat": 4_000_000_000},
}


@pytest.mark.parametrize("case", sorted(B10))
def test_b10_claim_problems_are_401(sso: World, case: str) -> None:
    refused(as_token(sso, mint(**B10[case])).get())


@pytest.mark.parametrize("kid", ["unknown-kid", DROP])
def test_b10_unknown_or_missing_kid_is_401(sso: World, kid: Any) -> None:
    refused(as_token(sso, mint(kid=kid)).get())


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "", "e30.e30.e30"])
def test_malformed_bearer_tokens_are_401(sso: World, token: str) -> None:
    response = sso.anonymous.request("GET", headers={"Authorization": f"Bearer {token}".strip()})
    assert response.status_code == 401


# B11: the tenant comes only from the verified token -----------------------------------------------------------
def test_b11_a_token_of_tenant_a_never_reaches_tenant_b(sso: World) -> None:
    theirs = statement_about("CS-0001")
    assert sso.b.post(theirs).status_code == 200  # the same learner, in tenant B
    learner = as_token(sso, mint())
    assert learner.get(statementId=theirs["id"]).status_code == 404
    assert learner.get().get_json()["statements"] == []
    admin_a = as_token(sso, mint(role="tenant_admin", civil_servant_number=DROP))
    assert admin_a.request("GET", "/api/v1/admin/tenants/tenant-b/quotas").status_code == 403
    assert admin_a.request("GET", "/api/v1/admin/tenants/tenant-a/quotas").status_code == 200


@pytest.mark.parametrize(
    ("overrides", "status"),
    [({"tenant": "no-such-tenant"}, 403), ({"tenant": DROP}, 403), ({"tenant": ["tenant-a"]}, 403)],
)
def test_b11_tokens_naming_no_served_tenant_are_refused(sso: World, overrides: dict[str, Any], status: int) -> None:
    assert as_token(sso, mint(**overrides)).get().status_code == status


def test_a_suspended_tenant_refuses_its_tokens(sso: World) -> None:
    sso.store.update_tenant("tenant-a", status="suspended")
    assert as_token(sso, mint()).get().status_code == 403


# B12: token types ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "overrides",
    [{"token_use": "export"}, {"token_use": "one-time"}, {"token_use": "id"}, {"token_use": DROP}],
    ids=["export", "one-time", "id", "id-token-without-token-use"],
)
def test_b12_only_access_tokens_are_accepted(sso: World, overrides: dict[str, Any]) -> None:
    refused(as_token(sso, mint(**overrides)).get())


def test_b12_token_use_wins_over_the_header_type(sso: World) -> None:
    refused(as_token(sso, mint(headers={"typ": "at+jwt"}, token_use="export")).get())


# B13: failed authentications are throttled per key and per address ----------------------------------------
@pytest.fixture
def throttled(tmp_path: Path) -> Iterator[World]:
    instance = make_world(tmp_path, "sqlite", **sso_settings(tmp_path, auth_failures_per_minute=5))
    yield instance
    instance.store.close()


def from_address(client: XAPIClient, address: str) -> XAPIClient:
    def request(method: str, path: str = "/xapi/statements", **kwargs: Any) -> Any:
        return XAPIClient.request(client, method, path, environ_base={"REMOTE_ADDR": address}, **kwargs)

    client.request = request  # type: ignore[method-assign]
    return client


def test_b13_failed_logins_for_one_key_are_throttled_other_keys_unaffected(throttled: World) -> None:
    from tests.api.conftest import basic

    key, secret = throttled.keys["tenant-a"]
    for attempt in range(5):
        wrong = from_address(XAPIClient(throttled.app.test_client(), basic(key, "wrong")), f"10.0.0.{attempt}")
        assert wrong.get().status_code == 401
    again = from_address(XAPIClient(throttled.app.test_client(), basic(key, secret)), "10.0.1.1")
    response = again.get()
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["X-Experience-API-Version"]
    assert throttled.b.get().status_code == 200  # another key (and tenant) is unaffected


def test_b13_failed_logins_from_one_address_are_throttled_other_addresses_unaffected(throttled: World) -> None:
    failing = [unsigned(), mint(exp=1), mint(aud="elsewhere"), "garbage", mint(token_use="export")]
    for token in failing:  # five failures: the limit
        assert from_address(as_token(throttled, token), "10.9.9.9").get().status_code == 401
    response = from_address(as_token(throttled, mint()), "10.9.9.9").get()
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert from_address(as_token(throttled, mint()), "10.9.9.10").get().status_code == 200
    assert from_address(throttled.a, "10.9.9.11").get().status_code == 200


# learners: only their own records --------------------------------------------------------------------------------
def test_a_learner_token_reads_only_statements_about_that_learner(sso: World) -> None:
    own = statement_about("CS-0001")
    other = statement_about("CS-0002")
    about_me = make_statement(actor=make_agent("coach"), object=learner_agent("CS-0001"))
    unrelated = make_statement()
    assert sso.a.post([own, other, about_me, unrelated]).status_code == 200
    learner = as_token(sso, mint())
    seen = {s["id"] for s in learner.get().get_json()["statements"]}
    assert seen == {own["id"], about_me["id"]}
    assert learner.get(statementId=own["id"]).status_code == 200
    assert learner.get(statementId=other["id"]).status_code == 404
    assert learner.get(agent=json.dumps(learner_agent("CS-0002"))).get_json()["statements"] == []
    colleague = as_token(sso, mint(civil_servant_number="CS-0002", sub="other-sub"))
    assert {s["id"] for s in colleague.get().get_json()["statements"]} == {other["id"]}


def test_a_learner_token_writes_only_with_a_write_scope_and_only_about_itself(sso: World) -> None:
    reader = as_token(sso, mint())
    response = reader.post(statement_about("CS-0001"))
    assert response.status_code == 403
    writer = as_token(sso, mint(scope="openid statements/write statements/read"))
    mine = statement_about("CS-0001")
    assert writer.post(mine).status_code == 200
    assert writer.post(statement_about("CS-0002")).status_code == 403
    assert sso.store.count_statements("tenant-a") == 1
    stored = sso.a.get(statementId=mine["id"]).get_json()
    assert stored["authority"] == learner_agent("CS-0001")


def test_a_learner_token_needs_the_civil_servant_number(sso: World) -> None:
    assert as_token(sso, mint(civil_servant_number=DROP)).get().status_code == 403


def test_scopes_may_come_as_an_scp_list(sso: World) -> None:
    writer = as_token(sso, mint(scp=["statements/write", "statements/read/mine"]))
    assert writer.post(statement_about("CS-0001")).status_code == 200
    assert len(writer.get().get_json()["statements"]) == 1


# roles ------------------------------------------------------------------------------------------------------------
def test_coordinator_and_tenant_admin_tokens_map_to_their_roles(sso: World) -> None:
    coordinator = as_token(sso, mint(role="coordinator"))
    assert coordinator.get().status_code == 403  # no xAPI access for coordinators (auth.roles)
    admin = as_token(sso, mint(role="tenant_admin"))
    assert admin.get().status_code == 403
    assert admin.request("GET", "/api/v1/admin/tenants/tenant-a/quotas").status_code == 200
    assert admin.request("PATCH", "/api/v1/admin/tenants/tenant-a/quotas", json={"max_batch": 5}).status_code == 403


def test_an_operator_token_administers_every_tenant_and_is_audited(sso: World) -> None:
    operator = as_token(sso, mint(role="operator", tenant=DROP, civil_servant_number=DROP, sub="ops-1"))
    response = operator.request("PATCH", "/api/v1/admin/tenants/tenant-b/quotas", json={"max_batch": 5})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["effective"]["max_batch"] == 5
    entries = sso.store.query_audit(AuditQuery(action="tenant.quotas"))
    assert [(e.actor_key, e.actor_role, e.tenant) for e in entries] == [("sso:ops-1", "operator", "tenant-b")]
    assert operator.get().status_code == 403  # operators read no learning records


@pytest.mark.parametrize(
    ("role", "status"),
    [("learner", 200), (["offline_access", "learner"], 200), (["learner", "operator"], 403), ("superuser", 403)],
)
def test_role_claims_may_be_lists_at_a_dotted_path(tmp_path: Path, role: Any, status: int) -> None:
    world = make_world(tmp_path, "sqlite", **sso_settings(tmp_path, jwt_role_claim="realm_access.roles"))
    try:
        token = mint(role=DROP, realm_access={"roles": role})
        assert as_token(world, token).get().status_code == status
    finally:
        world.store.close()


def state_url(agent: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    query = {"activityId": "http://example.gov/courses/onboarding", "agent": json.dumps(agent), "stateId": "bookmark"}
    return "/xapi/activities/state?" + urlencode(query)


def test_a_learner_token_reaches_only_its_own_documents_and_person(sso: World) -> None:
    me, colleague = learner_agent("CS-0001"), learner_agent("CS-0002")
    assert sso.a.request("PUT", state_url(colleague), json={"page": 3}).status_code == 204
    learner = as_token(sso, mint(scope="state all/read"))
    assert learner.request("PUT", state_url(me), json={"page": 1}).status_code == 204
    assert learner.request("GET", state_url(me)).get_json() == {"page": 1}
    assert learner.request("GET", state_url(colleague)).status_code == 403
    assert learner.request("PUT", state_url(colleague), json={"page": 9}).status_code == 403
    assert learner.request("DELETE", state_url(colleague)).status_code == 403
    assert sso.a.request("GET", state_url(colleague)).get_json() == {"page": 3}
    profile = "/xapi/activities/profile?activityId=http%3A%2F%2Fexample.gov%2Fc&profileId=p"
    profile_writer = as_token(sso, mint(scope="profile all/read"))
    create = {"If-None-Match": "*"}
    assert profile_writer.request("PUT", profile, json={"x": 1}, headers=create).status_code == 403  # shared by all
    assert sso.a.request("PUT", profile, json={"shared": True}, headers=create).status_code == 204
    assert profile_writer.request("GET", profile).status_code == 200
    assert learner.request("GET", "/xapi/agents", query_string={"agent": json.dumps(me)}).status_code == 200
    assert learner.request("GET", "/xapi/agents", query_string={"agent": json.dumps(colleague)}).status_code == 403


def test_b13_behind_a_trusted_proxy_the_forwarded_address_counts(tmp_path: Path) -> None:
    world = make_world(tmp_path, "sqlite", **sso_settings(tmp_path, auth_failures_per_minute=2, proxy_hops=1))
    try:

        def via_proxy(token: str, client: str) -> int:
            headers = {"X-Forwarded-For": client}
            return int(from_address(as_token(world, token), "10.0.0.1").get(headers=headers).status_code)

        assert [via_proxy(unsigned(), "198.51.100.7") for _ in range(3)] == [401, 401, 429]
        assert via_proxy(mint(), "198.51.100.8") == 200  # another client behind the same proxy
        assert via_proxy(mint(), "198.51.100.7") == 429
    finally:
        world.store.close()
