"""Tenant isolation on every resource and method (catalogue C1-C11, C14, C15 and I6), on both storage adapters.

What tenant B stores never changes what tenant A sees or gets, nothing A does changes B's data, and a foreign id,
key, hash or cursor answers exactly like an unknown one: same status, same headers apart from the request id and
the store's clock, same body once the two ids are swapped.  Extends ``test_isolation.py`` (statement basics),
``test_documents.py`` (C5, C8), ``test_activities_agents.py`` (C6, C7) and ``test_attachments.py`` (I6).
"""

from __future__ import annotations

import base64
import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.test import TestResponse

from auth.credentials import issue_credential
from tests.api.conftest import World, XAPIClient, basic
from tests.api.isolation_helpers import (
    error_body_problems,
    fingerprint,
    forbidden_anywhere,
    response_parts,
    undefined_properties,
)
from tests.api.test_documents import create, send
from tests.attachment_helpers import attachment, multipart, part, sha256
from tests.factories import make_agent, make_statement, ref_to, voiding

STATE = "/xapi/activities/state"
ACTIVITY_PROFILE = "/xapi/activities/profile"
AGENT_PROFILE = "/xapi/agents/profile"
DOCUMENTS = (STATE, ACTIVITY_PROFILE, AGENT_PROFILE)
ID_NAME = {STATE: "stateId", ACTIVITY_PROFILE: "profileId", AGENT_PROFILE: "profileId"}

# A context only tenant B uses, and one nobody uses; the same lengths, so answers about them compare byte for byte.
FOREIGN = {"activityId": "http://ex.gov/bbb/act", "agent": json.dumps({"mbox": "mailto:bee@ex.gov"})}
UNKNOWN = {"activityId": "http://ex.gov/uuu/act", "agent": json.dumps({"mbox": "mailto:you@ex.gov"})}
B_SECRET = "B-SECRET"
A_SECRET = "A-SECRET"


def context_params(path: str, context: dict[str, str]) -> dict[str, str]:
    names = {STATE: ("activityId", "agent"), ACTIVITY_PROFILE: ("activityId",), AGENT_PROFILE: ("agent",)}[path]
    return {name: context[name] for name in names}


def doc_params(path: str, context: dict[str, str], document_id: str | None = "doc", **extra: str) -> dict[str, str]:
    params = context_params(path, context)
    if document_id is not None:
        params[ID_NAME[path]] = document_id
    return {**params, **extra}


def as_client(world: World, tenant: str, version: str) -> XAPIClient:
    key, secret = world.keys[tenant]
    return XAPIClient(world.app.test_client(), basic(key, secret), version)


# --- documents: every method, foreign key vs unknown key (C5, C8) --------------------------------------------------


@dataclass(frozen=True)
class DocStep:
    """One request of tenant A, sent to the foreign context and to the unknown one in lockstep."""

    method: str
    body: Any = None  # dict: JSON; bytes: application/octet-stream
    listing: bool = False  # no document id (GET lists ids, State DELETE deletes the context)
    headers: dict[str, str] = field(default_factory=dict)  # "{b_etag}" stands for B's ETag of the document
    version: str = "1.0.3"
    expect: int | None = None  # where the status is the same on every resource
    extra: dict[str, str] = field(default_factory=dict)


DOC_STEPS = [
    # A has nothing yet: B's documents must be as absent as documents nobody wrote
    DocStep("GET", expect=404),
    DocStep("HEAD", expect=404),
    DocStep("GET", listing=True, expect=200),
    DocStep("HEAD", listing=True, expect=200),
    DocStep("GET", listing=True, extra={"since": "2000-01-01T00:00:00Z"}, expect=200),
    DocStep("GET", extra={"_id": "b-bin"}, expect=404),
    DocStep("PUT", {"owner": "a"}, headers={"If-Match": "{b_etag}"}, expect=412),
    DocStep("POST", {"owner": "a"}, headers={"If-Match": "{b_etag}"}, expect=412),
    DocStep("DELETE", headers={"If-Match": "{b_etag}"}, expect=412),
    DocStep("DELETE", headers={"If-Match": "*"}, expect=412),
    DocStep("PUT", {"owner": "a"}, headers={"If-Match": "*"}, expect=412),
    DocStep("PUT", {"owner": "a"}, version="2.0.0"),  # State: 204 (creates; no 409), profiles: 400 (no 409)
    DocStep("PUT", {"owner": "a"}, version="1.0.3"),  # State: 204 overwrite of A's own, profiles: 400
    DocStep("DELETE", expect=204),
    DocStep("POST", b"\x00binary of A", expect=204),  # a create, not a merge onto B's JSON (which would be 400)
    DocStep("POST", {"owner": "a"}, expect=400),  # A's own document is binary
    DocStep("DELETE", headers={"If-None-Match": "{b_etag}"}, expect=204),
    DocStep("POST", {"owner": "a"}, expect=204),
    DocStep("POST", {"more": "a"}, expect=204),
    DocStep("GET", expect=200),  # {"owner": "a", "more": "a"}: nothing of B's merged in
    DocStep("PUT", {"owner": "a"}, headers={"If-None-Match": "*"}, expect=412),
    DocStep("PUT", {"owner": "a2"}, headers={"If-None-Match": "{b_etag}"}, expect=204),
    DocStep("GET", listing=True, expect=200),
    DocStep("DELETE", listing=True),  # State: 204 (only A's documents), profiles: 400 (profileId required)
    DocStep("GET", listing=True, expect=200),
    DocStep("PUT", {"owner": "a3"}, headers={"If-None-Match": "*"}),
    DocStep("GET", listing=True, extra={"since": "2000-01-01T00:00:00Z"}, expect=200),
]


