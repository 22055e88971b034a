"""One assertion for every rejection: a 400 BadRequestError whose message starts with the offending path."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lrs.errors import BadRequestError


def assert_rejected(call: Callable[[], object], expected_path: str) -> BadRequestError:
    """``call()`` must raise BadRequestError naming exactly ``expected_path``; returns the error."""
    with pytest.raises(BadRequestError) as caught:
        call()
    error = caught.value
    assert error.status == 400
    assert error.errors == {"path": expected_path}, error.message
    assert error.message.startswith(f"{expected_path}: "), error.message
    assert len(error.message) > len(expected_path) + 10, "the message must say what is wrong"
    return error
