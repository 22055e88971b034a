"""The application factory: everything is built here, nothing at import time."""

from __future__ import annotations

import logging
import sys
from http import HTTPStatus

from flask import Flask
from flask_smorest import Api
from werkzeug.middleware.proxy_fix import ProxyFix

from api.context import LRSContext
from api.docs import COMPONENT_SCHEMAS
from api.errors import register_error_handlers
from api.http_headers import register_http_headers
from api.limits import register_limits
from auth.authenticate import build_authenticator
from lrs.cursor import CursorCodec
from lrs.errors import all_error_classes
from lrs.progress.settler import Settler
from lrs.quotas import Limits
from lrs.settings import Settings, load_settings
from lrs.statements import StatementPolicy, StatementService
from lrs.storage.factory import build_store
from lrs.storage.port import Store

API_VERSION = "0.1.0"


def _configure_logging(level: str) -> None:
    root = logging.getLogger("lrs")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> Flask:
    settings = settings or load_settings()
    _configure_logging(settings.log_level)
    app = Flask("lrs")
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        API_TITLE="Civil-service LRS",
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    store = store or build_store(settings)
    store.init_schema()
    policy = StatementPolicy(
        query_limit_default=settings.query_limit_default,
        query_limit_max=settings.query_limit_max,
    )
    app.extensions["lrs"] = LRSContext(
        settings=settings,
        store=store,
        statements=StatementService(store, CursorCodec(store.get_or_create_secret("cursor-signing")), policy),
        authenticator=build_authenticator(store, settings),
        limits=Limits.build(store, settings),
    )
    api = Api(app)
    registered = api.spec.to_dict().get("components", {}).get("schemas", {})
    for name, schema in COMPONENT_SCHEMAS.items():
        if name not in registered:  # flask-smorest already registers "Error" with the same shape
            api.spec.components.schema(name, schema)
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    api.spec.components.response("Error", {"description": "Error", "content": error_content})
    for error in all_error_classes():  # one documented response per error class (checked by a guard test)
        phrase = HTTPStatus(error.status).phrase
        api.spec.components.response(
            error.__name__, {"description": f"{error.status} {phrase}", "content": error_content}
        )
    from api import about, activities, admin_quotas, agents, documents, statements  # noqa: F401  (registers the routes on the blueprint)
    from api.admin import admin_blueprint
    from api.docs import xapi_blueprint
    from api.health import health_blueprint
    from api.progress import progress_blueprint

    api.register_blueprint(xapi_blueprint)
    api.register_blueprint(health_blueprint)
    api.register_blueprint(admin_blueprint)
    api.register_blueprint(progress_blueprint)
    register_http_headers(app)
    register_limits(app)  # after the headers' before_request: needs the xAPI request it builds
    if settings.proxy_hops:  # the client address (throttling, audit) from the trusted proxies' X-Forwarded-For
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops)  # type: ignore[method-assign]
    register_error_handlers(app)
    return app


def start_settler(app: Flask) -> Settler:
    """Start the worker's background refold of dirty progress rows (lrs.progress.settler); every request
    marks the worker busy, so the settler works only between requests.  ``lrs serve`` calls it in each worker."""
    settler = Settler(app.extensions["lrs"].store)
    app.before_request(settler.begin)
    app.teardown_request(lambda _error: settler.end())
    app.extensions["lrs-settler"] = settler
    settler.start()
    return settler
