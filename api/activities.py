"""The xAPI Activities resource: GET and HEAD /xapi/activities?activityId=... (Communication 2.5).

Scopes: any of ``all``, ``all/read``, ``statements/read``, ``statements/read/mine``, ``define``, ``profile``,
``state``; a credential with ``statements/write`` alone gets 403.  A canonical definition describes content,
not people, and every reader of statements, documents or definitions works with activity ids.

The canonical definition returned here (and used by ``format=canonical`` statement reads) is changed only by
statements written with the ``define`` scope (``all`` includes it), merged by the rules of ``lrs.definitions``.
A statement written without ``define`` (xAPI 1.0.3 Communication §4) is stored with its definitions as sent,
and its definition of an activity becomes the canonical one only when the tenant has none yet for that id.
"""

from __future__ import annotations

from flask import Response
from flask.views import MethodView

from api.context import lrs, principal, xrequest
from api.docs import documented, xapi_blueprint
from api.docs_resources import ACTIVITIES_ALTERNATE_DOC, ACTIVITIES_GET_DOC
from api.lookup import alternate_read, json_entity
from auth.scopes import ALL, ALL_READ, DEFINE, PROFILE, STATE, STATEMENTS_READ, STATEMENTS_READ_MINE
from lrs.activities import get_activity
from validators.lookup_params import parse_activities_get

READ_SCOPES = (ALL, ALL_READ, STATEMENTS_READ, STATEMENTS_READ_MINE, DEFINE, PROFILE, STATE)


@xapi_blueprint.route("/activities")
class Activities(MethodView):
    @documented(ACTIVITIES_GET_DOC)
    def get(self) -> Response:
        caller = principal()
        caller.require(*READ_SCOPES)
        activity_id = parse_activities_get(xrequest().args.items(multi=True))
        return json_entity(get_activity(lrs().store, caller.tenant, activity_id))

    @documented(ACTIVITIES_ALTERNATE_DOC)
    def post(self) -> Response:
        return alternate_read(self.get)
