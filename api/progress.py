"""Trainings, progress and learning hours (``/api/v1``): the coordinator API.

The tenant is always the caller's own (from its verified credential); nothing in a request can name another,
except an operator's ``tenant`` on the learning-hours report.  A caller's *identity* is its learner Agent (SSO
learner tokens) or else its credential's agent (``authority``: the SSO account of a coordinator's token, or
``{"account": {"homePage": LRS_AUTHORITY_HOMEPAGE, "name": <key>}}`` for a Basic credential); a training's
``coordinators`` name coordinators by that identity.

===============================  ==========================================================================
caller                           may
===============================  ==========================================================================
tenant_admin                     everything below on its own tenant
client with ``define`` (``all``)  define trainings (LMS sync): PUT, GET, list, DELETE
client with ``statements/read``  read every training, its progress, any learner's rows and the tenant's
(``all``, ``all/read``)          learning hours: it may read every statement these are computed from
coordinator                      list and read the trainings whose ``coordinators`` include it, their
                                 progress, and a learner's rows in those trainings; no learning hours, no
                                 writes.  Another training is 404, like an unknown one
learner                          its own rows (``/learners/progress``) and its own learning hours; another
                                 learner is 403
operator                         learning hours only: consolidated across tenants (one SSO learner counted
                                 once), or one tenant's with ``tenant=``; everything else is 403
===============================  ==========================================================================

Anything else (a client without those scopes) is 403; no or bad credentials are 401.  Writing a training
rebuilds its progress from the tenant's statements before answering, so the rows served are current; statements
(and voiding) update the rows as they are stored.  ``module=IRI`` keeps participants who have **not** completed
that module (combine with ``status`` for a chase list).  Paging: ``limit`` (default 100, at most 1000) and the
opaque ``next`` cursor; ``format=csv`` answers every matching row as a spreadsheet instead (no paging).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Response, request
from flask.views import MethodView

from api.admin_schemas import AdminBlueprint, operation
from api.context import api_principal, lrs
from api.progress_schemas import (
    DEFAULT_PAGE,
    HOURS_COLUMNS,
    ROW_COLUMNS,
    TRAINING_BODY_DOC,
    TRAINING_RESPONSES,
    HoursQuerySchema,
    HoursReportSchema,
    LearnerProgressQuerySchema,
    LearnerProgressSchema,
    ProgressPageSchema,
    ProgressQuerySchema,
    csv_progress_cells,
    csv_response,
    decode_cursor,
    encode_cursor,
    hours_learner_json,
    hours_totals,
    learner_label,
    parse_person,
    person_key_of,
    reject_repeated,
    summary_json,
    training_brief,
    training_outline,
)
from auth.principal import Principal
from auth.roles import CLIENT, COORDINATOR, LEARNER, OPERATOR, TENANT_ADMIN
from auth.scopes import DEFINE, STATEMENTS_READ
from lrs.agents import ifi_key
from lrs.errors import BadRequestError, ForbiddenError, NotFoundError
from lrs.jsontext import dumps as compact_json
from lrs.jsontext import loads
from lrs.progress.hours import HoursReport
from lrs.progress.reports import (
    HoursOptions,
    RowFilter,
    all_rows,
    hours_report,
    learner_rows,
    split_person_key,
    summary_and_views,
)
from lrs.progress.rules import Status
from lrs.progress.service import ProgressService
from lrs.progress.training import Training, training_to_json
from lrs.progress.views import agent_of, known_agents, row_fields
from lrs.timeutil import now_us
from validators.training import parse_training, validate_training_id

progress_blueprint = AdminBlueprint(
    "progress",
    __name__,
    url_prefix="/api/v1",
    description="Trainings, participants' progress and learning hours (JP), for tenant admins, coordinators,"
    " learners, LMS clients and, for consolidated learning hours, operators",
)
blp = progress_blueprint
DAY_US = 86_400_000_000
F = TypeVar("F", bound=Callable[..., Any])


class Caller:
    """What the authenticated caller may see and do (the table in the module docstring)."""

    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.identity = ifi_key(principal.agent or principal.authority)

    @property
    def tenant(self) -> str:
        if self.principal.role == OPERATOR:
            raise ForbiddenError("an operator reads learning hours only; use a credential of the tenant")
        return self.principal.tenant

    def _client_with(self, scope: str) -> bool:
        return self.principal.role == CLIENT and scope in self.principal.scopes

    @property
    def manages(self) -> bool:
        return self.principal.role == TENANT_ADMIN or self._client_with(DEFINE)

    @property
    def reads_all(self) -> bool:
        return self.principal.role == TENANT_ADMIN or self._client_with(STATEMENTS_READ)

    @property
    def coordinator(self) -> bool:
        return self.principal.role == COORDINATOR

    def coordinates(self, training: Training) -> bool:
        return self.coordinator and any(person.key == self.identity for person in training.coordinators)

    def require(self, allowed: bool, what: str) -> None:
        _ = self.tenant  # operators first
        if not allowed:
            raise ForbiddenError(f"this {self.principal.role} credential may not {what}")


def _documented(**doc: Any) -> Callable[[F], F]:
    """OpenAPI for what marshmallow does not describe: the training body (validators.training reads it) and
    the trainings' responses."""
    return cast(Callable[[F], F], blp.doc(**doc))


