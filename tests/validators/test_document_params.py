"""Parameters of the document resources: what each method of each resource requires, allows and rejects."""

from __future__ import annotations

import json

import pytest

from lrs.errors import BadRequestError
from lrs.storage.port import DocumentContext
from validators.document_params import DocumentRequest, parse_document_params

ACT = "http://ex.gov/activities/1"
AGENT = json.dumps({"objectType": "Agent", "account": {"homePage": "http://ex.gov", "name": "ayu"}})
AGENT_KEY = 'account:["http://ex.gov", "ayu"]'
REG = "6F1E4B1A-0C7E-4A51-9D4E-2B8F2F7F0A11"

STATE = {"activityId": ACT, "agent": AGENT, "stateId": "s"}
ACTIVITY_PROFILE = {"activityId": ACT, "profileId": "p"}
AGENT_PROFILE = {"agent": AGENT, "profileId": "p"}
BASE = {"state": STATE, "activity_profile": ACTIVITY_PROFILE, "agent_profile": AGENT_PROFILE}


def parse(kind: str, method: str, params: dict[str, str], version: str = "1.0.3") -> DocumentRequest:
    return parse_document_params(kind, method, params.items(), version=version)


def without(params: dict[str, str], *names: str) -> dict[str, str]:
    return {k: v for k, v in params.items() if k not in names}


def test_state_request_with_registration() -> None:
    parsed = parse("state", "PUT", {**STATE, "registration": REG})
    assert parsed == DocumentRequest(DocumentContext("state", ACT, AGENT_KEY, REG.lower()), "s", None)


def test_profiles_use_only_their_own_context() -> None:
    assert parse("activity_profile", "GET", ACTIVITY_PROFILE).context == DocumentContext("activity_profile", ACT)
    assert parse("agent_profile", "DELETE", AGENT_PROFILE).context == DocumentContext("agent_profile", agent=AGENT_KEY)


def test_the_same_agent_in_any_spelling_is_one_key() -> None:
    named = json.dumps({"name": "Ayu", "account": {"name": "ayu", "homePage": "http://ex.gov"}})
    assert parse("agent_profile", "GET", {**AGENT_PROFILE, "agent": named}).context.agent == AGENT_KEY


def test_listing_with_since() -> None:
    parsed = parse("state", "GET", {**without(STATE, "stateId"), "since": "2024-05-01T12:00:00Z"})
    assert parsed.document_id is None
    assert parsed.since_us == 1_714_564_800_000_000


@pytest.mark.parametrize(
    ("kind", "method", "missing"),
    [
        (kind, method, name)
        for kind, params in BASE.items()
        for method in ("GET", "HEAD", "PUT", "POST", "DELETE")
        for name in params
        # the id may be left out to list (GET/HEAD) and, on the State resource, to delete the whole context
        if not (
            name in ("stateId", "profileId") and (method in ("GET", "HEAD") or (kind, method) == ("state", "DELETE"))
        )
    ],
)
def test_missing_required_parameters_are_400(kind: str, method: str, missing: str) -> None:
    with pytest.raises(BadRequestError, match=missing):
        parse(kind, method, without(BASE[kind], missing))


@pytest.mark.parametrize(
    ("kind", "method", "extra"),
    [
        ("state", "PUT", {"since": "2024-05-01T12:00:00Z"}),  # since only lists
        ("state", "GET", {"since": "2024-05-01T12:00:00Z"}),  # ... not with a stateId
        ("state", "DELETE", {"since": "2024-05-01T12:00:00Z"}),
        ("activity_profile", "PUT", {"registration": REG}),  # registration belongs to State only
        ("agent_profile", "GET", {"activityId": ACT}),
        ("state", "GET", {"limit": "1"}),
        ("state", "PUT", {"stateid": "x"}),
    ],
)
def test_unknown_or_misplaced_parameters_are_400(kind: str, method: str, extra: dict[str, str]) -> None:
    with pytest.raises(BadRequestError):
        parse(kind, method, {**BASE[kind], **extra})


def test_repeated_parameters_are_400() -> None:
    with pytest.raises(BadRequestError, match="more than once"):
        parse_document_params("state", "GET", [*STATE.items(), ("stateId", "t")])


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("agent", "not JSON"),
        ("agent", "true"),
        ("agent", json.dumps({"mbox": "ayu@ex.gov"})),  # not a mailto IRI
        ("agent", json.dumps({"objectType": "Agent"})),  # no identifier
        ("agent", json.dumps({"objectType": "Group", "member": [{"mbox": "mailto:a@ex.gov"}]})),  # anonymous
        ("agent", json.dumps({"mbox": {"$ne": None}})),
        ("activityId", "not an IRI"),
        ("activityId", "http://ex.gov/\x00"),
        ("registration", "true"),
        ("registration", "6f1e4b1a0c7e4a519d4e2b8f2f7f0a11"),
        ("stateId", ""),
    ],
)
def test_malformed_values_are_400(name: str, value: str) -> None:
    with pytest.raises(BadRequestError):
        parse("state", "POST", {**STATE, name: value})


@pytest.mark.parametrize("since", ["true", "not a timestamp", "2024-13-01T00:00:00Z"])
def test_malformed_since_is_400(since: str) -> None:
    with pytest.raises(BadRequestError, match="since"):
        parse("activity_profile", "GET", {"activityId": ACT, "since": since})


def test_since_without_zone_follows_the_version_rules() -> None:
    params = {"activityId": ACT, "since": "2024-05-01T12:00:00"}
    assert parse("activity_profile", "GET", params, "1.0.3").since_us == 1_714_564_800_000_000
    with pytest.raises(BadRequestError):
        parse("activity_profile", "GET", params, "2.0.0")


def test_an_identified_group_may_own_documents() -> None:
    group = json.dumps({"objectType": "Group", "mbox": "mailto:team@ex.gov"})
    assert parse("agent_profile", "GET", {**AGENT_PROFILE, "agent": group}).context.agent == "mbox:mailto:team@ex.gov"


@pytest.mark.parametrize("hostile", ["$where", "a.b", "x\x00y", "%24ne"])
def test_ids_are_kept_literally(hostile: str) -> None:
    assert parse("state", "PUT", {**STATE, "stateId": hostile}).document_id == hostile
