"""Agent identity: one canonical key per Inverse Functional Identifier (IFI)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

IFI_PROPERTIES = ("mbox", "mbox_sha1sum", "openid", "account")


def ifi_key(agent: Mapping[str, Any]) -> str | None:
    """The canonical key of an Agent's or Identified Group's IFI, or None for an Anonymous Group.

    The domain of an ``mbox`` is case-insensitive and ``mbox_sha1sum`` is hex, so both are folded; other
    IFIs compare exactly.
    """
    mbox = agent.get("mbox")
    if isinstance(mbox, str):
        local, sep, domain = mbox.rpartition("@")
        return "mbox:" + (local + sep + domain.lower() if sep else mbox)
    sha1 = agent.get("mbox_sha1sum")
    if isinstance(sha1, str):
        return "mbox_sha1sum:" + sha1.lower()
    openid = agent.get("openid")
    if isinstance(openid, str):
        return "openid:" + openid
    account = agent.get("account")
    if isinstance(account, Mapping):
        return "account:" + json.dumps([account.get("homePage"), account.get("name")], ensure_ascii=False)
    return None


def identity_keys(agent: Mapping[str, Any]) -> Iterator[str]:
    """Keys under which an Agent or Group is found by the ``agent`` filter: its own IFI and, for a Group,
    the IFIs of its listed members (xAPI Communication 2.1.3: Groups whose members match are a match)."""
    own = ifi_key(agent)
    if own is not None:
        yield own
    if agent.get("objectType") == "Group":
        for member in agent.get("member") or ():
            if isinstance(member, Mapping):
                key = ifi_key(member)
                if key is not None:
                    yield key