def _authenticate() -> None:
    """401 before anything else (even a bad query string); then repeated parameters are a 400."""
    api_principal()
    reject_repeated(request.args.items(multi=True))


blp.before_request(_authenticate)


def _caller() -> Caller:
    return Caller(api_principal())


def _service() -> ProgressService:
    context = lrs()
    return ProgressService(context.store, context.statements.trainings)


def _training(caller: Caller, training_id: str, *, progress: bool) -> Training:
    """The training, when the caller may see it (its progress: ``progress``); else 404 like an unknown id."""
    validate_training_id(training_id)
    training = _service().get_training(caller.tenant, training_id)
    if training is None or not (caller.reads_all or caller.coordinates(training) or (caller.manages and not progress)):
        raise NotFoundError(f"no training with id {training_id!r}")
    return training


@blp.route("/trainings")
class Trainings(MethodView):
    @operation(blp, "The trainings the caller may see (a coordinator: those it coordinates)")
    @_documented(responses=TRAINING_RESPONSES["list"])
    def get(self) -> Any:
        caller = _caller()
        caller.require(caller.manages or caller.reads_all or caller.coordinator, "read trainings")
        listed = _service().list_trainings(caller.tenant)
        visible = [t for t in listed if caller.manages or caller.reads_all or caller.coordinates(t)]
        return [_listed(training) for training in visible]


def _listed(training: Training) -> dict[str, Any]:
    """A training in a list: its definition, with the size of its enrolment list instead of the list."""
    body = training_to_json(training)
    enrolment = body.pop("enrolment", None)
    return {**body, "enrolled": None if enrolment is None else len(enrolment)}


@blp.route("/trainings/<training_id>")
class TrainingItem(MethodView):
    @operation(blp, "One training's definition", 400, 404)
    @_documented(responses=TRAINING_RESPONSES["read"])
    def get(self, training_id: str) -> Any:
        caller = _caller()
        caller.require(caller.manages or caller.reads_all or caller.coordinator, "read trainings")
        return training_to_json(_training(caller, training_id, progress=False))

    @operation(blp, "Create (201) or replace (200) a training and rebuild its progress from the statements", 400)
    @_documented(requestBody=TRAINING_BODY_DOC, responses=TRAINING_RESPONSES["put"])
    def put(self, training_id: str) -> Any:
        caller = _caller()
        caller.require(caller.manages, "define trainings (tenant_admin, or a client with define)")
        training = parse_training(training_id, _json_body(), sso_homepage=lrs().settings.sso_homepage)
        service = _service()
        created = service.get_training(caller.tenant, training_id) is None
        report = service.put_training(caller.tenant, training)
        body = {**training_to_json(training), "rebuild": {"statements": report.statements, "participants": report.rows}}
        return body, 201 if created else 200

    @operation(blp, "Delete a training with its progress", 400, 404, status=204)
    @_documented(responses=TRAINING_RESPONSES["delete"])
    def delete(self, training_id: str) -> Any:
        caller = _caller()
        caller.require(caller.manages, "delete trainings (tenant_admin, or a client with define)")
        if not _service().delete_training(caller.tenant, validate_training_id(training_id)):
            raise NotFoundError(f"no training with id {training_id!r}")
        return Response(status=204)


