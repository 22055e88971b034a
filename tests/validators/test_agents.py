"""``validate_agent`` on its own, as used for the ``agent`` parameter of GET /statements and the document
resources (the parameter's JSON is parsed by the caller; the path names the parameter)."""

from __future__ import annotations

import pytest

from tests.validators.assertions import assert_rejected
from tests.validators.factories import make_agent, make_group
from validators.agents import validate_agent, validate_authority, validate_group

VALID_AGENTS: list[tuple[str, object]] = [
    ("mbox", {"mbox": "mailto:ada@example.com"}),
    ("mbox-with-objectType", {"objectType": "Agent", "mbox": "mailto:ada@example.com"}),
    ("mbox_sha1sum", {"mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"}),
    ("openid", {"openid": "http://openid.example.org/12345"}),
    (
        "account-suite",
        {"objectType": "Agent", "account": {"homePage": "http://www.example.com/agentId/1", "name": "Rick James"}},
    ),
    ("named", {"name": "Rick James", "account": {"homePage": "http://www.example.com", "name": "1625378"}}),
]

INVALID_AGENTS: list[tuple[str, object, str]] = [
    ("not-an-object", "mailto:ada@example.com", "agent"),
    ("null", None, "agent"),
    ("list", [make_agent()], "agent"),
    ("empty-object", {}, "agent"),
    ("name-only", {"name": "Ada"}, "agent"),
    ("two-ifis", {"mbox": "mailto:ada@example.com", "openid": "http://example.com/ada"}, "agent"),
    ("objectType-lowercase", {"objectType": "agent", "mbox": "mailto:ada@example.com"}, "agent.objectType"),
    ("objectType-Person", {"objectType": "Person", "mbox": "mailto:ada@example.com"}, "agent.objectType"),
    ("mbox-not-mailto", {"mbox": "ada@example.com"}, "agent.mbox"),
    ("account-without-name", {"account": {"homePage": "http://example.com"}}, "agent.account.name"),
    ("account-homePage-not-iri", {"account": {"homePage": "example.com", "name": "a"}}, "agent.account.homePage"),
    ("unknown-property", {"mbox": "mailto:ada@example.com", "email": "x"}, "agent.email"),
    ("anonymous-group-without-member", {"objectType": "Group"}, "agent.member"),
    ("group-of-groups", make_group(member=[make_group()]), "agent.member[0].objectType"),
]


@pytest.mark.parametrize(("case_id", "value"), VALID_AGENTS, ids=[r[0] for r in VALID_AGENTS])
def test_valid_agents(case_id: str, value: object) -> None:
    assert validate_agent(value, "agent") is None
    assert validate_agent(value, "agent", version="2.0.0", allow_group=False) is None


@pytest.mark.parametrize(("case_id", "value", "expected_path"), INVALID_AGENTS, ids=[r[0] for r in INVALID_AGENTS])
def test_invalid_agents(case_id: str, value: object, expected_path: str) -> None:
    assert_rejected(lambda: validate_agent(value, "agent"), expected_path)


@pytest.mark.parametrize(
    "group",
    [
        make_group(),
        make_group(mbox="mailto:team@example.com"),
        {"objectType": "Group", "openid": "http://example.com/t"},
    ],
)
def test_groups_are_agents_unless_disallowed(group: dict[str, object]) -> None:
    validate_agent(group, "agent")
    validate_group(group, "context.team")
    error = assert_rejected(lambda: validate_agent(group, "agent", allow_group=False), "agent.objectType")
    assert "'Agent'" in error.message


def test_group_requires_objectType_group() -> None:
    assert_rejected(lambda: validate_group(make_agent(), "context.team"), "context.team.objectType")
    assert_rejected(lambda: validate_group({"member": [make_agent()]}, "context.team"), "context.team.objectType")


OAUTH_CONSUMER = {"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "oauth_consumer_x75db"}}


@pytest.mark.parametrize(
    "authority",
    [make_agent(), {"objectType": "Group", "member": [OAUTH_CONSUMER, {"mbox": "mailto:bob@example.com"}]}],
)
def test_valid_authorities(authority: dict[str, object]) -> None:
    assert validate_authority(authority, "statement.authority") is None


@pytest.mark.parametrize(
    ("case_id", "authority", "expected_path"),
    [
        (
            "identified-group-suite",
            {
                "objectType": "Group",
                "name": "xAPI Group",
                "mbox": "mailto:xapigroup@example.com",
                "member": [make_agent(), make_agent(mbox="mailto:b@example.com")],
            },
            "statement.authority.mbox",
        ),
        ("one-member-suite", {"objectType": "Group", "member": [OAUTH_CONSUMER]}, "statement.authority.member"),
        (
            "three-members-suite",
            {"objectType": "Group", "member": [OAUTH_CONSUMER, make_agent(), make_agent(mbox="mailto:c@example.com")]},
            "statement.authority.member",
        ),
        ("agent-without-ifi-suite", {"objectType": "Agent"}, "statement.authority"),
    ],
)
def test_invalid_authorities(case_id: str, authority: object, expected_path: str) -> None:
    assert_rejected(lambda: validate_authority(authority, "statement.authority"), expected_path)
