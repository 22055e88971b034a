"""Realistic, deterministic (seeded) training data for progress tests and benchmarks.

Two trainings of one tenant and some standalone microlearning, with the verbs a Indonesian government LMS and its
content actually send:

* ``latsar`` (24 JP, passing rule: best scaled score >= 0.7 on the quiz), modules:

  - ``materi`` (material, PDF): ADL ``experienced``, then ``completed`` with a ``result.duration``; no session;
  - ``video`` (video, xAPI Video Profile): ``initialized``, ``played``, ADL ``progressed`` with the cumulative
    watching time as ``result.duration`` and the cmi5 ``progress`` extension, ``completed``, ``terminated``;
    no cmi5 session (the durations nest, so they must not add up);
  - ``kuis`` (assessment, a cmi5 AU): LMS ``launched``, ``initialized``, ``answered`` per question (object: the
    question, ``parent``: the quiz, ``grouping``: the course), ``passed`` or ``failed`` with ``score.scaled``,
    ``terminated`` with the session duration, all with a cmi5 session id; some learners fail and retake it
    in a second session; an interrupted session ends with the LMS's ``abandoned`` instead;
  - ``tugas`` (assignment): Activity Streams ``submit`` (``http://activitystrea.ms/schema/1.0/submit``), which
    the module lists as its completion verb;
  - ``evaluasi`` (evaluation form): ``completed``;
  - ``bacaan`` (optional material): ``completed``;

  and, once a learner has done everything, the LMS's cmi5 ``satisfied`` on the course.
* ``pim`` (2.5 JP, no passing rule, an enrolment list that includes learners who never start): ``video`` and
  ``evaluasi`` as above.
* microlearning: standalone videos (``played`` / ``completed`` with durations) and a standalone cmi5 AU session.
* voiding: about ``void_rate`` of the learners' statements are voided by a later statement of the LMS.

:func:`generate` returns a small data set in arrival order (sorted by timestamp); :func:`iter_statements` streams
a large one learner after learner (for the benchmark: ``learners=1000`` with ``noise_per_learner`` adds
statements about other activities until the total is reached).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lrs.progress.events import SESSION_EXTENSION, ProgressEvent, TrainingIndex, events_for_statement, voided_target
from lrs.progress.training import Training
from lrs.progress.verbs import VERB_IRIS
from validators.training import parse_training

SSO_HOMEPAGE = "https://sso.example.go.id"
LMS = "https://lms.example.go.id"
COURSE_TYPE = "https://w3id.org/xapi/cmi5/activitytype/course"
CMI5_CATEGORY = {"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}
MOVEON_CATEGORY = {"id": "https://w3id.org/xapi/cmi5/context/categories/moveon"}
PROGRESS_EXTENSION = "https://w3id.org/xapi/cmi5/result/extensions/progress"
LMS_AGENT = {"objectType": "Agent", "name": "LMS", "account": {"homePage": LMS, "name": "system"}}
START = datetime(2025, 1, 6, 1, 0, tzinfo=UTC)  # 08:00 WIB
_MOVEON_VERBS = ("completed", "passed", "failed", "waived")


def iri(path: str) -> str:
    return f"{LMS}/{path}"


def sso_agent(number: str, name: str | None = None) -> dict[str, Any]:
    agent: dict[str, Any] = {"objectType": "Agent", "account": {"homePage": SSO_HOMEPAGE, "name": number}}
    if name:
        agent["name"] = name
    return agent


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds, 2), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"PT{hours}H{minutes}M{secs:g}S"


def statement(
    actor: dict[str, Any],
    verb: str,
    object_id: str,
    at: datetime,
    *,
    statement_id: str | None = None,
    result: dict[str, Any] | None = None,
    parent: str | None = None,
    grouping: str | None = None,
    session: str | None = None,
    registration: str | None = None,
    activity_type: str = "http://adlnet.gov/expapi/activities/module",
) -> dict[str, Any]:
    """One xAPI statement; ``verb`` is a token of :data:`lrs.progress.verbs.VERB_IRIS` or a verb IRI."""
    verb_id = VERB_IRIS.get(verb, verb)
    body: dict[str, Any] = {
        "id": statement_id or str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": verb_id, "display": {"en-US": verb_id.rsplit("/", 1)[-1]}},
        "object": {
            "objectType": "Activity",
            "id": object_id,
            "definition": {"name": {"id-ID": object_id.rsplit("/", 1)[-1]}, "type": activity_type},
        },
        "timestamp": iso(at),
    }
    context: dict[str, Any] = {}
    activities: dict[str, Any] = {}
    if parent:
        activities["parent"] = [{"objectType": "Activity", "id": parent}]
    if grouping:
        activities["grouping"] = [{"objectType": "Activity", "id": grouping}]
    if session:
        activities["category"] = [CMI5_CATEGORY]
        if result and verb in _MOVEON_VERBS and ("success" in result or "completion" in result):
            activities["category"].append(MOVEON_CATEGORY)
        context["extensions"] = {SESSION_EXTENSION: session}
    if activities:
        context["contextActivities"] = activities
    if registration:
        context["registration"] = registration
    if context:
        body["context"] = context
    if result:
        body["result"] = result
    return body


def latsar_body(training_id: str = "latsar") -> dict[str, Any]:
    base = f"courses/{training_id}"
    return {
        "title": "Pelatihan Dasar CPNS",
        "course": iri(base),
        "jp": 24,
        "modules": [
            {"id": iri(f"{base}/materi"), "title": "Materi inti", "kind": "material"},
            {"id": iri(f"{base}/video"), "title": "Video pembelajaran", "kind": "video"},
            {"id": iri(f"{base}/kuis"), "title": "Kuis", "kind": "assessment"},
            {
                "id": iri(f"{base}/tugas"),
                "title": "Tugas",
                "kind": "assignment",
                "completion_verbs": [VERB_IRIS["submitted"]],
            },
            {"id": iri(f"{base}/evaluasi"), "title": "Evaluasi penyelenggaraan", "kind": "evaluation"},
            {"id": iri(f"{base}/bacaan"), "title": "Bacaan tambahan", "kind": "material", "required": False},
        ],
        "passing": {"rule": "min_score", "min_scaled": 0.7},
        "period": {"start": "2025-01-06", "end": "2025-03-28"},
        "coordinators": ["199001012015011001", {"mbox": "mailto:pic.latsar@example.go.id", "name": "PIC Latsar"}],
    }


def pim_body(enrolled: list[str | dict[str, Any]], training_id: str = "pim") -> dict[str, Any]:
    base = f"courses/{training_id}"
    return {
        "title": "Pelatihan Kepemimpinan (webinar)",
        "course": iri(base),
        "jp": 2.5,
        "modules": [
            {"id": iri(f"{base}/video"), "title": "Rekaman webinar", "kind": "video"},
            {"id": iri(f"{base}/evaluasi"), "title": "Evaluasi", "kind": "evaluation"},
        ],
        "coordinators": ["198502022010012002"],
        "enrolment": enrolled,
    }


@dataclass
class Dataset:
    trainings: list[Training]
    statements: list[dict[str, Any]]  # arrival order, voiding statements included
    learners: list[dict[str, Any]]
    voided: set[str] = field(default_factory=set)  # ids of voided statements


class _Writer:
    """Statement factory bound to one seeded random source."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def make(self, actor: dict[str, Any], verb: str, object_id: str, at: datetime, **kw: Any) -> dict[str, Any]:
        return statement(actor, verb, object_id, at, statement_id=self.uid(), **kw)

    def minutes(self, low: int, high: int) -> timedelta:
        return timedelta(minutes=self.rng.randint(low, high), seconds=self.rng.randint(0, 59))


