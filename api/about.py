"""The About resource: supported versions, no authentication."""

from __future__ import annotations

import json

from flask import Response
from flask.views import MethodView

from api.docs import ABOUT_DOC, documented, xapi_blueprint

SUPPORTED_VERSIONS = ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0"]


@xapi_blueprint.route("/about")
class About(MethodView):
    @documented(ABOUT_DOC)
    def get(self) -> Response:
        return Response(json.dumps({"version": SUPPORTED_VERSIONS, "extensions": {}}), mimetype="application/json")
