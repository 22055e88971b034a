"""Liveness and readiness probes for load balancers and orchestrators (no authentication, no data)."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from api.context import lrs
from api.errors import error_response
from lrs.errors import LRSError

health_blueprint = Blueprint("health", __name__, description="Operational probes")


@health_blueprint.route("/healthz")
class Liveness(MethodView):
    @health_blueprint.doc(summary="The process is up", responses={"200": {"description": "alive"}})  # type: ignore[untyped-decorator]
    def get(self) -> Response:
        return Response('{"status":"ok"}', mimetype="application/json")


@health_blueprint.route("/readyz")
class Readiness(MethodView):
    @health_blueprint.doc(  # type: ignore[untyped-decorator]
        summary="The store answers",
        responses={"200": {"description": "ready"}, "503": {"$ref": "#/components/responses/StorageUnavailableError"}},
    )
    def get(self) -> Response:
        try:
            lrs().store.ping()
        except LRSError as exc:
            response = error_response(503, exc.message)
            response.headers["Retry-After"] = exc.headers().get("Retry-After", "5")
            return response
        return Response('{"status":"ready"}', mimetype="application/json")
