"""Timing check (not a test): validate a batch of 100 realistic cmi5-like statements and print the best time.

    .venv/bin/python -m tests.validators.timing_check [repetitions]

Each run validates freshly parsed JSON (new string objects, as a request would bring), so the memo of known
IRIs and language tags helps exactly as much as it does in production.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from typing import Any

from validators.statement import validate_statements

CMI5 = "https://w3id.org/xapi/cmi5"


def cmi5_statement(index: int) -> dict[str, Any]:
    course = "https://example.com/courses/algebra"
    return {
        "id": str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "name": f"Learner {index}",
            "account": {"homePage": "https://lms.example.com", "name": f"user-{index}"},
        },
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": f"{course}/au/{index % 7}",
            "definition": {
                "name": {"en-US": "Algebra unit", "de-DE": "Algebra-Einheit"},
                "description": {"en-US": "An assignable unit"},
                "type": "http://adlnet.gov/expapi/activities/lesson",
                "extensions": {f"{CMI5}/context/extensions/launchmode": "Normal"},
            },
        },
        "result": {
            "score": {"scaled": 0.85, "raw": 85, "min": 0, "max": 100},
            "success": True,
            "completion": True,
            "duration": "PT1H2M3.45S",
            "extensions": {f"{CMI5}/result/extensions/progress": 100},
        },
        "context": {
            "registration": str(uuid.uuid4()),
            "contextActivities": {
                "category": [{"id": f"{CMI5}/context/categories/moveon"}, {"id": f"{CMI5}/context/categories/cmi5"}],
                "grouping": [{"id": course, "objectType": "Activity"}],
                "parent": [{"id": f"{course}/block/1"}],
            },
            "extensions": {
                f"{CMI5}/context/extensions/sessionid": str(uuid.uuid4()),
                f"{CMI5}/context/extensions/masteryscore": 0.8,
            },
            "language": "en-US",
            "platform": "Example LMS",
        },
        "timestamp": "2024-05-01T12:30:00.123Z",
    }


def best_time_ms(body: str, version: str, repetitions: int) -> float:
    best = float("inf")
    for _ in range(repetitions):
        batch = json.loads(body)
        started = time.perf_counter()
        validate_statements(batch, version=version)
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> None:
    repetitions = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    body = json.dumps([cmi5_statement(index) for index in range(100)])
    for version in ("1.0.3", "2.0.0"):
        print(f"{version}: {best_time_ms(body, version, repetitions):.3f} ms per batch of 100 statements (best)")


if __name__ == "__main__":
    main()
