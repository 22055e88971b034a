"""Progress API: query schemas, the JSON and CSV representations of rows and reports, and the documented shapes.

Query strings are validated by the admin API's strict parser (400 in the one error shape, unknown parameters
rejected).  CSV answers are ``text/csv; charset=utf-8`` with a header row; a text cell that a spreadsheet would
read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with ``'``.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import marshmallow as ma
from flask import Response
from marshmallow import fields, validate
from webargs.fields import DelimitedList

from lrs.agents import ifi_key
from lrs.errors import BadRequestError
from lrs.jsontext import loads
from lrs.progress.hours import HoursReport, LearnerHours, jp
from lrs.progress.reports import split_person_key
from lrs.progress.rules import Status, TrainingSummary
from lrs.progress.training import Training
from lrs.progress.views import agent_from_key, agent_of
from validators.agents import validate_agent

MAX_PAGE = 1000
DEFAULT_PAGE = 100
_FORMATS = ("json", "csv")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# queries ---------------------------------------------------------------------------------------------------
class _Paged(ma.Schema):
    cursor = fields.String(metadata={"description": "the `next` value of the previous page"})
    limit = fields.Integer(
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": f"rows per page (default {DEFAULT_PAGE}, at most {MAX_PAGE}; JSON only)"},
    )
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(_FORMATS),
        metadata={"description": "json (default) or csv (every matching row, no paging)"},
    )


class ProgressQuerySchema(_Paged):
    status = DelimitedList(
        fields.String(validate=validate.OneOf([status.value for status in Status])),
        metadata={"description": "comma-separated statuses to keep"},
    )
    inactive_days = fields.Integer(
        validate=validate.Range(min=0, max=36_500),
        metadata={"description": "participants with no activity in the last N days (never active included)"},
    )
    module = fields.String(metadata={"description": "module IRI: participants who have not completed it"})


class LearnerProgressQuerySchema(ma.Schema):
    agent = fields.String(
        metadata={"description": "the learner: an xAPI Agent (JSON) or a civil-servant number (default: yourself)"}
    )
    format = fields.String(load_default="json", validate=validate.OneOf(_FORMATS))


class HoursQuerySchema(_Paged):
    year = fields.Integer(required=True, validate=validate.Range(min=1970, max=9999))
    agent = fields.String(metadata={"description": "only this learner (Agent JSON or civil-servant number)"})
    met = fields.Boolean(
        truthy={"true"}, falsy={"false"}, metadata={"description": "true / false: only learners who met / missed"}
    )
    tenant = fields.String(metadata={"description": "operators: one tenant's report instead of the consolidated one"})


def reject_repeated(args: Iterable[tuple[str, str]]) -> None:
    """400 when a query parameter is given more than once (the parser would silently take one)."""
    seen: set[str] = set()
    for name, _ in args:
        if name in seen:
            raise BadRequestError(f"query parameter '{name}' is given more than once", errors={"path": name})
        seen.add(name)


def parse_person(value: str, *, sso_homepage: str) -> dict[str, Any]:
    """The ``agent`` parameter: an xAPI Agent as JSON, or a civil-servant number (an SSO account)."""
    if value.lstrip().startswith("{"):
        agent = loads(value, what="query parameter 'agent'")
        validate_agent(agent, "agent", allow_group=False)
        if not isinstance(agent, dict):  # validate_agent already refuses anything else
            raise BadRequestError("query parameter 'agent' must be a JSON object", errors={"path": "agent"})
        return agent
    if not value.strip():
        raise BadRequestError("query parameter 'agent' must not be empty", errors={"path": "agent"})
    return {"objectType": "Agent", "account": {"homePage": sso_homepage, "name": value}}


def person_key_of(agent: Mapping[str, Any]) -> str:
    key = ifi_key(agent)
    if key is None:  # pragma: no cover - callers pass validated Agents, which have one IFI
        raise BadRequestError("the agent has no identifier", errors={"path": "agent"})
    return key


def encode_cursor(key: str | None) -> str | None:
    return None if key is None else base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        key = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        key = ""
    if not key:
        raise BadRequestError("query parameter 'cursor' is not a cursor this API issued", errors={"path": "cursor"})
    return key


# representations -----------------------------------------------------------------------------------------
def training_brief(training: Training) -> dict[str, Any]:
    return {"id": training.id, "title": training.title, "course": training.course, "jp": jp(training.centi_jp)}


def training_outline(training: Training) -> dict[str, Any]:
    modules = [
        {"id": module.id, "title": module.title, "kind": module.kind.value, "required": module.required}
        for module in training.modules
    ]
    return {**training_brief(training), "modules": modules}


def summary_json(summary: TrainingSummary) -> dict[str, Any]:
    return {
        "participants": summary.participants,
        "by_status": {status.value: count for status, count in summary.by_status.items()},
        "average_percent": summary.average_percent,
        "total_time_spent_s": summary.total_time_spent_s,
    }


def learner_label(key: str, sso_homepage: str) -> str:
    """A learner's identifier for a spreadsheet: the civil-servant number of an SSO account, else the IFI key."""
    agent = agent_from_key(key)
    account = agent.get("account")
    if isinstance(account, dict) and account.get("homePage") == sso_homepage:
        return str(account["name"])
    return key


