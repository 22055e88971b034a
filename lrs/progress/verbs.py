"""The verbs progress tracking knows by name.

Events store a verb as a short *token*: the name below for a known verb IRI, the IRI itself otherwise.  Tokens of
known verbs contain no ``:``, so they can never collide with an IRI.

Sources: the ADL verbs (``http://adlnet.gov/expapi/verbs/``), the verbs cmi5 defines (section 9.3 of the cmi5
specification: ``abandoned``, ``waived`` and ``satisfied`` live under ``https://w3id.org/xapi/adl/verbs/``), the
xAPI Video Profile (``played``, ``paused``, ``seeked``; it uses the ADL ``initialized``, ``completed`` and
``terminated``) and Activity Streams' ``submit`` for handing in an assignment.
"""

from __future__ import annotations

ADL = "http://adlnet.gov/expapi/verbs/"
ADL_W3ID = "https://w3id.org/xapi/adl/verbs/"
VIDEO = "https://w3id.org/xapi/video/verbs/"

LAUNCHED = "launched"
INITIALIZED = "initialized"
PROGRESSED = "progressed"
COMPLETED = "completed"
PASSED = "passed"
FAILED = "failed"
TERMINATED = "terminated"
ABANDONED = "abandoned"
WAIVED = "waived"
SATISFIED = "satisfied"
EXPERIENCED = "experienced"
ANSWERED = "answered"
ATTEMPTED = "attempted"
SUBMITTED = "submitted"

VERB_IRIS: dict[str, str] = {
    **{
        name: ADL + name
        for name in (
            LAUNCHED, INITIALIZED, PROGRESSED, COMPLETED, PASSED, FAILED, TERMINATED, EXPERIENCED, ANSWERED,
            ATTEMPTED, "attended", "scored", "suspended", "resumed",
        )
    },
    **{name: ADL_W3ID + name for name in (ABANDONED, WAIVED, SATISFIED)},
    **{name: VIDEO + name for name in ("played", "paused", "seeked")},
    SUBMITTED: "http://activitystrea.ms/schema/1.0/submit",
}  # fmt: skip
_TOKENS = {iri: name for name, iri in VERB_IRIS.items()}

# Verbs that close a cmi5 session; their result.duration is the session's length (cmi5 9.5.4).
SESSION_END = frozenset({TERMINATED, ABANDONED})
# What completes a module or the course when the training does not say otherwise (issue 5: completed, passed,
# and cmi5 satisfied).
DEFAULT_COMPLETION = (VERB_IRIS[COMPLETED], VERB_IRIS[PASSED], VERB_IRIS[SATISFIED])


def verb_token(iri: str) -> str:
    """The short name of a known verb IRI, else the IRI unchanged."""
    return _TOKENS.get(iri, iri)


def verb_iri(token: str) -> str:
    """The IRI a token stands for (inverse of :func:`verb_token`)."""
    return VERB_IRIS.get(token, token)