def _json_body() -> Any:
    raw = request.get_data(cache=True)
    if not request.mimetype == "application/json":
        raise BadRequestError("Content-Type must be application/json")
    if not raw:
        raise BadRequestError("the request body is empty; send the training as JSON")
    return loads(raw)


@blp.route("/trainings/<training_id>/progress")
class TrainingProgress(MethodView):
    @operation(
        blp,
        "One row per participant, a summary by status; filters, paging, CSV",
        400,
        404,
        query=ProgressQuerySchema,
        response=ProgressPageSchema(),
    )
    def get(self, query: dict[str, Any], training_id: str) -> Any:
        caller = _caller()
        caller.require(caller.reads_all or caller.coordinator, "read progress")
        training = _training(caller, training_id, progress=True)
        row_filter = _row_filter(training, query)
        service, tenant = _service(), caller.tenant
        if query["format"] == "csv":
            _no_paging(query)
            home, known = lrs().settings.sso_homepage, known_agents([training])
            rows = all_rows(service, tenant, training.id, row_filter)
            cells = (csv_progress_cells(r.learner, row_fields(r, training), known, home) for r in rows)
            return csv_response(ROW_COLUMNS, cells, f"progress-{training.id}.csv")
        limit = query.get("limit", DEFAULT_PAGE)
        summary, page = summary_and_views(
            service, tenant, training, row_filter, after=decode_cursor(query.get("cursor")), limit=limit
        )
        # The documented shape, with each row's stored view joined as it is (no row parsed, rebuilt or encoded).
        head = compact_json({"training": training_outline(training), "summary": summary_json(summary)})
        joined = ",".join(page.views)
        body = f'{head[:-1]},"rows":[{joined}],"next":{compact_json(encode_cursor(page.next_after))}}}'
        return Response(body, mimetype="application/json")


def _row_filter(training: Training, query: dict[str, Any]) -> RowFilter:
    module = query.get("module")
    if module is not None and training.module(module) is None:
        raise BadRequestError(f"query parameter 'module': {module!r} is not a module of this training")
    days = query.get("inactive_days")
    return RowFilter(
        statuses=tuple(Status(value) for value in query.get("status", ())),
        inactive_since_us=None if days is None else now_us() - days * DAY_US,
        not_completed=module,
    )


def _no_paging(query: dict[str, Any]) -> None:
    if "cursor" in query or "limit" in query:
        raise BadRequestError("format=csv answers every matching row: leave out 'cursor' and 'limit'")


@blp.route("/learners/progress")
class LearnerProgress(MethodView):
    @operation(
        blp,
        "Every training of one learner in the tenant (a learner: its own)",
        400,
        query=LearnerProgressQuerySchema,
        response=LearnerProgressSchema(),
    )
    def get(self, query: dict[str, Any]) -> Any:
        caller = _caller()
        caller.require(caller.reads_all or caller.coordinator or caller.principal.role == LEARNER, "read progress")
        key = _learner_key(caller, query.get("agent"))
        service = _service()
        every = caller.reads_all or caller.principal.role == LEARNER
        trainings = [t for t in service.list_trainings(caller.tenant) if every or caller.coordinates(t)]
        found = learner_rows(service, caller.tenant, trainings, key)
        agent = agent_of(key, known_agents(trainings))
        if query["format"] == "csv":
            home = lrs().settings.sso_homepage
            cells = ([t.id, t.title, *csv_progress_cells(key, row_fields(r, t), {key: agent}, home)] for t, r in found)
            return csv_response(("training", "title", *ROW_COLUMNS), cells, "learner-progress.csv")
        rows = [{"training": training_brief(t), **row_fields(r, t)} for t, r in found]
        return {"agent": agent, "trainings": rows}


