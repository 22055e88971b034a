"""Query parameters of the Statement resource (xAPI Communication 2.1.3), parsed strictly.

Unknown or repeated parameters are rejected (a silently ignored filter is a wrong answer), as are malformed
values.  Every error is a 400 naming the parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lrs.errors import BadRequestError
from lrs.jsontext import loads
from lrs.statement_query import FORMATS, StatementFilter
from lrs.timeutil import to_us
from validators.agents import validate_agent
from validators.primitives import check_iri, check_uuid, parse_timestamp

FILTER_PARAMS = frozenset(
    {
        "agent",
        "verb",
        "activity",
        "registration",
        "related_activities",
        "related_agents",
        "since",
        "until",
        "limit",
        "format",
        "attachments",
        "ascending",
    }
)
SINGLE_PARAMS = frozenset({"statementId", "voidedStatementId", "format", "attachments"})
GET_PARAMS = FILTER_PARAMS | SINGLE_PARAMS | {"more"}


@dataclass(frozen=True)
class SingleStatementRequest:
    statement_id: str
    voided: bool
    format: str
    attachments: bool


@dataclass(frozen=True)
class MoreRequest:
    token: str


def single_values(params: Iterable[tuple[str, str]], allowed: frozenset[str]) -> dict[str, str]:
    """Parameters as a dict; 400 for an unknown name or a name given twice."""
    values: dict[str, str] = {}
    for name, value in params:
        if name not in allowed:
            raise BadRequestError(f"unknown query parameter '{name}'", errors={"path": name})
        if name in values:
            raise BadRequestError(f"query parameter '{name}' is given more than once", errors={"path": name})
        values[name] = value
    return values


def parse_bool(name: str, value: str) -> bool:
    if value == "true":
        return True
    if value == "false":
        return False
    raise BadRequestError(f"query parameter '{name}' must be true or false", errors={"path": name})


def parse_agent_param(
    value: str, *, name: str = "agent", version: str = "1.0.3", allow_group: bool = True
) -> dict[str, Any]:
    """An Agent (or, with ``allow_group``, a Group) given as JSON in a query parameter."""
    agent = loads(value, what=f"query parameter '{name}'")
    validate_agent(agent, name, version=version, allow_group=allow_group)
    if not isinstance(agent, dict):  # validate_agent already rejects this; narrows the type
        raise BadRequestError(f"query parameter '{name}' must be a JSON object", errors={"path": name})
    return agent


def _parse_format(values: Mapping[str, str]) -> str:
    statement_format = values.get("format", "exact")
    if statement_format not in FORMATS:
        raise BadRequestError(
            "query parameter 'format' must be one of ids, exact, canonical", errors={"path": "format"}
        )
    return statement_format


def _parse_limit(value: str) -> int:
    """A non-negative integer in ASCII digits; any size (the service clamps it to the server maximum)."""
    if not (value.isascii() and value.isdigit()):
        raise BadRequestError("query parameter 'limit' must be a non-negative integer", errors={"path": "limit"})
    return int(value) if len(value) <= 18 else 10**18


def parse_statement_get(
    params: Iterable[tuple[str, str]], *, version: str = "1.0.3"
) -> SingleStatementRequest | MoreRequest | StatementFilter:
    values = single_values(params, GET_PARAMS)
    if "more" in values:
        if len(values) > 1:
            raise BadRequestError("'more' cannot be combined with other query parameters", errors={"path": "more"})
        return MoreRequest(values["more"])
    statement_format = _parse_format(values)
    attachments = parse_bool("attachments", values["attachments"]) if "attachments" in values else False
    if "statementId" in values or "voidedStatementId" in values:
        if "statementId" in values and "voidedStatementId" in values:
            raise BadRequestError("statementId and voidedStatementId cannot be used together")
        extra = sorted(set(values) - SINGLE_PARAMS)
        if extra:
            raise BadRequestError(
                f"statementId/voidedStatementId cannot be combined with {', '.join(extra)}", errors={"path": extra[0]}
            )
        name = "statementId" if "statementId" in values else "voidedStatementId"
        return SingleStatementRequest(
            check_uuid(values[name], name), name == "voidedStatementId", statement_format, attachments
        )
    return StatementFilter(
        agent=parse_agent_param(values["agent"], version=version) if "agent" in values else None,
        verb=check_iri(values["verb"], "verb") if "verb" in values else None,
        activity=check_iri(values["activity"], "activity") if "activity" in values else None,
        registration=check_uuid(values["registration"], "registration") if "registration" in values else None,
        related_activities=parse_bool("related_activities", values.get("related_activities", "false")),
        related_agents=parse_bool("related_agents", values.get("related_agents", "false")),
        since_us=to_us(parse_timestamp(values["since"], "since", version=version)) if "since" in values else None,
        until_us=to_us(parse_timestamp(values["until"], "until", version=version)) if "until" in values else None,
        limit=_parse_limit(values["limit"]) if "limit" in values else 0,
        ascending=parse_bool("ascending", values.get("ascending", "false")),
        format=statement_format,
        attachments=attachments,
    )


def parse_statement_put(params: Iterable[tuple[str, str]]) -> str:
    values = single_values(params, frozenset({"statementId"}))
    if "statementId" not in values:
        raise BadRequestError(
            "PUT /statements requires the statementId query parameter", errors={"path": "statementId"}
        )
    return check_uuid(values["statementId"], "statementId")
