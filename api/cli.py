"""The ``lrs`` command: serve, manage tenants and credentials, create indexes, write the OpenAPI file."""

from __future__ import annotations

import argparse
import gc
import getpass
import json
import os
import socket
import sys
import uuid
from collections.abc import Sequence
from typing import Any

from auth.admin import Admin
from auth.credentials import XAPI_VERSIONS
from auth.roles import CLIENT, NO_TENANT, OPERATOR, ROLES
from auth.scopes import ALL, KNOWN_SCOPES
from lrs.audit import Actor, audit_query
from lrs.errors import BadRequestError, ConflictError, LRSError
from lrs.settings import load_settings
from lrs.storage.factory import build_store
from lrs.storage.port import Store
from lrs.timeutil import iso_us, parse_instant_us

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
                    "tenant": issued.tenant or None,
                    "role": issued.role,
                    "scopes": list(issued.scopes),
                    "xapi_version": issued.xapi_version,
                }
            )
        )
    else:
        print(f"key:    {issued.key}")
        print(f"secret: {issued.secret}   (shown once; only its hash is stored)")
        if issued.role == OPERATOR:
            print("role:   operator (every tenant, admin API only)")
        else:
            scopes = " ".join(issued.scopes) or "-"
            print(
                f"tenant: {issued.tenant}   role: {issued.role}   scopes: {scopes}   xAPI version: {issued.xapi_version}"
            )