def _number(index: int) -> str:
    return f"1995{index:06d}2020011{index % 10}"


def learner_agent(index: int) -> dict[str, Any]:
    """Learner ``index``: an SSO account, except every seventh, who has only an email address."""
    if index % 7:
        return sso_agent(_number(index), f"Peserta {index}")
    return {"objectType": "Agent", "mbox": f"mailto:peserta{index}@example.go.id"}


def _enrolment_entry(index: int) -> str | dict[str, Any]:
    """How a training's enrolment list names learner ``index`` (an SSO number, or the Agent)."""
    return _number(index) if index % 7 else {"mbox": f"mailto:peserta{index}@example.go.id"}


def _latsar(w: _Writer, who: dict[str, Any], course: str, day: datetime, profile: str) -> list[dict[str, Any]]:
    rng = w.rng
    out: list[dict[str, Any]] = []
    base = course
    at = day + w.minutes(0, 120)
    # material
    out.append(w.make(who, "experienced", f"{base}/materi", at, parent=course))
    if profile == "dropout":
        return out
    spent = w.minutes(8, 25)
    at += spent
    out.append(
        w.make(
            who, "completed", f"{base}/materi", at, parent=course, result={"duration": duration(spent.total_seconds())}
        )
    )
    # video (nested cumulative durations, no cmi5 session)
    at += w.minutes(1, 30)
    video = f"{base}/video"
    out.append(
        w.make(
            who,
            "initialized",
            video,
            at,
            parent=course,
            activity_type="https://w3id.org/xapi/video/activity-type/video",
        )
    )
    out.append(w.make(who, "played", video, at + timedelta(seconds=2), parent=course))
    watched = 0.0
    steps = 4 if profile != "partial" else rng.randint(1, 2)
    for step in range(1, steps + 1):
        delta = rng.randint(120, 300)
        watched += delta
        at += timedelta(seconds=delta)
        out.append(
            w.make(
                who,
                "progressed",
                video,
                at,
                parent=course,
                result={"duration": duration(watched), "extensions": {PROGRESS_EXTENSION: step * 25}},
            )
        )
    if profile == "partial":
        return out
    out.append(
        w.make(who, "completed", video, at, parent=course, result={"duration": duration(watched), "completion": True})
    )
    out.append(
        w.make(
            who,
            "terminated",
            video,
            at + timedelta(seconds=1),
            parent=course,
            result={"duration": duration(watched + 3)},
        )
    )
    # quiz: one or two cmi5 sessions
    attempts = {"failer": [0.4], "retaker": [rng.choice([0.5, 0.6]), rng.choice([0.8, 0.9])]}.get(
        profile, [rng.choice([0.7, 0.8, 1.0])]
    )
    quiz = f"{base}/kuis"
    registration = w.uid()
    for number, score in enumerate(attempts):
        at = day + timedelta(days=number + 1) + w.minutes(0, 240)
        session = w.uid()
        ctx = {"grouping": course, "session": session, "registration": registration}
        out.append(w.make(who, "launched", quiz, at, **ctx))
        started = at + timedelta(seconds=5)
        out.append(w.make(who, "initialized", quiz, started, **ctx))
        at = started
        for question in range(1, 6):
            at += timedelta(seconds=rng.randint(30, 120))
            out.append(
                w.make(
                    who,
                    "answered",
                    f"{quiz}/q{question}",
                    at,
                    parent=quiz,
                    grouping=course,
                    session=session,
                    registration=registration,
                    activity_type="http://adlnet.gov/expapi/activities/cmi.interaction",
                    result={"success": rng.random() < score},
                )
            )
        at += timedelta(seconds=10)
        taken = (at - started).total_seconds()
        verdict = "passed" if score >= 0.7 else "failed"
        out.append(
            w.make(
                who,
                verdict,
                quiz,
                at,
                result={"score": {"scaled": score}, "success": verdict == "passed", "duration": duration(taken)},
                **ctx,
            )
        )
        if profile == "abandoner" and number == 0:
            lost = at + timedelta(minutes=30)
            out.append(w.make(who, "abandoned", quiz, lost, result={"duration": duration(taken + 60)}, **ctx))
        else:
            at += timedelta(seconds=3)
            out.append(
                w.make(
                    who, "terminated", quiz, at, result={"duration": duration((at - started).total_seconds())}, **ctx
                )
            )
    if profile == "failer":
        return out
    # assignment, evaluation, optional reading
    at = day + timedelta(days=len(attempts) + 1) + w.minutes(0, 240)
    out.append(w.make(who, "submitted", f"{base}/tugas", at, parent=course))
    if profile == "no_evaluation":
        return out
    at += w.minutes(5, 60)
    spent = w.minutes(3, 8)
    out.append(
        w.make(
            who,
            "completed",
            f"{base}/evaluasi",
            at,
            parent=course,
            result={"duration": duration(spent.total_seconds()), "completion": True},
        )
    )
    if rng.random() < 0.5:
        at += w.minutes(1, 30)
        out.append(w.make(who, "completed", f"{base}/bacaan", at, parent=course, result={"duration": "PT10M"}))
    out.append(
        w.make(
            who,
            "satisfied",
            course,
            at + timedelta(seconds=1),
            session=w.uid(),
            registration=registration,
            activity_type=COURSE_TYPE,
        )
    )
    return out