def _run_step(world: World, path: str, step: DocStep, context: dict[str, str], b_etag: str) -> TestResponse:
    extra = dict(step.extra)
    document_id = None if step.listing else extra.pop("_id", "doc")
    params = doc_params(path, context, document_id, **extra)
    headers = {name.replace("-", "_"): value.format(b_etag=b_etag) for name, value in step.headers.items()}
    return send(as_client(world, "tenant-a", step.version), step.method, path, params, step.body, **headers)


def _document_state(world: World, path: str, client: XAPIClient, context: dict[str, str]) -> list[Any]:
    """Content, Content-Type, ETag and Last-Modified of every document of the context, and the id list."""
    listed = send(client, "GET", path, doc_params(path, context, None))
    state: list[Any] = [listed.get_json(), listed.headers.get("Last-Modified")]
    for document_id in listed.get_json():
        got = send(client, "GET", path, doc_params(path, context, document_id))
        state.append((document_id, got.get_data(), got.headers["Content-Type"], got.headers["ETag"]))
        state.append(got.headers["Last-Modified"])
    return state


@pytest.mark.parametrize("path", DOCUMENTS)
def test_c5_every_document_request_answers_the_same_for_a_foreign_and_an_unknown_key(world: World, path: str) -> None:
    b_json = create(world.b, path, doc_params(path, FOREIGN), {"owner": "b", "secret": B_SECRET})
    send(world.b, "PUT", path, doc_params(path, FOREIGN, "b-bin"), B_SECRET.encode(), If_None_Match="*")
    b_before = _document_state(world, path, world.b, FOREIGN)
    b_etag = b_json.headers["ETag"]
    for number, step in enumerate(DOC_STEPS):
        foreign = _run_step(world, path, step, FOREIGN, b_etag)
        unknown = _run_step(world, path, step, UNKNOWN, b_etag)
        assert fingerprint(foreign) == fingerprint(unknown), (number, step)
        assert B_SECRET.encode() not in foreign.get_data(), (number, step)
        if step.expect is not None:
            assert foreign.status_code == step.expect, (number, step, foreign.get_data())
    assert _document_state(world, path, world.b, FOREIGN) == b_before
    a_view = _document_state(world, path, world.a, FOREIGN)
    final = b'{"owner": "a3"}' if path == STATE else b'{"owner": "a2"}'  # profiles kept theirs: no list DELETE
    assert a_view[0] == ["doc"] and a_view[2][1] == final


@pytest.mark.parametrize("path", DOCUMENTS)
def test_c5_a_post_merge_never_reads_the_other_tenants_document(world: World, path: str) -> None:
    create(world.b, path, doc_params(path, FOREIGN), {"x": "b", "y": B_SECRET})
    assert send(world.a, "POST", path, doc_params(path, FOREIGN), {"x": "a"}).status_code == 204
    assert send(world.a, "POST", path, doc_params(path, FOREIGN), {"z": "a"}).status_code == 204
    assert send(world.a, "GET", path, doc_params(path, FOREIGN)).get_json() == {"x": "a", "z": "a"}
    assert send(world.b, "GET", path, doc_params(path, FOREIGN)).get_json() == {"x": "b", "y": B_SECRET}


def test_c8_state_registration_and_multiple_delete_stay_in_the_tenant(world: World) -> None:
    registration = str(uuid.uuid4())
    for client in (world.a, world.b):
        create(client, STATE, doc_params(STATE, FOREIGN, "plain"), {"v": 1})
        create(client, STATE, doc_params(STATE, FOREIGN, "reg", registration=registration), {"v": 2})
    scoped = doc_params(STATE, FOREIGN, None, registration=registration)
    assert send(world.a, "DELETE", STATE, scoped).status_code == 204
    assert send(world.a, "GET", STATE, doc_params(STATE, FOREIGN, None)).get_json() == ["plain"]
    assert sorted(send(world.b, "GET", STATE, doc_params(STATE, FOREIGN, None)).get_json()) == ["plain", "reg"]
    assert send(world.b, "GET", STATE, scoped).get_json() == ["reg"]


# --- statements: a foreign statement id is an unknown one (C1, C2, C4) ---------------------------------------------


