from __future__ import annotations

import pytest

from lrs.cursor import Cursor, CursorCodec
from lrs.errors import BadRequestError
from lrs.statement_fields import ACTIVITY, AGENT, RELATED_ACTIVITY, RELATED_AGENT, VERB
from lrs.statement_query import NoMatch, StatementFilter, to_storage_query


def test_cursor_round_trip_and_tamper_detection() -> None:
    codec = CursorCodec(b"k" * 32)
    flt = StatementFilter(verb="http://ex.gov/v", agent={"mbox": "mailto:a@b.gov"}, limit=5)
    token = codec.encode(Cursor("tenant-a", flt, "42", 1000))
    decoded = codec.decode(token, tenant="tenant-a")
    assert decoded == Cursor("tenant-a", flt, "42", 1000)
    with pytest.raises(BadRequestError):
        codec.decode(token, tenant="tenant-b")
    with pytest.raises(BadRequestError):
        CursorCodec(b"x" * 32).decode(token, tenant="tenant-a")
    payload, signature = token.split(".")
    with pytest.raises(BadRequestError):
        codec.decode(payload + "A." + signature, tenant="tenant-a")
    with pytest.raises(BadRequestError):
        codec.decode("nodot", tenant="tenant-a")


@pytest.mark.parametrize(
    ("flt", "keys"),
    [
        (StatementFilter(), ()),
        (StatementFilter(verb="http://v"), (VERB + "http://v",)),
        (StatementFilter(activity="http://a"), (ACTIVITY + "http://a",)),
        (StatementFilter(activity="http://a", related_activities=True), (RELATED_ACTIVITY + "http://a",)),
        (StatementFilter(agent={"mbox": "mailto:A@B.gov"}), (AGENT + "mbox:mailto:A@b.gov",)),
        (StatementFilter(agent={"mbox_sha1sum": "ABC"}, related_agents=True), (RELATED_AGENT + "mbox_sha1sum:abc",)),
        (
            StatementFilter(registration="ABCDEF00-0000-4000-8000-000000000000"),
            ("registration|abcdef00-0000-4000-8000-000000000000",),
        ),
    ],
)
def test_filter_to_keys(flt: StatementFilter, keys: tuple[str, ...]) -> None:
    assert to_storage_query(flt, limit=10).keys == keys


def test_snapshot_caps_until() -> None:
    assert to_storage_query(StatementFilter(), limit=1, snapshot_us=5).until_us == 5
    assert to_storage_query(StatementFilter(until_us=3), limit=1, snapshot_us=5).until_us == 3


def test_anonymous_group_matches_nothing() -> None:
    with pytest.raises(NoMatch):
        to_storage_query(StatementFilter(agent={"objectType": "Group", "member": [{"mbox": "mailto:a@b"}]}), limit=1)
