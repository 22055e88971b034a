"""xAPI 1.0.3 scope names and what each one allows."""

from __future__ import annotations

from collections.abc import Iterable

STATEMENTS_WRITE = "statements/write"
STATEMENTS_READ = "statements/read"
STATEMENTS_READ_MINE = "statements/read/mine"
STATE = "state"
DEFINE = "define"
PROFILE = "profile"
ALL_READ = "all/read"
ALL = "all"

KNOWN_SCOPES = (STATEMENTS_WRITE, STATEMENTS_READ_MINE, STATEMENTS_READ, STATE, DEFINE, PROFILE, ALL_READ, ALL)

# What each granted scope implies (a scope always implies itself).
_IMPLIES: dict[str, frozenset[str]] = {
    ALL: frozenset(KNOWN_SCOPES),
    ALL_READ: frozenset({ALL_READ, STATEMENTS_READ, STATEMENTS_READ_MINE}),
    STATEMENTS_READ: frozenset({STATEMENTS_READ, STATEMENTS_READ_MINE}),
}


def unknown_scopes(scopes: Iterable[str]) -> list[str]:
    return [s for s in scopes if s not in KNOWN_SCOPES]


def expand(scopes: Iterable[str]) -> frozenset[str]:
    granted: set[str] = set()
    for scope in scopes:
        granted |= _IMPLIES.get(scope, frozenset({scope}))
    return frozenset(granted)
