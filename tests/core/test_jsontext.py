from __future__ import annotations

import pytest

from lrs.errors import BadRequestError
from lrs.jsontext import dumps, loads


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b'{"a": 1, "a": 2}', "duplicate key 'a'"),
        (b'{"a": NaN}', "NaN"),
        (b'{"a": Infinity}', "Infinity"),
        (b'{"a": 1e400}', "out of range"),
        (b"[" * 100 + b"]" * 100, "nested deeper"),
        (b'{"a": "\\ud800"}', "surrogate"),
        (b'{"\\udfff": 1}', "surrogate"),
        (b"\xff\xfe{}", "UTF-8"),
        (b'{"a": 1' + b"0" * 5000 + b"}", "not valid JSON"),
        (b"", "not valid JSON"),
    ],
)
def test_rejects(raw: bytes, fragment: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        loads(raw)
    assert fragment in caught.value.message


def test_accepts_and_round_trips_exactly() -> None:
    text = '{"n":2361183241434822606848,"f":0.1234567,"s":"ключ","e":{"$where":{"a.b":null}},"pair":"\\ud83d\\ude00"}'
    value = loads(text.encode())
    assert value["n"] == 2**71
    assert value["pair"] == "😀"
    assert loads(dumps(value).encode()) == value
    assert '"f":0.1234567' in dumps(value)


def test_depth_limit_allows_realistic_nesting() -> None:
    value = loads(b"[" * 60 + b"]" * 60)
    for _ in range(59):
        value = value[0]
    assert value == []
    deep = b'{"a":' * 60 + b"1" + b"}" * 60
    assert loads(deep)["a"]["a"]["a"]


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    text = b'{"a": "' + b"[" * 5000 + b'"}'
    assert loads(text)["a"] == "[" * 5000