STATEMENT_READS: list[dict[str, str]] = [
    {"statementId": "{id}"},
    {"statementId": "{id}", "format": "ids"},
    {"statementId": "{id}", "format": "canonical"},
    {"statementId": "{id}", "attachments": "true"},
    {"voidedStatementId": "{id}"},
    {"voidedStatementId": "{id}", "format": "canonical", "attachments": "true"},
]


def _statement_requests(client: XAPIClient, statement_id: str) -> list[TestResponse]:
    responses = []
    for template in STATEMENT_READS:
        params = {name: value.format(id=statement_id) for name, value in template.items()}
        responses.append(client.get(**params))
        responses.append(client.request("HEAD", query_string=params))
    return responses


def test_c2_every_read_of_a_foreign_statement_answers_like_an_unknown_id(world: World) -> None:
    text = b"B's attachment, which A must never see"
    live = make_statement(actor=make_agent("bee"), attachments=[attachment(text)], result={"response": B_SECRET})
    content_type, body = multipart(live, [part(text)])
    assert world.b.request("POST", data=body, headers={"Content-Type": content_type}).status_code == 200
    voided = make_statement(result={"response": B_SECRET})
    assert world.b.post([voided, voiding(voided["id"])]).status_code == 200
    for client in (world.a, world.client_for("tenant-a", ["statements/read/mine"])):
        for theirs in (live["id"], voided["id"]):
            unknown = str(uuid.uuid4())
            got = _statement_requests(client, theirs)
            expected = _statement_requests(client, unknown)
            for index, (foreign, other) in enumerate(zip(got, expected, strict=True)):
                assert foreign.status_code == 404, index
                assert fingerprint(foreign, [(theirs, "ID")]) == fingerprint(other, [(unknown, "ID")]), index


def test_c1_c4_writes_with_a_foreign_id_are_the_callers_own_and_change_nothing_in_the_other_tenant(
    world: World,
) -> None:
    theirs = make_statement(result={"response": B_SECRET})
    assert world.b.put(theirs, theirs["id"]).status_code == 204
    b_copy = world.b.get(statementId=theirs["id"]).get_data()
    unknown = str(uuid.uuid4())
    for method in ("PUT", "POST"):
        ours = make_statement(id=theirs["id"], verb={"id": "http://ex.gov/verbs/a-only"})
        fresh = make_statement(id=unknown, verb={"id": "http://ex.gov/verbs/a-only"})
        if method == "PUT":
            foreign, other = world.a.put(ours, ours["id"]), world.a.put(fresh, unknown)
        else:
            foreign, other = world.a.post(ours), world.a.post(fresh)
        assert foreign.status_code in (200, 204), foreign.get_data()
        assert fingerprint(foreign, [(theirs["id"], "ID")]) == fingerprint(other, [(unknown, "ID")])
    assert world.a.get(statementId=theirs["id"]).get_json()["verb"]["id"] == "http://ex.gov/verbs/a-only"
    conflicting = make_statement(id=theirs["id"], verb={"id": "http://ex.gov/verbs/other"})
    assert world.a.put(conflicting, theirs["id"]).status_code == 409  # against A's own copy only
    # A voids the id: the target is A's own statement, never B's
    void = voiding(theirs["id"])
    assert world.a.post(void).status_code == 200
    assert world.a.get(statementId=void["id"]).status_code == 200
    assert world.a.get(voidedStatementId=theirs["id"]).status_code == 200
    assert world.b.get(statementId=theirs["id"]).get_data() == b_copy
    assert world.b.get(voidedStatementId=theirs["id"]).status_code == 404
    assert [s["id"] for s in world.b.get().get_json()["statements"]] == [theirs["id"]]
    assert world.store.count_statements("tenant-b") == 1


def test_c4_voiding_a_foreign_id_stores_the_voiding_statement_and_voids_nothing(world: World) -> None:
    theirs = make_statement()
    assert world.b.post(theirs).status_code == 200
    void = voiding(theirs["id"])
    assert world.a.post(void).status_code == 200
    assert world.a.get(statementId=void["id"]).get_json()["object"]["id"] == theirs["id"]
    assert [s["id"] for s in world.b.get(verb="http://adlnet.gov/expapi/verbs/completed").get_json()["statements"]] == [
        theirs["id"]
    ]
    # B stores the same statement A has now voided in A: B's copy is not voided either
    assert world.b.get(voidedStatementId=theirs["id"]).status_code == 404


def test_statement_ref_to_a_foreign_statement_expands_to_nothing(world: World) -> None:
    bee = make_agent("bee")
    theirs = make_statement(actor=bee, object={"id": "http://ex.gov/bbb/act"})
    assert world.b.post(theirs).status_code == 200
    unknown = str(uuid.uuid4())
    to_theirs, to_unknown = ref_to(theirs["id"]), ref_to(unknown)
    assert world.a.post([to_theirs, to_unknown]).status_code == 200
    filters: list[dict[str, str]] = [
        {"agent": json.dumps({"mbox": bee["mbox"]})},
        {"agent": json.dumps({"mbox": bee["mbox"]}), "related_agents": "true"},
        {"activity": "http://ex.gov/bbb/act"},
        {"activity": "http://ex.gov/bbb/act", "related_activities": "true"},
        {"verb": theirs["verb"]["id"]},
    ]
    for params in filters:
        response = world.a.get(**params)
        assert response.get_json()["statements"] == [], params