def _learner_key(caller: Caller, value: str | None) -> str:
    """The learner asked about; a learner may ask only about itself (403 otherwise)."""
    if value is None:
        if caller.principal.role != LEARNER or caller.identity is None:
            raise BadRequestError("query parameter 'agent' is required", errors={"path": "agent"})
        return caller.identity
    key = person_key_of(parse_person(value, sso_homepage=lrs().settings.sso_homepage))
    if caller.principal.role == LEARNER and key != caller.identity:
        raise ForbiddenError("a learner sees only its own progress")
    return key


@blp.route("/learning-hours")
class LearningHours(MethodView):
    @operation(
        blp,
        "JP per learner in a year against the target; an operator's view is consolidated",
        400,
        404,
        query=HoursQuerySchema,
        response=HoursReportSchema(),
    )
    def get(self, query: dict[str, Any]) -> Any:
        caller = _caller()
        tenants, consolidated = _hours_scope(caller, query.get("tenant"))
        settings = lrs().settings
        learner = _hours_learner(caller, query.get("agent"))
        options = HoursOptions(query["year"], settings.jp_target_centi, settings.report_utc_offset_minutes, learner)
        service = _service()
        report = hours_report(service, tenants, options, consolidated=consolidated, sso_homepage=settings.sso_homepage)
        known = {key: agent for t in tenants for key, agent in known_agents(service.list_trainings(t)).items()}
        listed = [row for row in report.learners if query.get("met") is None or row.met == query["met"]]
        if query["format"] == "csv":
            _no_paging(query)
            return _hours_csv(report, listed, consolidated, known, settings.sso_homepage)
        page, next_key = _page(listed, decode_cursor(query.get("cursor")), query.get("limit", DEFAULT_PAGE))
        return {
            **_hours_heading(report, None if consolidated else tenants[0], settings.report_utc_offset_minutes),
            "learners": [hours_learner_json(row, consolidated=consolidated, known=known) for row in page],
            "next": encode_cursor(next_key),
        }


def _hours_heading(report: HoursReport, tenant: str | None, utc_offset_minutes: int) -> dict[str, Any]:
    """What a report is about (tenant None: the consolidated view) and its totals over every learner."""
    return {
        "year": report.year,
        "scope": "tenant" if tenant else "platform",
        "tenant": tenant,
        "target_jp": report.target_centi / 100,
        "utc_offset": _offset_text(utc_offset_minutes),
        "totals": hours_totals(report),
    }


def _hours_scope(caller: Caller, tenant: str | None) -> tuple[list[str], bool]:
    """(tenants, consolidated): an operator's whole platform or one tenant; anyone else its own tenant."""
    if caller.principal.role == OPERATOR:
        if tenant is None:
            return [item.slug for item in lrs().store.list_tenants()], True
        if lrs().store.get_tenant(tenant) is None:
            raise NotFoundError(f"no tenant {tenant!r}")
        return [tenant], False
    caller.require(caller.reads_all or caller.principal.role == LEARNER, "read learning hours")
    if tenant is not None and tenant != caller.tenant:
        raise ForbiddenError("only an operator reads another tenant's learning hours")
    return [caller.tenant], False


def _hours_learner(caller: Caller, value: str | None) -> str | None:
    if caller.principal.role == LEARNER:
        return _learner_key(caller, value)
    return None if value is None else person_key_of(parse_person(value, sso_homepage=lrs().settings.sso_homepage))


def _page(rows: list[Any], after: str | None, limit: int) -> tuple[list[Any], str | None]:
    rest = [row for row in rows if after is None or row.learner > after]
    return rest[:limit], (rest[limit - 1].learner if len(rest) > limit else None)


def _offset_text(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _hours_csv(
    report: HoursReport, listed: list[Any], consolidated: bool, known: dict[str, Any], home: str
) -> Response:
    def cells(row: Any) -> list[Any]:
        item = hours_learner_json(row, consolidated=consolidated, known=known)
        key = split_person_key(row.learner)[1] if consolidated else row.learner
        target = report.target_centi / 100
        return [learner_label(key, home), item["agent"].get("name"), item["tenant"], item["jp"], item["training_jp"],
                item["micro_jp"], item["micro_minutes"], target, item["met"], "; ".join(item["courses"]),
                "; ".join(item["tenants"])]  # fmt: skip

    return csv_response(HOURS_COLUMNS, (cells(row) for row in listed), f"learning-hours-{report.year}.csv")