def _pim(w: _Writer, who: dict[str, Any], course: str, day: datetime, complete: bool) -> list[dict[str, Any]]:
    at = day + timedelta(hours=2) + w.minutes(0, 60)
    video = f"{course}/video"
    length = w.rng.randint(1800, 5400)
    out = [w.make(who, "played", video, at, parent=course)]
    watched = length if complete else length // 3
    out.append(
        w.make(
            who,
            "progressed",
            video,
            at + timedelta(seconds=watched),
            parent=course,
            result={"duration": duration(watched)},
        )
    )
    if complete:
        at += timedelta(seconds=watched + 5)
        out.append(w.make(who, "completed", video, at, parent=course, result={"duration": duration(watched)}))
        out.append(
            w.make(
                who,
                "completed",
                f"{course}/evaluasi",
                at + w.minutes(2, 10),
                parent=course,
                result={"duration": "PT4M"},
            )
        )
    return out


def _micro(w: _Writer, who: dict[str, Any], day: datetime, count: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for index in range(count):
        at = day + timedelta(days=w.rng.randint(0, 200), hours=w.rng.randint(0, 8))
        if index % 3 == 2:  # a standalone cmi5 AU
            au = iri(f"micro/au{w.rng.randint(1, 5)}")
            session = w.uid()
            length = w.rng.randint(300, 1200)
            out.append(w.make(who, "initialized", au, at, session=session))
            out.append(
                w.make(
                    who,
                    "completed",
                    au,
                    at + timedelta(seconds=length - 5),
                    session=session,
                    result={"completion": True, "duration": duration(length - 5)},
                )
            )
            out.append(
                w.make(
                    who,
                    "terminated",
                    au,
                    at + timedelta(seconds=length),
                    session=session,
                    result={"duration": duration(length)},
                )
            )
        else:
            clip = iri(f"micro/video{w.rng.randint(1, 12)}")
            length = w.rng.randint(120, 900)
            out.append(w.make(who, "played", clip, at))
            out.append(
                w.make(
                    who,
                    "completed",
                    clip,
                    at + timedelta(seconds=length),
                    result={"duration": duration(length), "completion": True},
                )
            )
    return out


_PROFILES = (
    "complete",
    "complete",
    "complete",
    "retaker",
    "failer",
    "partial",
    "dropout",
    "no_evaluation",
    "abandoner",
)


def _learner_statements(
    w: _Writer, index: int, latsar_course: str, pim_course: str, pim_enrolled: bool, micro: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    who = learner_agent(index)
    day = START + timedelta(days=w.rng.randint(0, 40))
    out: list[dict[str, Any]] = []
    if index % 10 != 9:  # most learners take latsar
        out += _latsar(w, who, latsar_course, day, w.rng.choice(_PROFILES))
    if pim_enrolled and w.rng.random() < 0.7:
        out += _pim(w, who, pim_course, day + timedelta(days=10), complete=w.rng.random() < 0.6)
    out += _micro(w, who, day, micro)
    return who, out


def generate(seed: int = 5, learners: int = 40, *, micro_per_learner: int = 4, void_rate: float = 0.03) -> Dataset:
    """A small data set in arrival order (by timestamp), with voiding statements after their targets."""
    rng = random.Random(seed)
    w = _Writer(rng)
    enrolled_indexes = [index for index in range(learners) if index % 2 == 0] + [learners, learners + 1]
    latsar = parse_training("latsar", latsar_body(), sso_homepage=SSO_HOMEPAGE)
    pim = parse_training(
        "pim", pim_body([_enrolment_entry(index) for index in enrolled_indexes]), sso_homepage=SSO_HOMEPAGE
    )
    agents: list[dict[str, Any]] = []
    statements: list[dict[str, Any]] = []
    for index in range(learners):
        who, made = _learner_statements(
            w, index, latsar.course, pim.course, index in enrolled_indexes, micro_per_learner
        )
        agents.append(who)
        statements.extend(made)
    statements.sort(key=lambda item: (item["timestamp"], item["id"]))
    voided: set[str] = set()
    arrivals: list[dict[str, Any]] = []
    pending: list[tuple[str, dict[str, Any]]] = []
    for item in statements:
        while pending and pending[0][0] <= item["timestamp"]:
            arrivals.append(pending.pop(0)[1])
        arrivals.append(item)
        if rng.random() < void_rate:
            voided.add(item["id"])
            at = datetime.fromisoformat(item["timestamp"].replace("Z", "+00:00")) + timedelta(hours=rng.randint(1, 72))
            pending.append((iso(at), _voiding(w, item["id"], at)))
            pending.sort(key=lambda entry: entry[0])
    arrivals.extend(entry[1] for entry in pending)
    return Dataset(trainings=[latsar, pim], statements=arrivals, learners=agents, voided=voided)


def live_events(
    statements: list[dict[str, Any]], trainings: list[Training], *, voided: set[str] | frozenset[str] = frozenset()
) -> list[ProgressEvent]:
    """The events of every statement that is neither a voiding statement nor voided (the rebuild path)."""
    index = TrainingIndex(trainings)
    return [
        event
        for body in statements
        if voided_target(body) is None and body["id"] not in voided
        for event in events_for_statement(body, index)
    ]


def _voiding(w: _Writer, target: str, at: datetime) -> dict[str, Any]:
    return {
        "id": w.uid(),
        "actor": LMS_AGENT,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": target},
        "timestamp": iso(at),
    }


def benchmark_trainings(learners: int) -> list[Training]:
    """The trainings :func:`iter_statements` reports on (``pim`` enrols every even learner)."""
    latsar = parse_training("latsar", latsar_body(), sso_homepage=SSO_HOMEPAGE)
    enrolment = [_enrolment_entry(index) for index in range(0, learners, 2)]
    pim = parse_training("pim", pim_body(enrolment), sso_homepage=SSO_HOMEPAGE)
    return [latsar, pim]


def iter_statements(
    seed: int = 5, learners: int = 1000, *, total: int | None = None, micro_per_learner: int = 4
) -> Iterator[dict[str, Any]]:
    """Stream statements learner after learner (no voiding); with ``total``, pad each learner's share with
    standalone noise (``experienced`` on pages of a knowledge base) until about ``total`` statements."""
    rng = random.Random(seed)
    w = _Writer(rng)
    latsar, pim = benchmark_trainings(learners)
    per_learner = (total // learners) if total else 0
    for index in range(learners):
        who, made = _learner_statements(w, index, latsar.course, pim.course, index % 2 == 0, micro_per_learner)
        made.sort(key=lambda item: item["timestamp"])
        yield from made
        day = START + timedelta(days=rng.randint(0, 300))
        for noise in range(max(0, per_learner - len(made))):
            yield w.make(who, "experienced", iri(f"kb/page{rng.randint(1, 5000)}"), day + timedelta(minutes=noise))