# --- activities and agents (C6, C7) -------------------------------------------------------------------------------


def test_c6_c7_activity_and_agent_known_only_in_another_tenant_answer_like_unknown_ones(world: World) -> None:
    definition = {"name": {"en-US": B_SECRET}, "description": {"en-US": B_SECRET}, "type": "http://ex.gov/t"}
    bee = {"objectType": "Agent", "name": B_SECRET, "mbox": "mailto:bee@ex.gov"}
    statement = make_statement(actor=bee, object={"id": FOREIGN["activityId"], "definition": definition})
    assert world.b.post(statement).status_code == 200
    swaps_f = [(FOREIGN["activityId"], "ACT"), ("bee@", "WHO@")]
    swaps_u = [(UNKNOWN["activityId"], "ACT"), ("you@", "WHO@")]
    for path, name in (("/xapi/activities", "activityId"), ("/xapi/agents", "agent")):
        got = world.a.request("GET", path, query_string={name: FOREIGN[name]})
        other = world.a.request("GET", path, query_string={name: UNKNOWN[name]})
        assert got.status_code == 200 and B_SECRET.encode() not in got.get_data()
        assert fingerprint(got, swaps_f) == fingerprint(other, swaps_u)
        head_f = world.a.request("HEAD", path, query_string={name: FOREIGN[name]})
        head_u = world.a.request("HEAD", path, query_string={name: UNKNOWN[name]})
        assert fingerprint(head_f, swaps_f, etag_of=got.get_data()) == fingerprint(
            head_u, swaps_u, etag_of=other.get_data()
        )
    assert B_SECRET in world.b.request("GET", "/xapi/agents", query_string={"agent": FOREIGN["agent"]}).get_data(
        as_text=True
    )


# --- attachments (I6) ----------------------------------------------------------------------------------------------


def test_i6_declaring_a_foreign_attachment_hash_answers_like_an_unknown_hash(world: World) -> None:
    text = B_SECRET.encode() * 4
    stranger = (B_SECRET[::-1]).encode() * 4  # same length, stored nowhere
    theirs = make_statement(attachments=[attachment(text)])
    content_type, body = multipart(theirs, [part(text)])
    assert world.b.request("POST", data=body, headers={"Content-Type": content_type}).status_code == 200
    swaps_f, swaps_u = [(sha256(text), "HASH")], [(sha256(stranger), "HASH")]
    claim_id, other_id = str(uuid.uuid4()), str(uuid.uuid4())
    swaps_f.append((claim_id, "ID"))
    swaps_u.append((other_id, "ID"))
    for declared_file_url in (None, "http://a.example/f"):
        claim = make_statement(id=claim_id, attachments=[attachment(text, fileUrl=declared_file_url)])
        other = {**claim, "id": other_id, "attachments": [attachment(stranger, fileUrl=declared_file_url)]}
        for send_as in ("json", "multipart"):
            if send_as == "json":
                foreign, unknown = world.a.post(claim), world.a.post(other)
            else:
                foreign = world.a.request("POST", data=multipart(claim)[1], headers={"Content-Type": content_type})
                unknown = world.a.request("POST", data=multipart(other)[1], headers={"Content-Type": content_type})
            assert fingerprint(foreign, swaps_f) == fingerprint(unknown, swaps_u), (declared_file_url, send_as)
    # with a fileUrl the claim is stored (200) but brings no content: A's reads never carry B's bytes
    assert world.store.get_attachments("tenant-a", [sha256(text)]) == {}
    for params in ({"statementId": claim_id, "attachments": "true"}, {"attachments": "true"}):
        response = world.a.get(**params)
        assert response.status_code == 200
        assert all(text not in chunk for chunk in response_parts(response))
    assert world.b.get(statementId=theirs["id"], attachments="true").get_data().count(text) == 1


# --- more cursors (C9, C10) ----------------------------------------------------------------------------------------


def _more_token(response: TestResponse) -> str:
    more = response.get_json()["more"]
    return str(parse_qs(urlsplit(more).query)["more"][0])


def _edited(token: str, change: Callable[[dict[str, Any]], None]) -> str:
    payload_text, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(payload_text + "=" * (-len(payload_text) % 4)))
    change(payload)
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode() + "." + signature


