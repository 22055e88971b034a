"""The ``lrs`` command: serve, manage tenants and credentials, create indexes, write the OpenAPI file."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from auth.credentials import XAPI_VERSIONS, issue_credential
from auth.scopes import ALL, KNOWN_SCOPES
from lrs.errors import LRSError
from lrs.settings import load_settings
from lrs.storage.factory import build_store
from lrs.storage.port import Store
from lrs.tenants import create_tenant, require_tenant
from lrs.timeutil import iso_us

BOOTSTRAP_TENANT = "default"


def _store() -> Store:
    store = build_store(load_settings())
    store.init_schema()
    return store


def _print_credential(issued: Any, as_json: bool) -> None:
    if as_json:
        print(
            json.dumps(
                {
                    "key": issued.key,
                    "secret": issued.secret,
                    "tenant": issued.tenant,
                    "scopes": list(issued.scopes),
                    "xapi_version": issued.xapi_version,
                }
            )
        )
    else:
        print(f"key:    {issued.key}")
        print(f"secret: {issued.secret}   (shown once; only its hash is stored)")
        print(f"tenant: {issued.tenant}   scopes: {' '.join(issued.scopes)}   xAPI version: {issued.xapi_version}")


def cmd_tenants_create(args: argparse.Namespace) -> int:
    tenant = create_tenant(_store(), args.slug, args.name)
    print(f"created tenant {tenant.slug} ({tenant.name})")
    return 0


def cmd_tenants_list(args: argparse.Namespace) -> int:
    for tenant in _store().list_tenants():
        print(f"{tenant.slug}\t{tenant.status}\t{iso_us(tenant.created_us)}\t{tenant.name}")
    return 0


def cmd_credentials_create(args: argparse.Namespace) -> int:
    issued = issue_credential(
        _store(), args.tenant, args.scope or [ALL], args.label or "", xapi_version=args.xapi_version
    )
    _print_credential(issued, args.json)
    return 0


def cmd_credentials_list(args: argparse.Namespace) -> int:
    store = _store()
    require_tenant(store, args.tenant)
    for credential in store.list_credentials(args.tenant):
        state = "revoked" if credential.revoked_us else "active"
        scopes = " ".join(credential.scopes)
        print(f"{credential.key}\t{state}\t{credential.xapi_version}\t{scopes}\t{credential.label}")
    return 0


def cmd_db_init(args: argparse.Namespace) -> int:
    _store()
    print("schema and indexes are in place")
    return 0


def cmd_openapi(args: argparse.Namespace) -> int:
    from api.openapi import render_yaml

    text = render_yaml()
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"wrote {args.output}")
    return 0


def _bootstrap(store: Store) -> None:
    """Make sure a tenant exists and print a fresh working credential for it."""
    if store.get_tenant(BOOTSTRAP_TENANT) is None:
        create_tenant(store, BOOTSTRAP_TENANT, "Default tenant")
    issued = issue_credential(store, BOOTSTRAP_TENANT, [ALL], "bootstrap")
    print("A credential for tenant 'default' (Basic auth):")
    _print_credential(issued, as_json=False)


def cmd_serve(args: argparse.Namespace) -> int:
    from gunicorn.app.base import BaseApplication

    from api.app import create_app

    settings = load_settings()
    store = build_store(settings)
    store.init_schema()
    if args.bootstrap:
        _bootstrap(store)
    store.close()
    where = "MongoDB" if settings.uses_mongo else f"SQLite at {settings.sqlite_path}"
    print(f"xAPI endpoint: http://{args.host}:{args.port}/xapi/   (store: {where})", flush=True)

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 30)
            self.cfg.set("max_requests", 20_000)
            self.cfg.set("max_requests_jitter", 2_000)
            self.cfg.set("limit_request_line", 8190)
            self.cfg.set("accesslog", None)

        def load(self) -> Any:
            return create_app()  # in each worker: every worker opens its own store connection

    Server().run()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lrs", description="Multi-tenant xAPI learning record store")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP server (gunicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=max(2, (os.cpu_count() or 1) * 2))
    serve.add_argument("--bootstrap", action="store_true", help="ensure tenant 'default' and print a new credential")
    serve.set_defaults(func=cmd_serve)

    tenants = commands.add_parser("tenants", help="manage tenants").add_subparsers(dest="action", required=True)
    create = tenants.add_parser("create", help="create a tenant")
    create.add_argument("slug")
    create.add_argument("--name")
    create.set_defaults(func=cmd_tenants_create)
    tenants.add_parser("list", help="list tenants").set_defaults(func=cmd_tenants_list)

    credentials = commands.add_parser("credentials", help="manage xAPI credentials").add_subparsers(
        dest="action", required=True
    )
    issue = credentials.add_parser("create", help="issue a credential (the secret is shown once)")
    issue.add_argument("--tenant", required=True)
    issue.add_argument("--scope", action="append", choices=KNOWN_SCOPES, help="repeatable; default: all")
    issue.add_argument("--label", help="who uses it, e.g. 'moodle-kemenkeu'")
    issue.add_argument(
        "--xapi-version",
        choices=XAPI_VERSIONS,
        default="2.0.0",
        help="the version the client speaks: answers to requests without a version header carry it",
    )
    issue.add_argument("--json", action="store_true", help="print {key, secret, ...} as JSON")
    issue.set_defaults(func=cmd_credentials_create)
    listing = credentials.add_parser("list", help="list a tenant's credentials (never secrets)")
    listing.add_argument("--tenant", required=True)
    listing.set_defaults(func=cmd_credentials_list)

    db = commands.add_parser("db", help="database maintenance").add_subparsers(dest="action", required=True)
    db.add_parser("init", help="create tables, collections and indexes").set_defaults(func=cmd_db_init)

    openapi = commands.add_parser("openapi", help="write the OpenAPI description generated from the code")
    openapi.add_argument("--output", default="openapi.yaml")
    openapi.set_defaults(func=cmd_openapi)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except LRSError as exc:
        print(f"lrs: {exc.message}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    raise SystemExit(main())
