"""Agents and Groups (xAPI Data 2.4.2): the actor, an Agent/Group object, context instructor and team,
members, the authority, and the ``agent`` parameter of the query and document resources.
"""

from __future__ import annotations

from typing import cast

from validators.primitives import check_iri, check_mbox, check_sha1
from validators.shape import (
    JSONObject,
    check_string,
    fail,
    require_keys,
    require_list,
    require_object,
    wrong_type,
)

__all__ = ["validate_agent", "validate_authority", "validate_group"]

IFI_PROPERTIES = ("mbox", "mbox_sha1sum", "openid", "account")
_IFI_LIST = "mbox, mbox_sha1sum, openid or account"
_AGENT_KEYS = frozenset({"objectType", "name", *IFI_PROPERTIES})
_GROUP_KEYS = frozenset({"objectType", "name", "member", *IFI_PROPERTIES})
_ACCOUNT_KEYS = frozenset({"homePage", "name"})
_ACCOUNT_REQUIRED = ("homePage", "name")


def _object_type(obj: JSONObject, path: str) -> object:
    """The value of ``objectType`` when present (checked to be a string), else None."""
    kind = obj.get("objectType")
    if kind is None and "objectType" in obj:
        fail(f"{path}.objectType", "must not be null")
    if kind is not None and type(kind) is not str:
        wrong_type(f"{path}.objectType", kind, "a string")
    return kind


def _check_ifis(obj: JSONObject, path: str) -> int:
    """Validate every Inverse Functional Identifier present and return how many there are."""
    count = 0
    if "mbox" in obj:
        check_mbox(obj["mbox"], f"{path}.mbox")
        count += 1
    if "mbox_sha1sum" in obj:
        check_sha1(obj["mbox_sha1sum"], f"{path}.mbox_sha1sum")
        count += 1
    if "openid" in obj:
        check_iri(obj["openid"], f"{path}.openid")
        count += 1
    if "account" in obj:
        account_path = f"{path}.account"
        account = require_object(obj["account"], account_path, _ACCOUNT_KEYS)
        require_keys(account, account_path, _ACCOUNT_REQUIRED)
        check_iri(account["homePage"], f"{account_path}.homePage")
        check_string(account["name"], f"{account_path}.name")
        count += 1
    if count > 1:
        present = ", ".join(key for key in IFI_PROPERTIES if key in obj)
        fail(path, f"must have only one inverse functional identifier, found {present}")
    return count


def _agent_body(obj: JSONObject, path: str) -> None:
    """An Agent (objectType already checked): name string and exactly one IFI."""
    require_object(obj, path, _AGENT_KEYS)
    if "name" in obj:
        check_string(obj["name"], f"{path}.name")
    if _check_ifis(obj, path) == 0:
        fail(path, f"an Agent must have exactly one inverse functional identifier ({_IFI_LIST})")


def _group_body(obj: JSONObject, path: str) -> None:
    """A Group (objectType already "Group"): at most one IFI; an Anonymous Group lists at least one member."""
    require_object(obj, path, _GROUP_KEYS)
    if "name" in obj:
        check_string(obj["name"], f"{path}.name")
    identified = _check_ifis(obj, path) == 1
    if "member" not in obj:
        if not identified:
            fail(f"{path}.member", f"is required for an Anonymous Group (a Group without {_IFI_LIST})")
        return
    members = require_list(obj["member"], f"{path}.member")
    if not members and not identified:
        fail(f"{path}.member", "must list at least one Agent in an Anonymous Group")
    for index, member in enumerate(members):
        member_path = f"{path}.member[{index}]"
        if type(member) is not dict:
            wrong_type(member_path, member, "an Agent object")
        kind = _object_type(member, member_path)
        if kind == "Group":
            fail(f"{member_path}.objectType", "a Group must not contain Groups (members must be Agents)")
        if kind is not None and kind != "Agent":
            fail(f"{member_path}.objectType", f"must be 'Agent', got {kind!r}")
        _agent_body(member, member_path)


def validate_agent(value: object, path: str, *, version: str = "1.0.3", allow_group: bool = True) -> None:
    """An Agent, or (when ``allow_group``) a Group, whose ``objectType`` may be omitted for an Agent.

    Agents and Identified Groups have exactly one IFI (mbox, mbox_sha1sum, openid, account); an Anonymous
    Group lists its ``member`` Agents; Groups never contain Groups.  ``version`` is the rule set ("1.0.3" or
    "2.0.0"); Agent rules do not differ between them.
    """
    del version  # same rules in 1.0.3 and 2.0.0
    if type(value) is not dict:
        wrong_type(path, value, "an Agent object" if not allow_group else "an Agent or Group object")
    kind = _object_type(value, path)
    if kind is None or kind == "Agent":
        _agent_body(value, path)
    elif kind == "Group" and allow_group:
        _group_body(value, path)
    else:
        expected = "'Agent' or 'Group'" if allow_group else "'Agent'"
        fail(f"{path}.objectType", f"must be {expected} (case-sensitive), got {kind!r}")


def validate_group(value: object, path: str, *, version: str = "1.0.3") -> None:
    """A Group, Anonymous or Identified; ``objectType`` "Group" is required (e.g. ``context.team``)."""
    del version
    if type(value) is not dict:
        wrong_type(path, value, "a Group object")
    kind = _object_type(value, path)
    if kind != "Group":
        fail(f"{path}.objectType", f"must be 'Group', got {kind!r}" if kind is not None else "is required ('Group')")
    _group_body(value, path)


def validate_authority(value: object, path: str, *, version: str = "1.0.3") -> None:
    """The ``authority``: an Agent, or for 3-legged OAuth an Anonymous Group of exactly two Agents (Data 2.4.9)."""
    validate_agent(value, path, version=version)
    authority = cast(JSONObject, value)  # validate_agent accepted it, so it is an Agent or Group object
    if authority.get("objectType") == "Group":
        present = [key for key in IFI_PROPERTIES if key in authority]
        if present:
            fail(
                f"{path}.{present[0]}",
                "an authority Group must be an Anonymous Group (OAuth application and user), not an Identified Group",
            )
        members = authority["member"]
        if len(members) != 2:
            fail(f"{path}.member", f"an authority Group must have exactly two Agents, found {len(members)}")