def test_c9_c10_replayed_or_edited_cursors_are_one_and_the_same_400(world: World) -> None:
    verb = "http://ex.gov/verbs/paged"
    world.a.post([make_statement(verb={"id": verb}, result={"response": A_SECRET}) for _ in range(4)])
    world.b.post([make_statement(verb={"id": verb}, result={"response": B_SECRET}) for _ in range(4)])
    token = _more_token(world.a.get(verb=verb, limit="1"))

    def set_tenant(p: dict[str, Any]) -> None:
        p["t"] = "tenant-b"

    def drop_filter(p: dict[str, Any]) -> None:
        p["f"]["verb"] = None

    def move_position(p: dict[str, Any]) -> None:
        p["a"] = str(p["a"])[:-1] + ("0" if str(p["a"])[-1] != "0" else "1")

    def widen_snapshot(p: dict[str, Any]) -> None:
        p["s"] = int(p["s"]) + 10**12

    garbage = world.a.get_more("/xapi/statements?more=garbage")
    assert garbage.status_code == 400
    baseline = fingerprint(garbage)
    attempts = {
        "B replays A's cursor": world.b.get_more(f"/xapi/statements?more={token}"),
        "read/mine of A replays it": world.client_for("tenant-a", ["statements/read/mine"]).get_more(
            f"/xapi/statements?more={token}"
        ),
    }
    for name, change in {
        "tenant": set_tenant,
        "filter": drop_filter,
        "position": move_position,
        "snapshot": widen_snapshot,
    }.items():
        edited = _edited(token, change)
        assert edited != token
        for label, client in (("A", world.a), ("B", world.b)):
            attempts[f"{name} edited, sent by {label}"] = client.get_more(f"/xapi/statements?more={edited}")
    for name, response in attempts.items():
        assert fingerprint(response) == baseline, name
    # the untouched cursor still works for its owner
    assert world.a.get_more(f"/xapi/statements?more={token}").status_code == 200


# --- C3: random statements in both tenants, many queries -----------------------------------------------------------

POOL = [make_agent(name) for name in ("ayu", "ben", "citra", "dewi")]
VERBS = ["http://ex.gov/verbs/v0", "http://ex.gov/verbs/v1", "http://ex.gov/verbs/v2"]
ACTIVITIES = ["http://ex.gov/acts/x0", "http://ex.gov/acts/x1", "http://ex.gov/acts/x2"]
REGISTRATIONS = ["6a9e3f0e-1d54-4a7f-9c2e-0b1d2c3e4f50", "1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a10"]


class StatementGenerator:
    """Seeded random statements of one tenant; every text it writes carries the tenant's secret marker."""

    def __init__(self, rng: random.Random, marker: str, defines: list[str]) -> None:
        self.rng = rng
        self.marker = marker
        self.defines = defines  # the activities this tenant gives definitions (others it only mentions)

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def agent(self) -> dict[str, Any]:
        return {**self.rng.choice(POOL), "name": f"{self.marker} {self.rng.randrange(99)}"}

    def activity(self) -> dict[str, Any]:
        found: dict[str, Any] = {"objectType": "Activity", "id": self.rng.choice(ACTIVITIES)}
        if found["id"] in self.defines and self.rng.random() < 0.6:
            found["definition"] = {"name": {"en-US": f"{self.marker} def"}, "extensions": {"http://ex.gov/m": 1}}
        return found

    def statement(self, statement_id: str, targets: list[str]) -> dict[str, Any]:
        rng = self.rng
        kind = rng.random()
        actor: dict[str, Any] = self.agent()
        if rng.random() < 0.15:
            actor = {"objectType": "Group", "name": self.marker, "member": [self.agent(), self.agent()]}
        obj: dict[str, Any] = self.activity()
        verb = {"id": rng.choice(VERBS), "display": {"en-US": self.marker}}
        if kind < 0.12 and targets:
            obj = {"objectType": "StatementRef", "id": rng.choice(targets)}
        elif kind < 0.2 and targets:
            verb, obj = {"id": "http://adlnet.gov/expapi/verbs/voided"}, {"objectType": "StatementRef"}
            obj["id"] = rng.choice(targets)
        elif kind < 0.3:
            obj = self.agent()
        elif kind < 0.4:
            obj = {"objectType": "SubStatement", "actor": self.agent(), "verb": verb, "object": self.activity()}
        context: dict[str, Any] = {"contextActivities": {"parent": [self.activity()]}}
        if rng.random() < 0.5:
            context["registration"] = rng.choice(REGISTRATIONS)
        if rng.random() < 0.5:
            context["instructor"] = self.agent()
        statement = make_statement(
            id=statement_id, actor=actor, verb=verb, object=obj, result={"response": self.marker}
        )
        if obj.get("objectType") != "StatementRef" or verb["id"] != "http://adlnet.gov/expapi/verbs/voided":
            statement["context"] = context
        return statement


def _post_batches(client: XAPIClient, statements: list[dict[str, Any]]) -> None:
    for start in range(0, len(statements), 7):
        response = client.post(statements[start : start + 7])
        assert response.status_code == 200, response.get_data(as_text=True)


