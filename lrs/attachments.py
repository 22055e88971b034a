"""Attachment content (xAPI Data 2.4.11, Communication 1.5.2): hashes, what statements declare, and the
``multipart/mixed`` transmission format of responses.  Pure functions, no web framework.

Content is identified by its ``sha2`` in lowercase hex; the algorithm follows from the digest's length
(SHA-224, -256, -384 or -512).  Stored content is scoped to one tenant: another tenant declaring the same
hash never reaches it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"
SIGNATURE_CONTENT_TYPE = "application/octet-stream"

_ALGORITHMS: dict[int, Callable[[bytes], Any]] = {
    56: hashlib.sha224,
    64: hashlib.sha256,
    96: hashlib.sha384,
    128: hashlib.sha512,
}


def digest_for(sha2: str, content: bytes) -> str | None:
    """The hex digest of ``content`` with the SHA-2 variant that ``sha2``'s length names (None: no variant)."""
    algorithm = _ALGORITHMS.get(len(sha2))
    return None if algorithm is None else str(algorithm(content).hexdigest())


def content_matches(sha2: str, content: bytes) -> bool:
    return digest_for(sha2, content) == sha2.lower()


@dataclass(frozen=True)
class AttachmentRef:
    """One Attachment object of a statement (or of its SubStatement)."""

    path: str  # e.g. "statements[2].attachments[0]"
    sha2: str  # lowercase
    content_type: str
    usage_type: str
    has_file_url: bool

    @property
    def is_signature(self) -> bool:
        return self.usage_type == SIGNATURE_USAGE


def attachment_refs(statement: Mapping[str, Any], path: str = "statement") -> list[AttachmentRef]:
    """The Attachment objects of a (validated) statement, its SubStatement's included."""
    refs: list[AttachmentRef] = []
    for index, item in enumerate(statement.get("attachments") or ()):
        if isinstance(item, Mapping) and isinstance(item.get("sha2"), str):
            refs.append(
                AttachmentRef(
                    path=f"{path}.attachments[{index}]",
                    sha2=item["sha2"].lower(),
                    content_type=str(item.get("contentType", "")),
                    usage_type=str(item.get("usageType", "")),
                    has_file_url="fileUrl" in item,
                )
            )
    obj = statement.get("object")
    if isinstance(obj, Mapping) and obj.get("objectType") == "SubStatement":
        refs.extend(attachment_refs(obj, f"{path}.object"))
    return refs


def statement_path(index: int, count: int) -> str:
    """How validation errors name a statement: ``statement`` when it came alone, else ``statements[i]``."""
    return "statement" if count == 1 else f"statements[{index}]"


def batch_refs(statements: Sequence[Mapping[str, Any]]) -> list[AttachmentRef]:
    count = len(statements)
    return [ref for i, s in enumerate(statements) for ref in attachment_refs(s, statement_path(i, count))]


def content_types(statements: Iterable[Mapping[str, Any]], *, uploaded_only: bool = False) -> dict[str, str]:
    """Distinct lowercase sha2 → contentType (of its first Attachment object), in order of appearance.

    ``uploaded_only`` keeps only Attachment objects without a ``fileUrl``: the LRS accepted those only with
    their content in the same request, so the statement's sender held the bytes.  One declared with a
    ``fileUrl`` needs no content, so declaring a hash that way proves nothing about holding it.
    """
    found: dict[str, str] = {}
    for statement in statements:
        for ref in attachment_refs(statement):
            if not (uploaded_only and ref.has_file_url):
                found.setdefault(ref.sha2, ref.content_type)
    return found


def multipart_body(first_json: str, parts: Sequence[tuple[str, str, bytes]]) -> tuple[str, bytes]:
    """(Content-Type header, body) of a ``multipart/mixed`` response: the JSON first, then one part per
    ``(sha2, content type, content)`` with ``Content-Transfer-Encoding: binary`` and ``X-Experience-API-Hash``."""
    first = first_json.encode("utf-8")
    while True:  # a boundary that occurs in no part (a 128-bit random one practically always qualifies)
        boundary = secrets.token_hex(16)
        marker = boundary.encode("ascii")
        if marker not in first and all(marker not in content for _, _, content in parts):
            break
    delimiter = b"--" + marker
    chunks = [delimiter, b"\r\nContent-Type: application/json\r\n\r\n", first, b"\r\n"]
    for sha2, content_type, content in parts:
        header = (
            f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {sha2}\r\n"
        )
        chunks += [delimiter, b"\r\n", header.encode("latin-1", "replace"), b"\r\n", content, b"\r\n"]
    chunks += [delimiter, b"--\r\n"]
    return f"multipart/mixed; boundary={boundary}", b"".join(chunks)
