"""Deterministic, realistic xAPI data for the benchmark: tenants, learners, cmi5 courses and sessions.

Everything is derived from a seed, so a data directory can be seeded in resumable chunks: chunk ``i`` is
always the same statements (same ids), whatever happened before it.  No I/O here.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

SSO_HOMEPAGE = "https://sso.example.go.id"

CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/moveon"
CMI5_SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
CMI5_LAUNCHMODE = "https://w3id.org/xapi/cmi5/context/extensions/launchmode"
CMI5_MOVEON = "https://w3id.org/xapi/cmi5/context/extensions/moveon"
CMI5_MASTERY = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
CMI5_PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
VIDEO_TIME = "https://w3id.org/xapi/video/extensions/time"
VIDEO_LENGTH = "https://w3id.org/xapi/video/extensions/length"
VIDEO_SESSION = "https://w3id.org/xapi/video/extensions/session-id"
VIDEO_PROGRESS = "https://w3id.org/xapi/video/extensions/progress"
VIDEO_SEGMENTS = "https://w3id.org/xapi/video/extensions/played-segments"

VERBS = {
    "launched": "http://adlnet.gov/expapi/verbs/launched",
    "initialized": "http://adlnet.gov/expapi/verbs/initialized",
    "progressed": "http://adlnet.gov/expapi/verbs/progressed",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
    "terminated": "http://adlnet.gov/expapi/verbs/terminated",
    "played": "https://w3id.org/xapi/video/verbs/played",
    "paused": "https://w3id.org/xapi/video/verbs/paused",
    "voided": "http://adlnet.gov/expapi/verbs/voided",
}
# Verbs the benchmark filters on (voided is rare and not a typical report filter).
QUERY_VERBS = ("launched", "initialized", "progressed", "completed", "passed", "failed", "terminated", "played")

COURSE_TYPE = "https://w3id.org/xapi/cmi5/activitytype/course"
BLOCK_TYPE = "https://w3id.org/xapi/cmi5/activitytype/block"
LESSON_TYPE = "http://adlnet.gov/expapi/activities/lesson"
VIDEO_TYPE = "https://w3id.org/xapi/video/activity-type/video"
ASSESSMENT_TYPE = "http://adlnet.gov/expapi/activities/assessment"

# Statement timestamps fall in the year before this instant (fixed, so chunks are reproducible).
REFERENCE = datetime(2026, 1, 1, tzinfo=UTC)

# (slug, display name, share of the statements)
TENANTS: tuple[tuple[str, str, float], ...] = (
    ("kemenkeu", "Kementerian Keuangan (large)", 0.60),
    ("kemendagri", "Kementerian Dalam Negeri", 0.13),
    ("bkn", "Badan Kepegawaian Negara", 0.11),
    ("lan", "Lembaga Administrasi Negara", 0.10),
    ("bpsdm-jabar", "BPSDM Provinsi Jawa Barat", 0.06),
)

_FIRST = [
    "Agus",
    "Budi",
    "Citra",
    "Dewi",
    "Eka",
    "Fajar",
    "Gita",
    "Hadi",
    "Indah",
    "Joko",
    "Kartika",
    "Lestari",
    "Made",
    "Nur",
    "Oki",
    "Putri",
    "Rina",
    "Sari",
    "Tono",
    "Utami",
    "Wahyu",
    "Yuni",
    "Zainal",
    "Ayu",
    "Bambang",
    "Dian",
    "Fitri",
    "Hendra",
    "Intan",
    "Rizky",
]
_LAST = [
    "Santoso",
    "Wijaya",
    "Saputra",
    "Hidayat",
    "Lestari",
    "Pratama",
    "Kusuma",
    "Nugroho",
    "Siregar",
    "Nasution",
    "Simanjuntak",
    "Wibowo",
    "Setiawan",
    "Rahmawati",
    "Hasibuan",
    "Harahap",
    "Gunawan",
    "Susanto",
    "Permana",
    "Kurniawan",
]
_TOPICS = (
    "Etika Aparatur",
    "Manajemen Risiko",
    "Pengadaan Barang dan Jasa",
    "Penganggaran Berbasis Kinerja",
    "Keamanan Informasi",
    "Pelayanan Publik",
    "Kepemimpinan Pengawas",
    "Analisis Kebijakan",
    "Akuntansi Pemerintahan",
    "Tata Naskah Dinas",
    "Literasi Digital",
    "Manajemen ASN",
    "Perencanaan Pembangunan",
    "Audit Internal",
    "Smart ASN",
    "Orientasi CPNS",
)


@dataclass(frozen=True)
class AU:
    id: str
    kind: str  # lesson | video | assessment
    definition: dict[str, Any]


@dataclass(frozen=True)
class Module:
    id: str
    definition: dict[str, Any]
    aus: tuple[AU, ...]


@dataclass(frozen=True)
class Course:
    id: str
    definition: dict[str, Any]
    modules: tuple[Module, ...]


@dataclass(frozen=True)
class TenantWorld:
    slug: str
    name: str
    share: float
    learners: tuple[dict[str, Any], ...]
    active: int  # the first `active` learners take a larger share of the sessions
    courses: tuple[Course, ...]
    admin: dict[str, Any]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _nip(rng: random.Random) -> str:
    """An 18-digit NIP-like number: birth date, appointment month, gender, sequence."""
    birth = datetime(1965, 1, 1) + timedelta(days=rng.randrange(0, 365 * 35))
    appointed = birth.year + rng.randint(22, 32)
    return f"{birth:%Y%m%d}{appointed:04d}{rng.randint(1, 12):02d}{rng.randint(1, 2)}{rng.randint(1, 999):03d}"


def _learner(rng: random.Random, slug: str, index: int) -> dict[str, Any]:
    name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    if rng.random() < 0.85:
        return {"objectType": "Agent", "name": name, "account": {"homePage": SSO_HOMEPAGE, "name": _nip(rng)}}
    local = name.lower().replace(" ", ".")
    return {"objectType": "Agent", "name": name, "mbox": f"mailto:{local}.{index}@{slug}.go.id"}


def _definition(name: str, kind: str, lang_name: str | None = None) -> dict[str, Any]:
    names = {"id-ID": name}
    if lang_name:
        names["en-US"] = lang_name
    return {"name": names, "description": {"id-ID": f"{name} (e-learning)"}, "type": kind}


def _courses(rng: random.Random, slug: str, count: int) -> tuple[Course, ...]:
    courses = []
    for c in range(count):
        topic = f"{_TOPICS[c % len(_TOPICS)]} {c // len(_TOPICS) + 1}"
        base = f"https://lms.{slug}.example.go.id/course/{c + 1:03d}"
        modules = []
        for m in range(rng.randint(2, 4)):
            module_id = f"{base}/block/{m + 1}"
            aus = []
            for a in range(rng.randint(2, 4)):
                kind = rng.choices(("lesson", "video", "assessment"), (0.45, 0.35, 0.20))[0]
                type_iri = {"lesson": LESSON_TYPE, "video": VIDEO_TYPE, "assessment": ASSESSMENT_TYPE}[kind]
                au_name = f"{topic} - Modul {m + 1} - {kind.title()} {a + 1}"
                aus.append(AU(f"{module_id}/au/{a + 1}", kind, _definition(au_name, type_iri)))
            modules.append(Module(module_id, _definition(f"{topic} - Modul {m + 1}", BLOCK_TYPE), tuple(aus)))
        courses.append(Course(base, _definition(topic, COURSE_TYPE, f"Course {c + 1}"), tuple(modules)))
    return tuple(courses)


def build_world(seed: int, total_learners: int) -> tuple[TenantWorld, ...]:
    """The tenants with their learners and course catalogues (pure function of seed and learner count)."""
    worlds = []
    for position, (slug, name, share) in enumerate(TENANTS):
        rng = random.Random(seed * 7919 + position)
        count = max(50, round(total_learners * share))
        learners = tuple(_learner(rng, slug, i) for i in range(count))
        courses = _courses(rng, slug, max(8, round(60 * share)))
        admin = {"objectType": "Agent", "name": f"Admin {slug}", "account": {"homePage": SSO_HOMEPAGE, "name": "admin"}}
        worlds.append(TenantWorld(slug, name, share, learners, max(1, count // 20), courses, admin))
    return tuple(worlds)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT"
    if hours:
        text += f"{hours}H"
    if minutes:
        text += f"{minutes}M"
    return text + f"{secs}S"


def _verb(name: str) -> dict[str, Any]:
    return {"id": VERBS[name], "display": {"en-US": name}}


def _activity(activity_id: str, definition: dict[str, Any] | None = None) -> dict[str, Any]:
    activity: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if definition is not None:
        activity["definition"] = definition
    return activity


class _Session:
    """Builds the statements of one AU session (launch to terminate)."""

    def __init__(
        self,
        rng: random.Random,
        learner: dict[str, Any],
        course: Course,
        module: Module,
        au: AU,
        registration: str,
        start: datetime,
    ) -> None:
        self.rng = rng
        self.learner = learner
        self.course = course
        self.module = module
        self.au = au
        self.registration = registration
        self.session_id = _uuid(rng)
        self.clock = start
        self.first = True  # the first statement about an activity carries its definitions

    def statement(
        self,
        verb: str,
        *,
        result: dict[str, Any] | None = None,
        extensions: dict[str, Any] | None = None,
        moveon: bool = False,
        advance: int = 5,
    ) -> dict[str, Any]:
        self.clock += timedelta(seconds=advance, milliseconds=self.rng.randrange(1000))
        categories = [_activity(CMI5_CATEGORY)]
        if moveon:
            categories.append(_activity(MOVEON_CATEGORY))
        context: dict[str, Any] = {
            "registration": self.registration,
            "contextActivities": {
                "parent": [_activity(self.module.id, self.module.definition if self.first else None)],
                "grouping": [_activity(self.course.id, self.course.definition if self.first else None)],
                "category": categories,
            },
            "platform": "LMS Nasional ASN",
            "language": "id-ID",
            "extensions": {CMI5_SESSION: self.session_id, **(extensions or {})},
        }
        statement: dict[str, Any] = {
            "id": _uuid(self.rng),
            "actor": self.learner,
            "verb": _verb(verb),
            "object": _activity(self.au.id, self.au.definition if self.first else None),
            "context": context,
            "timestamp": _iso(self.clock),
        }
        if result is not None:
            statement["result"] = result
        self.first = False
        return statement

    def run(self) -> list[dict[str, Any]]:
        rng = self.rng
        out = [
            self.statement(
                "launched",
                extensions={CMI5_LAUNCHMODE: "Normal", CMI5_MOVEON: "CompletedOrPassed"},
                advance=0,
            ),
            self.statement("initialized", advance=2),
        ]
        spent = 0
        if self.au.kind == "lesson":
            for step in range(rng.randint(0, 3)):
                gap = rng.randint(60, 600)
                spent += gap
                out.append(
                    self.statement(
                        "progressed",
                        result={"extensions": {CMI5_PROGRESS: min(95, 25 * (step + 1))}},
                        advance=gap,
                    )
                )
        elif self.au.kind == "video":
            length = float(rng.randint(180, 1800))
            position = 0.0
            for _ in range(rng.randint(1, 3)):
                video = {VIDEO_SESSION: self.session_id, VIDEO_LENGTH: length}
                out.append(self.statement("played", result={"extensions": {VIDEO_TIME: position}}, extensions=video))
                watched = float(rng.randint(30, 600))
                start, position = position, min(length, position + watched)
                spent += int(watched)
                out.append(
                    self.statement(
                        "paused",
                        result={
                            "extensions": {
                                VIDEO_TIME: position,
                                VIDEO_PROGRESS: round(position / length, 3),
                                VIDEO_SEGMENTS: f"{start:.3f}[.]{position:.3f}",
                            }
                        },
                        extensions=video,
                        advance=int(watched),
                    )
                )
        else:
            spent = rng.randint(300, 2400)
        if self.au.kind == "assessment":
            raw = rng.randint(35, 100)
            success = raw >= 70
            out.append(
                self.statement(
                    "passed" if success else "failed",
                    result={
                        "score": {"scaled": raw / 100, "raw": raw, "min": 0, "max": 100},
                        "success": success,
                        "duration": _duration(spent),
                    },
                    extensions={CMI5_MASTERY: 0.7},
                    moveon=True,
                    advance=spent,
                )
            )
        elif rng.random() < 0.85:
            out.append(
                self.statement(
                    "completed",
                    result={"completion": True, "duration": _duration(spent)},
                    moveon=True,
                    advance=5,
                )
            )
        if rng.random() < 0.92:  # the rest are abandoned sessions (no terminated)
            out.append(self.statement("terminated", result={"duration": _duration(spent + 10)}, advance=3))
        return out


def _pick_learner(rng: random.Random, world: TenantWorld) -> dict[str, Any]:
    if rng.random() < 0.2:  # a few very active learners
        return world.learners[rng.randrange(world.active)]
    return world.learners[rng.randrange(len(world.learners))]


def enrollment(rng: random.Random, world: TenantWorld) -> list[dict[str, Any]]:
    """One learner's registration in one course: one or more AU sessions, sometimes a voiding."""
    learner = _pick_learner(rng, world)
    course = world.courses[rng.randrange(len(world.courses))]
    registration = _uuid(rng)
    start = REFERENCE - timedelta(days=rng.uniform(1, 365))
    aus = [(module, au) for module in course.modules for au in module.aus]
    statements: list[dict[str, Any]] = []
    for module, au in aus[: rng.randint(1, min(4, len(aus)))]:
        start += timedelta(hours=rng.uniform(0.1, 48))
        session = _Session(rng, learner, course, module, au, registration, start)
        produced = session.run()
        statements.extend(produced)
        if rng.random() < 0.005 and len(produced) > 2:  # an administrator voids a mistaken result
            target = produced[-2]
            statements.append(
                {
                    "id": _uuid(rng),
                    "actor": world.admin,
                    "verb": _verb("voided"),
                    "object": {"objectType": "StatementRef", "id": target["id"]},
                    "timestamp": _iso(session.clock + timedelta(days=1)),
                }
            )
    return statements


def tenant_for_chunk(rng: random.Random, worlds: tuple[TenantWorld, ...]) -> TenantWorld:
    return rng.choices(worlds, [w.share for w in worlds])[0]


def chunk(seed: int, index: int, worlds: tuple[TenantWorld, ...], size: int) -> tuple[str, list[dict[str, Any]]]:
    """Chunk ``index`` of the data set: (tenant slug, about ``size`` statements of whole enrollments)."""
    rng = random.Random(seed * 1_000_003 + index)
    world = tenant_for_chunk(rng, worlds)
    statements: list[dict[str, Any]] = []
    while len(statements) < size:
        statements.extend(enrollment(rng, world))
    return world.slug, statements


def live_statements(rng: random.Random, world: TenantWorld, count: int) -> list[dict[str, Any]]:
    """Statements as an LMS would send them now (for the HTTP ingest test): no voiding, fresh timestamps."""
    out: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    while len(out) < count:
        for statement in enrollment(rng, world):
            if statement["verb"]["id"] != VERBS["voided"]:
                statement["timestamp"] = _iso(now)
                out.append(statement)
    return out[:count]