def hours_learner_json(row: LearnerHours, *, consolidated: bool, known: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    tenant, key = split_person_key(row.learner) if consolidated else (None, row.learner)
    return {
        "agent": agent_of(key, known),
        "tenant": tenant,
        "jp": jp(row.total_centi),
        "training_jp": jp(row.training_centi),
        "micro_jp": jp(row.micro_centi),
        "micro_minutes": row.micro_seconds // 60,
        "courses": list(row.courses),
        "tenants": list(row.tenants),
        "met": row.met,
    }


def hours_totals(report: HoursReport) -> dict[str, Any]:
    return {
        "learners": len(report.learners),
        "met": report.met_count,
        "not_met": len(report.learners) - report.met_count,
        "jp": jp(report.total_centi),
        "training_jp": jp(report.training_centi),
        "micro_jp": jp(report.micro_centi),
    }


# CSV ---------------------------------------------------------------------------------------------------------
ROW_COLUMNS = (
    "learner",
    "name",
    "status",
    "percent",
    "modules_completed",
    "modules_required",
    "best_score",
    "outcome",
    "time_spent",
    "time_spent_s",
    "first_activity",
    "last_activity",
    "achieved",
    "missing",
)
HOURS_COLUMNS = (
    "learner",
    "name",
    "tenant",
    "jp",
    "training_jp",
    "micro_jp",
    "micro_minutes",
    "target_jp",
    "met",
    "courses",
    "tenants",
)


def safe_cell(value: object) -> object:
    """A cell value safe to open in a spreadsheet: text that could start a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def csv_progress_cells(
    key: str, fields_: Mapping[str, Any], known: Mapping[str, dict[str, Any]], homepage: str
) -> list[Any]:
    """One spreadsheet row (ROW_COLUMNS) from a row's JSON fields."""
    return [
        learner_label(key, homepage),
        agent_of(key, known).get("name"),
        fields_["status"],
        fields_["percent"],
        fields_["modules_completed"],
        fields_["modules_required"],
        fields_["best_score"],
        fields_["outcome"],
        clock(fields_["time_spent_s"]),
        fields_["time_spent_s"],
        fields_["first_activity"],
        fields_["last_activity"],
        fields_["achieved"],
        "; ".join(item["title"] for item in fields_["missing"]),
    ]


def csv_response(header: Sequence[str], rows: Iterable[Sequence[Any]], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# documented response shapes --------------------------------------------------------------------------------
class ModuleRefSchema(ma.Schema):
    id = fields.String()
    title = fields.String()


class TrainingBriefSchema(ma.Schema):
    id = fields.String()
    title = fields.String()
    course = fields.String(metadata={"description": "course activity IRI"})
    jp = fields.Float()


class ModuleOutlineSchema(ModuleRefSchema):
    kind = fields.String()
    required = fields.Boolean()


class TrainingOutlineSchema(TrainingBriefSchema):
    modules = fields.List(fields.Nested(ModuleOutlineSchema))


class SummarySchema(ma.Schema):
    participants = fields.Integer()
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "every status"})
    average_percent = fields.Integer()
    total_time_spent_s = fields.Integer()


