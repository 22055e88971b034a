"""The Agents resource (xAPI Communication 2.4; 2.0 book 4.1.6.3): the Person object of an Agent.

A Person is an Agent whose properties are arrays.  This LRS has no directory service and does not link
different identifiers of one person, so the Person carries exactly the identifier that was asked for (the
spec wants increased permissions before returning several) plus the names this tenant's statements used
with that identifier, newest first.  The names come from a bounded read of the tenant's most recent
statements that mention the agent anywhere (the ``related_agents`` query key), so the answer costs one
indexed query, never a scan, and never reads another tenant's data (catalogue C7).  An agent the tenant has
never seen gets the minimal Person: the identifier and the name given in the request.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from lrs.agents import IFI_PROPERTIES, ifi_key
from lrs.statement_fields import agent_filter_key
from lrs.storage.port import StatementQuery, Store

RECENT_STATEMENTS = 50  # statements read to collect names; the newest ones win


def person_object(agent: Mapping[str, Any], names: Iterable[str] = ()) -> dict[str, Any]:
    """``{"objectType": "Person", "name": [...], <ifi>: [...]}``: the request's name first, then ``names``."""
    person: dict[str, Any] = {"objectType": "Person"}
    own = agent.get("name")
    unique = list(dict.fromkeys([own, *names] if isinstance(own, str) else names))
    if unique:
        person["name"] = unique
    for prop in IFI_PROPERTIES:
        if prop in agent:
            value = agent[prop]
            person[prop] = [{"homePage": value["homePage"], "name": value["name"]} if prop == "account" else value]
    return person


def _agents_in(statement: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every Agent and Group object of a statement (members included), wherever the statement allows one."""
    found: list[Any] = [statement.get("actor"), statement.get("authority")]
    obj = statement.get("object")
    if isinstance(obj, Mapping) and obj.get("objectType") in ("Agent", "Group"):
        found.append(obj)
    elif isinstance(obj, Mapping) and obj.get("objectType") == "SubStatement":
        yield from _agents_in(obj)
    context = statement.get("context")
    if isinstance(context, Mapping):
        found += [context.get("instructor"), context.get("team")]
        found += [entry.get("agent") for entry in context.get("contextAgents") or () if isinstance(entry, Mapping)]
        found += [entry.get("group") for entry in context.get("contextGroups") or () if isinstance(entry, Mapping)]
    for agent in found:
        if isinstance(agent, Mapping):
            yield agent
            if agent.get("objectType") == "Group":
                yield from (member for member in agent.get("member") or () if isinstance(member, Mapping))


def names_used(statement: Mapping[str, Any], key: str) -> Iterator[str]:
    """Names the statement gives to Agents (not Groups) whose IFI key is ``key`` (see lrs.agents.ifi_key)."""
    for agent in _agents_in(statement):
        if agent.get("objectType") != "Group" and isinstance(agent.get("name"), str) and ifi_key(agent) == key:
            yield agent["name"]


def get_person(store: Store, tenant: str, agent: Mapping[str, Any]) -> dict[str, Any]:
    """The Person object for a validated Agent, from this tenant's statements only."""
    key = ifi_key(agent)
    query_key = agent_filter_key(agent, related=True)
    if key is None or query_key is None:  # validated Agents always have an IFI
        return person_object(agent)
    page = store.query_statements(tenant, StatementQuery(keys=(query_key,), limit=RECENT_STATEMENTS))
    names = [name for stored in page.statements for name in names_used(json.loads(stored.body), key)]
    return person_object(agent, names)
