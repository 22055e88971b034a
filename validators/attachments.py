"""Attachment objects of a statement's ``attachments`` array (xAPI Data 2.4.11)."""

from __future__ import annotations

from validators.primitives import check_iri, check_language_map, check_media_type, check_sha2
from validators.shape import check_integer, fail, require_keys, require_list, require_object

__all__ = ["validate_attachments"]

_ATTACHMENT_KEYS = frozenset({"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"})
_ATTACHMENT_REQUIRED = ("usageType", "display", "contentType", "length", "sha2")


def validate_attachments(value: object, path: str) -> None:
    """An array of Attachments: usageType IRI, display/description language maps, contentType media type,
    length integer >= 0, sha2 hex digest (always required, even with fileUrl), optional fileUrl IRL."""
    for index, item in enumerate(require_list(value, path)):
        item_path = f"{path}[{index}]"
        attachment = require_object(item, item_path, _ATTACHMENT_KEYS)
        require_keys(attachment, item_path, _ATTACHMENT_REQUIRED)
        check_iri(attachment["usageType"], f"{item_path}.usageType")
        check_language_map(attachment["display"], f"{item_path}.display")
        if "description" in attachment:
            check_language_map(attachment["description"], f"{item_path}.description")
        check_media_type(attachment["contentType"], f"{item_path}.contentType")
        length = check_integer(attachment["length"], f"{item_path}.length")
        if length < 0:
            fail(f"{item_path}.length", f"must not be negative, got {length}")
        check_sha2(attachment["sha2"], f"{item_path}.sha2")
        if "fileUrl" in attachment:
            check_iri(attachment["fileUrl"], f"{item_path}.fileUrl")