def _random_queries(rng: random.Random, bounds: list[str]) -> list[dict[str, str]]:
    queries = []
    for _ in range(24):
        params: dict[str, str] = {}
        if rng.random() < 0.35:
            params["agent"] = json.dumps({"mbox": rng.choice(POOL)["mbox"]})
            if rng.random() < 0.6:
                params["related_agents"] = "true"
        if rng.random() < 0.2:
            params["verb"] = rng.choice([*VERBS, "http://adlnet.gov/expapi/verbs/voided"])
        if rng.random() < 0.3:
            params["activity"] = rng.choice(ACTIVITIES)
            if rng.random() < 0.6:
                params["related_activities"] = "true"
        if rng.random() < 0.15:
            params["registration"] = rng.choice(REGISTRATIONS)
        if rng.random() < 0.2:
            params["since"] = rng.choice(bounds)
        elif rng.random() < 0.2:
            params["until"] = rng.choice(bounds)
        if rng.random() < 0.4:
            params["ascending"] = rng.choice(["true", "false"])
        if rng.random() < 0.3:
            params["attachments"] = "true"
        params["format"] = rng.choice(["exact", "ids", "canonical"])
        params["limit"] = rng.choice(["0", "4", "9"])
        queries.append(params)
    return queries


def _view(client: XAPIClient, queries: list[dict[str, str]], others_marker: str) -> list[Any]:
    """Everything the queries return to ``client``, page by page (the cursor tokens left out)."""
    seen: list[Any] = []
    for params in queries:
        response = client.get(**params)
        pages = []
        for _ in range(40):
            assert response.status_code == 200, (params, response.get_data(as_text=True))
            parts = response_parts(response)
            assert all(others_marker.encode() not in chunk for chunk in parts), params
            result = json.loads(parts[0])
            pages.append((result["statements"], parts[1:]))
            if not result["more"]:
                break
            response = client.get_more(result["more"])
        seen.append((params, pages))
    return seen


def _ids_in(view: list[Any]) -> set[str]:
    return {s["id"] for _, pages in view for statements, _ in pages for s in statements}


def test_c3_random_statements_in_both_tenants_never_cross_through_any_query(world: World) -> None:
    rng = random.Random(20240611)
    gen_a = StatementGenerator(rng, A_SECRET, ACTIVITIES[:2])
    gen_b = StatementGenerator(rng, B_SECRET, ACTIVITIES[1:])
    shared = [gen_a.new_id() for _ in range(6)]  # ids both tenants will use for different statements
    a_content = A_SECRET.encode() * 3

    # phase 1: A writes (with attachment content), then records what its queries return
    a_ids = [*shared[:3], *(gen_a.new_id() for _ in range(22))]
    a_batch = [gen_a.statement(sid, a_ids[:index]) for index, sid in enumerate(a_ids)]
    _post_batches(world.a, a_batch[:12])
    middle = datetime.now(UTC).isoformat()  # a since/until bound between two halves of A's statements
    _post_batches(world.a, a_batch[12:])
    uploaded = make_statement(actor=gen_a.agent(), attachments=[attachment(a_content)])
    content_type, body = multipart(uploaded, [part(a_content)])
    assert world.a.request("POST", data=body, headers={"Content-Type": content_type}).status_code == 200
    a_owned = {*a_ids, uploaded["id"]}
    queries = _random_queries(rng, [middle, "2000-01-01T00:00:00Z"])
    a_view = _view(world.a, queries, B_SECRET)
    assert _ids_in(a_view) <= a_owned and len(_ids_in(a_view)) > len(a_owned) // 2

    # phase 2: B writes the same ids, refs and voids of A's ids, A's attachment hash by fileUrl, same agents
    b_ids = [*shared, *(gen_b.new_id() for _ in range(18))]
    targets = sorted(a_owned)
    b_batch = [gen_b.statement(sid, targets + b_ids[:index]) for index, sid in enumerate(b_ids)]
    b_batch += [voiding(target) for target in targets[:3]] + [ref_to(target) for target in targets[3:6]]
    b_batch.append(make_statement(attachments=[attachment(a_content, fileUrl="http://b.example/a.bin")]))
    _post_batches(world.b, b_batch)
    b_owned = {s["id"] for s in b_batch}
    assert _view(world.a, queries, B_SECRET) == a_view
    b_view = _view(world.b, queries, A_SECRET)
    assert _ids_in(b_view) <= b_owned

    # phase 3: A writes B's ids too, and refs and voids of B's ids: B sees exactly what it saw
    more_a = [gen_a.statement(sid, sorted(b_owned)) for sid in shared[3:]]
    more_a += [voiding(target) for target in sorted(b_owned - a_owned)[:3]]
    _post_batches(world.a, more_a)
    a_owned |= {s["id"] for s in more_a}
    assert _view(world.b, queries, A_SECRET) == b_view
    assert _ids_in(_view(world.a, queries, B_SECRET)) <= a_owned

    # single lookups of every id either tenant holds
    for statement_id in sorted(a_owned | b_owned):
        for client, owned, others_marker in ((world.a, a_owned, B_SECRET), (world.b, b_owned, A_SECRET)):
            for name in ("statementId", "voidedStatementId"):
                response = client.get(**{name: statement_id})
                assert others_marker.encode() not in response.get_data()
                if statement_id not in owned:
                    unknown = str(uuid.uuid4())
                    assert fingerprint(response, [(statement_id, "ID")]) == fingerprint(
                        client.get(**{name: unknown}), [(unknown, "ID")]
                    )


