"""Test doubles for driver faults."""

from __future__ import annotations

from typing import Any


class Proxy:
    """Delegates to a real (mongomock) collection or client; individual attributes replaced per test."""

    def __init__(self, target: Any, **overrides: Any) -> None:
        self._target = target
        self.__dict__.update(overrides)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


class Down:
    """Anything reached through it raises ``error`` when called (a database that does not answer)."""

    def __init__(self, error: Exception) -> None:
        self._error = error

    def __getitem__(self, name: str) -> Down:
        return self

    def __getattr__(self, name: str) -> Down:
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise self._error
