"""Who is calling: derived only from verified credentials."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auth.scopes import ALL_READ, STATEMENTS_READ, STATEMENTS_READ_MINE, STATEMENTS_WRITE
from lrs.agents import ifi_key
from lrs.errors import ForbiddenError
from lrs.statement_fields import AGENT, AUTHORITY


@dataclass(frozen=True)
class Principal:
    tenant: str
    key: str
    scopes: frozenset[str]  # expanded (see auth.scopes.expand)
    authority: dict[str, Any]
    role: str = "client"  # see auth.roles; an operator's tenant is "" (it belongs to no tenant)
    xapi_version: str = "2.0.0"  # the client's version when a request carries no valid version header
    # The one learner this caller is (SSO learner tokens): it reads and writes only that learner's records.
    agent: dict[str, Any] | None = None

    def require(self, *any_of: str) -> None:
        """403 unless the principal holds at least one of the scopes."""
        if not self.scopes.intersection(any_of):
            raise ForbiddenError(f"this credential lacks the scope needed here ({' or '.join(any_of)})")

    def can_write_statements(self) -> None:
        self.require(STATEMENTS_WRITE)

    def can_read_documents(self, scope: str) -> None:
        """GET/HEAD on a document resource: its own scope (``state`` or ``profile``) or ``all/read``."""
        self.require(scope, ALL_READ)

    def can_write_documents(self, scope: str) -> None:
        """PUT, POST or DELETE on a document resource: its own scope (``state`` or ``profile``)."""
        self.require(scope)

    def statement_read_restriction(self) -> tuple[str, ...]:
        """Keys every statement read must match: none for full readers, the own authority for read/mine, and
        for a caller bound to a learner (``agent``) the learner as actor or object, whatever its scopes."""
        if self.agent is not None:
            self.require(STATEMENTS_READ, STATEMENTS_READ_MINE)
            return (AGENT + str(ifi_key(self.agent)),)
        if STATEMENTS_READ in self.scopes:
            return ()
        self.require(STATEMENTS_READ_MINE)
        return (AUTHORITY + str(ifi_key(self.authority)),)

    def require_own_agent(self, agent: Mapping[str, Any] | str | None) -> None:
        """403 when this caller is bound to a learner and ``agent`` (an Agent object, or its IFI key from
        ``lrs.agents.ifi_key``) is not that learner.  Callers not bound to a learner always pass."""
        if self.agent is None:
            return
        key = agent if isinstance(agent, str) or agent is None else ifi_key(agent)
        if key is None or key != ifi_key(self.agent):
            raise ForbiddenError("a learner token reaches only the learner's own records")
