"""Query parameters of the Activities resource (``activityId``) and the Agents resource (``agent``).

Both take exactly one required parameter; unknown, repeated or malformed parameters are a 400 naming it
(xAPI Communication 3.2: parameters the LRS does not recognise are rejected, also when they differ in case).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lrs.errors import BadRequestError
from validators.primitives import check_iri
from validators.statement_params import parse_agent_param, single_values


def _required(params: Iterable[tuple[str, str]], name: str, resource: str) -> str:
    values = single_values(params, frozenset({name}))
    if name not in values:
        raise BadRequestError(f"GET {resource} requires the '{name}' query parameter", errors={"path": name})
    return values[name]


def parse_activities_get(params: Iterable[tuple[str, str]]) -> str:
    """The ``activityId`` (an IRI) of GET /activities."""
    return check_iri(_required(params, "activityId", "/activities"), "activityId")


def parse_agents_get(params: Iterable[tuple[str, str]], *, version: str = "1.0.3") -> dict[str, Any]:
    """The ``agent`` of GET /agents: an Agent object in JSON (not a Group, not a Person)."""
    return parse_agent_param(_required(params, "agent", "/agents"), version=version, allow_group=False)