# --- C11 and C14: authority is the credential's, and read/mine sees only its own -----------------------------------


def test_c11_c14_a_forged_authority_never_shows_a_statement_to_another_read_mine_credential(world: World) -> None:
    mine = world.client_for("tenant-a", ["statements/write", "statements/read/mine"])
    other = world.client_for("tenant-a", ["statements/write", "statements/read/mine"])
    own, kept = make_statement(actor=POOL[0]), make_statement(actor=POOL[0])
    assert mine.post([own, kept]).status_code == 200
    authority = mine.get(statementId=own["id"]).get_json()["authority"]
    ayu = json.dumps({"mbox": POOL[0]["mbox"]})
    forged_post = make_statement(actor=POOL[0], authority=authority, stored="2001-01-01T00:00:00Z")
    forged_put = make_statement(actor=POOL[0], authority=authority, stored="2001-01-01T00:00:00Z")
    assert other.post(forged_post).status_code == 200
    assert other.put(forged_put, forged_put["id"]).status_code == 204
    ref, void = {**ref_to(own["id"]), "actor": POOL[0]}, voiding(own["id"])
    assert other.post([ref, void]).status_code == 200
    other_authority = other.get(statementId=ref["id"]).get_json()["authority"]
    assert other_authority != authority
    theirs = {forged_post["id"], forged_put["id"], ref["id"], void["id"]}
    for statement_id in theirs:
        stored = world.a.get(statementId=statement_id).get_json()
        assert stored["authority"] == other_authority and not stored["stored"].startswith("2001")
        unknown = str(uuid.uuid4())
        for name in ("statementId", "voidedStatementId"):
            assert fingerprint(mine.get(**{name: statement_id}), [(statement_id, "ID")]) == fingerprint(
                mine.get(**{name: unknown}), [(unknown, "ID")]
            )
    queries: list[dict[str, str]] = [
        {},
        {"agent": ayu},
        {"agent": ayu, "related_agents": "true"},
        {"activity": own["object"]["id"], "related_activities": "true"},
        {"verb": "http://adlnet.gov/expapi/verbs/voided"},
        {"format": "canonical", "attachments": "true", "ascending": "true"},
    ]
    for params in queries:
        assert _ids_in(_view(mine, [{**params, "limit": "1"}], "\x00")) == (
            {kept["id"]} if "verb" not in params else set()
        )
    # the own statement that other voided is reachable by its voided id, as the voiding is a fact of the tenant
    assert mine.get(voidedStatementId=own["id"]).status_code == 200


def test_c14_read_mine_cannot_reach_another_credentials_attachment_by_declaring_its_hash(world: World) -> None:
    uploader = world.client_for("tenant-a", ["statements/write", "statements/read/mine"])
    prober = world.client_for("tenant-a", ["statements/write", "statements/read/mine"])
    private = b"another credential's private attachment"
    statement = make_statement(attachments=[attachment(private)])
    content_type, body = multipart(statement, [part(private)])
    assert uploader.request("POST", data=body, headers={"Content-Type": content_type}).status_code == 200
    claim = make_statement(attachments=[attachment(private, fileUrl="http://prober.example/x")])
    claimed = prober.post(claim)
    if claimed.status_code == 400:
        return  # refusing the claim closes the leak as well
    assert claimed.status_code == 200
    for params in ({"statementId": claim["id"], "attachments": "true"}, {"attachments": "true"}):
        response = prober.get(**params)
        assert response.status_code == 200
        assert all(private not in chunk for chunk in response_parts(response))


# --- C15: only what the specification defines, no storage metadata, no secrets ------------------------------------


