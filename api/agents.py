"""The xAPI Agents resource: GET and HEAD /xapi/agents?agent=... (Communication 2.4).

Scopes: any of ``all``, ``all/read``, ``statements/read``.  The Person carries names taken from the tenant's
statements, so only credentials that can read every statement may see it; the others (``statements/read/mine``,
``define``, ``profile``, ``state``, ``statements/write``) get 403.  The Activities resource is more open because
a canonical definition describes content, not people.
"""

from __future__ import annotations

from flask import Response
from flask.views import MethodView

from api.context import lrs, principal, xrequest
from api.docs import documented, xapi_blueprint
from api.docs_resources import AGENTS_ALTERNATE_DOC, AGENTS_GET_DOC
from api.lookup import alternate_read, json_entity
from auth.scopes import ALL, ALL_READ, STATEMENTS_READ
from lrs.person import get_person
from validators.lookup_params import parse_agents_get

READ_SCOPES = (ALL, ALL_READ, STATEMENTS_READ)


@xapi_blueprint.route("/agents")
class Agents(MethodView):
    @documented(AGENTS_GET_DOC)
    def get(self) -> Response:
        caller = principal()
        caller.require(*READ_SCOPES)
        req = xrequest()
        agent = parse_agents_get(req.args.items(multi=True), version=req.version)
        caller.require_own_agent(agent)  # a learner token sees only its own Person
        return json_entity(get_person(lrs().store, caller.tenant, agent))

    @documented(AGENTS_ALTERNATE_DOC)
    def post(self) -> Response:
        return alternate_read(self.get)
