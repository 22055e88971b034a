"""Query parameters of the document resources (xAPI Communication 2.3 State, 2.6 Agent Profile, 2.7 Activity
Profile), parsed strictly: a missing required, unknown or repeated parameter, or a malformed value, is a 400
naming the parameter.

| resource         | context                               | id        | GET list only |
|------------------|---------------------------------------|-----------|---------------|
| state            | activityId, agent, registration (opt) | stateId   | since         |
| activity_profile | activityId                            | profileId | since         |
| agent_profile    | agent                                 | profileId | since         |

The id is required for PUT and POST, and for DELETE except on the State resource (where a DELETE without
``stateId`` deletes every document of the context); a GET without it lists the ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lrs.agents import ifi_key
from lrs.documents import ACTIVITY_PROFILE, AGENT_PROFILE, STATE
from lrs.errors import BadRequestError
from lrs.storage.port import DocumentContext
from lrs.timeutil import to_us
from validators.primitives import check_iri, check_uuid, parse_timestamp
from validators.statement_params import parse_agent_param, single_values


@dataclass(frozen=True)
class _Resource:
    context: tuple[str, ...]  # required context parameters
    optional: tuple[str, ...]  # optional context parameters
    id_param: str
    delete_all: bool  # DELETE without the id deletes the whole context


RESOURCES: dict[str, _Resource] = {
    STATE: _Resource(("activityId", "agent"), ("registration",), "stateId", delete_all=True),
    ACTIVITY_PROFILE: _Resource(("activityId",), (), "profileId", delete_all=False),
    AGENT_PROFILE: _Resource(("agent",), (), "profileId", delete_all=False),
}


@dataclass(frozen=True)
class DocumentRequest:
    context: DocumentContext
    document_id: str | None  # None: every document of the context (GET lists ids, State DELETE deletes all)
    since_us: int | None = None


def _missing(name: str, method: str) -> BadRequestError:
    return BadRequestError(f"{method} requires the '{name}' query parameter", errors={"path": name})


def _agent_key(value: str, version: str) -> str:
    agent = parse_agent_param(value, version=version)
    key = ifi_key(agent)
    if key is None:
        raise BadRequestError(
            "query parameter 'agent' must identify an Agent (mbox, mbox_sha1sum, openid or account)",
            errors={"path": "agent"},
        )
    return key


def _document_id(value: str, name: str) -> str:
    if not value:
        raise BadRequestError(f"query parameter '{name}' must not be empty", errors={"path": name})
    return value


def parse_document_params(
    kind: str, method: str, params: Iterable[tuple[str, str]], *, version: str = "1.0.3"
) -> DocumentRequest:
    """The request of ``method`` (GET, HEAD, PUT, POST or DELETE) to the ``kind`` resource."""
    resource = RESOURCES[kind]
    listing = method in ("GET", "HEAD")
    allowed = {*resource.context, *resource.optional, resource.id_param}
    if listing:
        allowed.add("since")
    values = single_values(params, frozenset(allowed))
    for name in resource.context:
        if name not in values:
            raise _missing(name, method)
    document_id = values.get(resource.id_param)
    if document_id is None and not listing and not (method == "DELETE" and resource.delete_all):
        raise _missing(resource.id_param, method)
    if document_id is not None and "since" in values:
        raise BadRequestError(
            f"'since' applies to the list of ids, not to one document ('{resource.id_param}')",
            errors={"path": "since"},
        )
    registration = values.get("registration")
    context = DocumentContext(
        kind=kind,
        activity_id=check_iri(values["activityId"], "activityId") if "activityId" in values else "",
        agent=_agent_key(values["agent"], version) if "agent" in values else "",
        registration=check_uuid(registration, "registration") if registration is not None else None,
    )
    since = values.get("since")
    return DocumentRequest(
        context=context,
        document_id=_document_id(document_id, resource.id_param) if document_id is not None else None,
        since_us=to_us(parse_timestamp(since, "since", version=version)) if since is not None else None,
    )