def test_c15_no_response_carries_storage_metadata_tenant_names_or_secrets(world: World) -> None:
    issued = issue_credential(world.store, "tenant-a", ["all"], "lms")  # a label that does not name the tenant
    client = XAPIClient(world.app.test_client(), basic(issued.key, issued.secret))
    reader = XAPIClient(world.app.test_client(), basic(*world.keys["tenant-a"]), "2.0.0")
    content = b"\x00attachment bytes\xff"
    rich = make_statement(
        actor={"objectType": "Group", "name": "team", "member": [POOL[0], POOL[1]]},
        object={
            "objectType": "Activity",
            "id": ACTIVITIES[0],
            "definition": {
                "name": {"en-US": "Quiz"},
                "interactionType": "choice",
                "correctResponsesPattern": ["a"],
                "choices": [{"id": "a", "description": {"en-US": "A"}}],
                "extensions": {"http://ex.gov/e": {"nested": [1, {"deep": True}]}},
            },
        },
        result={"score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10}, "success": True, "duration": "PT1S"},
        context={
            "registration": REGISTRATIONS[0],
            "instructor": POOL[2],
            "contextActivities": {"parent": [{"id": ACTIVITIES[1]}], "grouping": [{"id": ACTIVITIES[2]}]},
            "language": "en-US",
            "statement": {"objectType": "StatementRef", "id": str(uuid.uuid4())},
        },
        attachments=[attachment(content, contentType="application/octet-stream")],
    )
    content_type, body = multipart(rich, [part(content, Content_Type="application/octet-stream")])
    assert client.request("POST", data=body, headers={"Content-Type": content_type}).status_code == 200
    sub = make_statement(
        object={"objectType": "SubStatement", "actor": POOL[3], "verb": rich["verb"], "object": POOL[1]}
    )
    assert client.post([sub, voiding(sub["id"]), ref_to(rich["id"])]).status_code == 200
    create(client, STATE, doc_params(STATE, FOREIGN), {"a": 1})
    document = b"\x89PNG exactly these bytes\r\n\x00"
    send(
        client,
        "PUT",
        AGENT_PROFILE,
        doc_params(AGENT_PROFILE, FOREIGN),
        document,
        content_type="image/png",
        If_None_Match="*",
    )

    statement_reads = [
        {},
        {"format": "ids"},
        {"format": "canonical"},
        {"statementId": rich["id"]},
        {"statementId": rich["id"], "format": "canonical", "attachments": "true"},
        {"voidedStatementId": sub["id"]},
        {"agent": json.dumps({"mbox": POOL[0]["mbox"]}), "related_agents": "true", "limit": "1"},
    ]
    responses: list[TestResponse] = []
    for params in statement_reads:
        for who in (client, reader):
            responses.append(who.get(**params))
    responses.append(client.request("GET", "/xapi/activities", query_string={"activityId": ACTIVITIES[0]}))
    responses.append(
        client.request("GET", "/xapi/agents", query_string={"agent": json.dumps({"mbox": POOL[0]["mbox"]})})
    )
    for path in DOCUMENTS:
        responses.append(send(client, "GET", path, doc_params(path, FOREIGN, None)))
    for response in responses:
        assert response.status_code == 200, response.get_data(as_text=True)
        for chunk in response_parts(response):
            if chunk == content:
                continue
            problems = undefined_properties(json.loads(chunk))
            assert not problems, (response.request.url, problems)
    # document GETs: exactly the stored bytes
    got = send(client, "GET", AGENT_PROFILE, doc_params(AGENT_PROFILE, FOREIGN))
    assert (got.get_data(), got.headers["Content-Type"]) == (document, "image/png")
    responses.append(got)
    responses.append(send(client, "GET", STATE, doc_params(STATE, FOREIGN)))

    errors = [
        client.get(statementId=str(uuid.uuid4())),  # 404
        client.get(verb="not an IRI"),  # 400
        client.post(make_statement(id=rich["id"], verb={"id": "http://ex.gov/other"})),  # 409
        world.client_for("tenant-a", ["state"]).get(),  # 403
        world.anonymous.get(),  # 401
        XAPIClient(world.app.test_client(), basic(issued.key, "wrong")).get(),  # 401
        send(client, "PUT", STATE, doc_params(STATE, FOREIGN), {"b": 2}, If_Match='"0000"'),  # 412
        send(client, "PUT", AGENT_PROFILE, doc_params(AGENT_PROFILE, FOREIGN), {"b": 2}),  # 409
        client.request("PATCH", "/xapi/statements"),  # 405
        send(client, "GET", STATE, {**doc_params(STATE, FOREIGN), "agent": '{"mbox": {"$ne": null}}'}),  # 400
    ]
    assert sorted(r.status_code for r in errors) == [400, 400, 401, 401, 403, 404, 405, 409, 409, 412]
    for response in errors:
        assert not error_body_problems(response), response.get_data(as_text=True)
        assert not forbidden_anywhere(response.get_json())
    secrets = [issued.secret, *(secret for _, secret in world.keys.values()), "tenant-a", "tenant-b"]
    for response in responses + errors:
        text = response.get_data().decode("utf-8", "replace") + repr(sorted(response.headers.items()))
        for secret in secrets:
            assert secret not in text, (response.request.url, secret)


def test_c14_read_mine_gets_the_content_its_own_statements_arrived_with(world: World) -> None:
    uploader = world.client_for("tenant-a", ["statements/write", "statements/read/mine"])
    content = b"my own attachment"
    statement = make_statement(attachments=[attachment(content)])
    content_type, body = multipart(statement, [part(content)])
    assert uploader.request("POST", data=body, headers={"Content-Type": content_type}).status_code == 200
    for params in ({"statementId": statement["id"], "attachments": "true"}, {"attachments": "true"}):
        response = uploader.get(**params)
        assert response.status_code == 200
        assert any(content == chunk for chunk in response_parts(response))