class RowFieldsSchema(ma.Schema):
    status = fields.String(metadata={"description": "not_started, in_progress, completed, passed or failed"})
    percent = fields.Integer()
    modules_completed = fields.Integer(metadata={"description": "required modules completed"})
    modules_required = fields.Integer()
    best_score = fields.Float(allow_none=True, metadata={"description": "best scaled score"})
    outcome = fields.String(allow_none=True, metadata={"description": "passing rule: passed, failed or null"})
    time_spent_s = fields.Integer()
    first_activity = fields.String(allow_none=True)
    last_activity = fields.String(allow_none=True)
    achieved = fields.String(allow_none=True, metadata={"description": "when it became completed or passed"})
    missing = fields.List(fields.Nested(ModuleRefSchema), metadata={"description": "required modules not done"})
    done = fields.List(fields.String(), metadata={"description": "module IRIs completed"})
    statements = fields.Integer()


class _AgentSchema(ma.Schema):
    agent = fields.Dict(metadata={"description": "the learner (xAPI Agent)"})


class ProgressRowSchema(RowFieldsSchema, _AgentSchema):  # fields of the last base come first
    pass


class ProgressPageSchema(ma.Schema):
    training = fields.Nested(TrainingOutlineSchema)
    summary = fields.Nested(SummarySchema, metadata={"description": "over every participant (filters ignored)"})
    rows = fields.List(fields.Nested(ProgressRowSchema))
    next = fields.String(allow_none=True, metadata={"description": "cursor of the next page; null on the last"})


class _TrainingRefSchema(ma.Schema):
    training = fields.Nested(TrainingBriefSchema)


class LearnerTrainingSchema(RowFieldsSchema, _TrainingRefSchema):
    pass


class LearnerProgressSchema(ma.Schema):
    agent = fields.Dict()
    trainings = fields.List(fields.Nested(LearnerTrainingSchema))


class HoursLearnerSchema(ma.Schema):
    agent = fields.Dict()
    tenant = fields.String(allow_none=True, metadata={"description": "consolidated view, non-SSO identities"})
    jp = fields.Float()
    training_jp = fields.Float()
    micro_jp = fields.Float()
    micro_minutes = fields.Integer()
    courses = fields.List(fields.String())
    tenants = fields.List(fields.String())
    met = fields.Boolean()


class HoursTotalsSchema(ma.Schema):
    learners = fields.Integer()
    met = fields.Integer()
    not_met = fields.Integer()
    jp = fields.Float()
    training_jp = fields.Float()
    micro_jp = fields.Float()


class HoursReportSchema(ma.Schema):
    year = fields.Integer()
    scope = fields.String(metadata={"description": "tenant or platform (consolidated across tenants)"})
    tenant = fields.String(allow_none=True)
    target_jp = fields.Float()
    utc_offset = fields.String()
    totals = fields.Nested(HoursTotalsSchema, metadata={"description": "over the whole report (`met` ignored)"})
    learners = fields.List(fields.Nested(HoursLearnerSchema))
    next = fields.String(allow_none=True)


TRAINING_BODY_DOC: dict[str, Any] = {
    "required": True,
    "description": "A training definition (validators/training.py; unknown properties are a 400). People are"
    " xAPI Agents or civil-servant numbers (SSO accounts).",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["title", "course", "jp", "modules"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "description": "optional; must equal the id in the path"},
                    "title": {"type": "string"},
                    "course": {"type": "string", "format": "iri"},
                    "jp": {"type": "number", "description": "JP credited on completion, at most two decimals"},
                    "modules": {"type": "array", "items": {"type": "object"}},
                    "completion_verbs": {"type": "array", "items": {"type": "string"}},
                    "passing": {"type": "object", "description": "min_score (min_scaled, modules) or course_result"},
                    "period": {
                        "type": "object",
                        "properties": {"start": {"type": "string"}, "end": {"type": "string"}},
                    },
                    "coordinators": {"type": "array", "items": {}},
                    "enrolment": {"type": "array", "items": {}},
                },
            }
        }
    },
}


def _json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_TRAINING = {"type": "object", "description": "a training definition, as PUT (people as Agents)"}
_REBUILT = {
    "type": "object",
    "description": "the definition and what its rebuild read: rebuild {statements, participants}",
}
TRAINING_RESPONSES: dict[str, dict[str, Any]] = {
    "list": {
        "200": _json_response(
            "definitions; `enrolled` is the enrolment list's size", {"type": "array", "items": _TRAINING}
        )
    },
    "read": {"200": _json_response("the definition", _TRAINING)},
    "put": {"200": _json_response("replaced", _REBUILT), "201": _json_response("created", _REBUILT)},
    "delete": {"204": {"description": "deleted with its progress rows"}},
}