def _cli_actor() -> Actor:
    """CLI actions are audited as actor "cli" (an operator), from the local user and host."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "?"
    return Actor("cli", OPERATOR, NO_TENANT, f"{user}@{socket.gethostname()}", uuid.uuid4().hex)


def _admin() -> tuple[Admin, Actor]:
    return Admin(_store()), _cli_actor()


def cmd_tenants_create(args: argparse.Namespace) -> int:
    admin, actor = _admin()
    tenant = admin.create_tenant(actor, args.slug, args.name)
    print(f"created tenant {tenant.slug} ({tenant.name})")
    return 0


def cmd_tenants_list(args: argparse.Namespace) -> int:
    admin, actor = _admin()
    for tenant in admin.list_tenants(actor):
        print(f"{tenant.slug}\t{tenant.status}\t{iso_us(tenant.created_us)}\t{tenant.name}")
    return 0


def cmd_tenants_rename(args: argparse.Namespace) -> int:
    admin, actor = _admin()
    tenant = admin.rename_tenant(actor, args.slug, args.name)
    print(f"renamed tenant {tenant.slug} to {tenant.name}")
    return 0


def cmd_tenants_suspend(args: argparse.Namespace) -> int:
    admin, actor = _admin()
    admin.suspend_tenant(actor, args.slug)
    print(f"suspended tenant {args.slug}: its requests get 403 until it is resumed")
    return 0


def cmd_tenants_resume(args: argparse.Namespace) -> int:
    admin, actor = _admin()
    admin.resume_tenant(actor, args.slug)
    print(f"resumed tenant {args.slug}")
    return 0


def cmd_credentials_create(args: argparse.Namespace) -> int:
    if args.role == OPERATOR and args.tenant:
        raise BadRequestError("an operator credential belongs to no tenant: leave out --tenant")
    if args.role != OPERATOR and not args.tenant:
        raise BadRequestError(f"a {args.role} credential needs --tenant")
    admin, actor = _admin()
    issued = admin.issue_credential(
        actor,
        args.tenant or NO_TENANT,
        role=args.role,
        scopes=args.scope,
        label=args.label or "",
        xapi_version=args.xapi_version,
    )
    _print_credential(issued, args.json)
    return 0


def cmd_credentials_list(args: argparse.Namespace) -> int:
    admin, actor = _admin()
    for credential in admin.list_credentials(actor, NO_TENANT if args.operators else args.tenant):
        state = "revoked" if credential.revoked_us else "active"
        scopes = " ".join(credential.scopes) or "-"
        print(f"{credential.key}\t{state}\t{credential.role}\t{credential.xapi_version}\t{scopes}\t{credential.label}")
    return 0


def cmd_credentials_rotate(args: argparse.Namespace) -> int:
    admin, actor = _admin()
    issued = admin.rotate_credential(actor, args.key)
    _print_credential(issued, args.json)
    return 0


def cmd_credentials_revoke(args: argparse.Namespace) -> int:
    admin, actor = _admin()
    admin.revoke_credential(actor, args.key)
    print(f"revoked credential {args.key}: it stops working with the next request")
    return 0


def cmd_operator_bootstrap(args: argparse.Namespace) -> int:
    """The first operator credential; refused once an active one exists (issue more with --role operator)."""
    admin, actor = _admin()
    if any(c.revoked_us is None for c in admin.list_credentials(actor, NO_TENANT)):
        raise ConflictError(
            "an operator credential exists already; issue another with `lrs credentials create --role operator`"
        )
    issued = admin.issue_credential(actor, NO_TENANT, role=OPERATOR, label=args.label)
    _print_credential(issued, args.json)
    return 0


def _instant(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    instant = parse_instant_us(value)
    if instant is None:
        raise BadRequestError(f"--{name} must be an RFC 3339 timestamp, e.g. 2025-01-31T08:00:00Z")
    return instant


def cmd_audit(args: argparse.Namespace) -> int:
    from api.admin_schemas import AuditEntrySchema

    admin, actor = _admin()
    query = audit_query(
        tenant=args.tenant,
        actor=args.actor,
        action=args.action,
        since_us=_instant(args.since, "since"),
        until_us=_instant(args.until, "until"),
        limit=args.limit,
    )
    for entry in AuditEntrySchema(many=True).dump(admin.audit_entries(actor, query)):
        print(json.dumps(entry, ensure_ascii=False))
    return 0


def cmd_db_init(args: argparse.Namespace) -> int:
    _store()
    print("schema and indexes are in place")
    return 0


def cmd_progress_rebuild(args: argparse.Namespace) -> int:
    """Recompute the progress projection from the statements, training by training (idempotent: an interrupted
    run is simply started again).  A counter of statements read goes to stderr, one line per training to stdout."""
    from lrs.progress.service import ProgressService

    store = _store()
    if args.tenant is not None and store.get_tenant(args.tenant) is None:
        raise BadRequestError(f"no tenant {args.tenant!r}")
    tenants = [args.tenant] if args.tenant is not None else [tenant.slug for tenant in store.list_tenants()]
    service = ProgressService(store)
    for tenant in tenants:

        def show(training_id: str, read: int, tenant: str = tenant) -> None:
            print(f"\r{tenant}/{training_id}: {read:,} statements read", end="", file=sys.stderr, flush=True)

        for report in service.rebuild_tenant(tenant, progress=show):
            print(file=sys.stderr)
            state = "rebuilt" if report.replaced else "changed meanwhile, rebuilt by its new definition"
            print(
                f"{tenant}/{report.training}: {state}: {report.statements} statements,"
                f" {report.events} events, {report.rows} participants"
            )

        def show_micro(read: int, tenant: str = tenant) -> None:
            print(f"\r{tenant}/microlearning: {read:,} statements read", end="", file=sys.stderr, flush=True)

        read, stored = service.rebuild_micro(tenant, progress=show_micro)
        print(file=sys.stderr)
        print(f"{tenant}/microlearning: rebuilt: {read} statements, {stored} events")
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
    admin, actor = Admin(store), _cli_actor()
    if store.get_tenant(BOOTSTRAP_TENANT) is None:
        admin.create_tenant(actor, BOOTSTRAP_TENANT, "Default tenant")
    issued = admin.issue_credential(actor, BOOTSTRAP_TENANT, role=CLIENT, scopes=[ALL], label="bootstrap")
    print("A credential for tenant 'default' (Basic auth):")
    _print_credential(issued, as_json=False)


def cmd_serve(args: argparse.Namespace) -> int:
    from gunicorn.app.base import BaseApplication

    from api.app import create_app, start_settler

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
            app = create_app()  # in each worker: every worker opens its own store connection
            start_settler(app)  # refolds the rows ingest marked dirty while the worker is idle
            gc.freeze()  # startup objects live as long as the worker: full collections need not walk them
            return app

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
    rename = tenants.add_parser("rename", help="change a tenant's display name")
    rename.add_argument("slug")
    rename.add_argument("name")
    rename.set_defaults(func=cmd_tenants_rename)
    suspend = tenants.add_parser("suspend", help="refuse every request of the tenant (403) until resumed")
    suspend.add_argument("slug")
    suspend.set_defaults(func=cmd_tenants_suspend)
    resume = tenants.add_parser("resume", help="serve a suspended tenant again")
    resume.add_argument("slug")
    resume.set_defaults(func=cmd_tenants_resume)

    credentials = commands.add_parser("credentials", help="manage credentials").add_subparsers(
        dest="action", required=True
    )
    issue = credentials.add_parser("create", help="issue a credential (the secret is shown once)")
    issue.add_argument("--tenant", help="the tenant (every role but operator)")
    issue.add_argument("--role", choices=ROLES, default=CLIENT, help="default: client (an LMS or a player)")
    issue.add_argument(
        "--scope", action="append", choices=KNOWN_SCOPES, help="repeatable; default: all (client, learner, coordinator)"
    )
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
    whose = listing.add_mutually_exclusive_group(required=True)
    whose.add_argument("--tenant")
    whose.add_argument("--operators", action="store_true", help="list operator credentials")
    listing.set_defaults(func=cmd_credentials_list)
    rotate = credentials.add_parser("rotate", help="new secret (shown once); the old one stops working at once")
    rotate.add_argument("key")
    rotate.add_argument("--json", action="store_true", help="print {key, secret, ...} as JSON")
    rotate.set_defaults(func=cmd_credentials_rotate)
    revoke = credentials.add_parser("revoke", help="revoke for good; it stops working at once")
    revoke.add_argument("key")
    revoke.set_defaults(func=cmd_credentials_revoke)

    operator = commands.add_parser("operator", help="platform operators").add_subparsers(dest="action", required=True)
    bootstrap = operator.add_parser("bootstrap", help="print the first operator credential (once)")
    bootstrap.add_argument("--label", default="first operator")
    bootstrap.add_argument("--json", action="store_true", help="print {key, secret, ...} as JSON")
    bootstrap.set_defaults(func=cmd_operator_bootstrap)

    audit = commands.add_parser("audit", help="the audit log of administrative actions, newest first (JSON lines)")
    audit.add_argument("--tenant")
    audit.add_argument("--actor", help="credential key of the actor, or 'cli'")
    audit.add_argument("--action", help="e.g. tenant.create, credential.revoke")
    audit.add_argument("--since", help="entries strictly after this time (RFC 3339)")
    audit.add_argument("--until", help="entries at or before this time (RFC 3339)")
    audit.add_argument("--limit", type=int, help="default 100, at most 1000")
    audit.set_defaults(func=cmd_audit)

    db = commands.add_parser("db", help="database maintenance").add_subparsers(dest="action", required=True)
    db.add_parser("init", help="create tables, collections and indexes").set_defaults(func=cmd_db_init)

    progress = commands.add_parser("progress", help="training progress").add_subparsers(dest="action", required=True)
    rebuild = progress.add_parser("rebuild", help="recompute every training's progress from the statements")
    rebuild.add_argument("--tenant", help="only this tenant (default: every tenant)")
    rebuild.set_defaults(func=cmd_progress_rebuild)

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
