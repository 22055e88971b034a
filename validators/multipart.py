"""Statement requests in ``multipart/mixed`` (xAPI Communication 1.5.2, RFC 2046): a strict, bounded parser.

Pure functions over bytes, no web framework.  The body is already bounded by the request size limit; parts
are produced one at a time and the caller stops reading after as many attachment parts as the statements
declare Attachment objects, so a body of many tiny parts costs no more than one pass over it.

What is rejected (400 unless said otherwise), each with a message naming the problem:

* a Content-Type without a valid ``boundary`` parameter; a body without the boundary, or not closed by
  ``--boundary--``; lines not ended by CRLF in part headers; malformed or oversized part headers;
* a first part that is not ``application/json`` (it holds the statements);
* an attachment part without ``X-Experience-API-Hash``, or whose ``Content-Transfer-Encoding`` is not
  ``binary`` (absent counts as missing), or whose content does not hash to its ``X-Experience-API-Hash``;
* an attachment part larger than the attachment limit: 413;
* a part whose hash no Attachment object of the request declares (XAPI-00128), and more parts than the
  request declares Attachment objects;
* an Attachment object without ``fileUrl`` whose content is not among the parts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from typing import Any

from lrs.attachments import batch_refs, digest_for
from lrs.errors import BadRequestError, PayloadTooLargeError

__all__ = ["Part", "collect_attachments", "open_upload", "parse_boundary", "split_parts"]

MAX_HEADER_BYTES = 8192  # header section of one part
MAX_HEADER_LINES = 32
_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")  # RFC 2046 bchars
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEX = re.compile(r"[0-9a-fA-F]+")
_CRLF = b"\r\n"


@dataclass(frozen=True)
class Part:
    headers: Mapping[str, str]  # lowercase names; the last occurrence wins
    content: bytes

    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def parse_boundary(content_type: str | None) -> str:
    """The ``boundary`` parameter of a ``multipart/mixed`` Content-Type header."""
    message = Message()
    message["Content-Type"] = content_type or ""
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise BadRequestError("Content-Type multipart/mixed needs a boundary parameter (RFC 2046)")
    if not _BOUNDARY.fullmatch(boundary):
        raise BadRequestError("the multipart boundary must be 1 to 70 RFC 2046 boundary characters")
    return boundary


def _headers(raw: bytes, index: int) -> dict[str, str]:
    if len(raw) > MAX_HEADER_BYTES:
        raise BadRequestError(f"multipart part {index}: the part headers are longer than {MAX_HEADER_BYTES} bytes")
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise BadRequestError(f"multipart part {index}: part headers must be ASCII") from exc
    lines = text.split("\r\n") if text else []
    if len(lines) > MAX_HEADER_LINES:
        raise BadRequestError(f"multipart part {index}: more than {MAX_HEADER_LINES} header lines")
    headers: dict[str, str] = {}
    last = ""
    for line in lines:
        if "\n" in line or "\r" in line:
            raise BadRequestError(f"multipart part {index}: header lines must end with CRLF")
        if line[:1] in (" ", "\t") and last:  # folded continuation of the previous header
            headers[last] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        if not colon or not _HEADER_NAME.fullmatch(name):
            raise BadRequestError(f"multipart part {index}: malformed header line {line[:40]!r}")
        last = name.lower()
        headers[last] = value.strip()
    return headers


def split_parts(body: bytes, boundary: str) -> Iterator[Part]:
    """The body parts of a multipart body, one at a time (the preamble and epilogue are ignored)."""
    delimiter = b"--" + boundary.encode("ascii")
    if body.startswith(delimiter):
        position = len(delimiter)
    else:
        found = body.find(_CRLF + delimiter)
        if found < 0:
            raise BadRequestError("the multipart body does not contain its boundary")
        position = found + 2 + len(delimiter)
    index = 0
    while True:
        if body.startswith(b"--", position):
            return  # close delimiter; what follows is the epilogue
        line_end = body.find(_CRLF, position)
        if line_end < 0 or body[position:line_end].strip(b" \t"):
            raise BadRequestError("a multipart boundary must be followed by CRLF or '--'")
        start = line_end + 2
        end = body.find(_CRLF + delimiter, start - 2)
        if end < 0:
            raise BadRequestError("the multipart body is not closed by '--' + boundary + '--'")
        if end < start:  # an empty part: no headers, no content
            head, content = b"", b""
        elif body.startswith(_CRLF, start):
            head, content = b"", body[start + 2 : end]
        else:
            split = body.find(_CRLF + _CRLF, start, end + 2)
            if split < 0:
                raise BadRequestError(f"multipart part {index}: headers are not followed by an empty line")
            head, content = body[start:split], body[split + 4 : end]
        yield Part(_headers(head, index), content)
        index += 1
        position = end + 2 + len(delimiter)


def open_upload(content_type: str | None, body: bytes) -> tuple[bytes, Iterator[Part]]:
    """The statements (the first part, ``application/json``) and the remaining parts, read lazily."""
    parts = split_parts(body, parse_boundary(content_type))
    first = next(parts, None)
    if first is None:
        raise BadRequestError("the multipart body has no part; the first part must hold the statements")
    if first.media_type() != "application/json":
        found = first.media_type() or "no Content-Type"
        raise BadRequestError(f"the first multipart part must be application/json (the statements), not {found}")
    return first.content, parts


def _attachment_part(part: Part, index: int, max_bytes: int) -> tuple[str, bytes]:
    declared = part.headers.get("x-experience-api-hash")
    if not declared:
        raise BadRequestError(f"multipart part {index}: the X-Experience-API-Hash header is missing")
    encoding = part.headers.get("content-transfer-encoding")
    if encoding is None or encoding.lower() != "binary":
        found = "missing" if encoding is None else repr(encoding[:20])
        raise BadRequestError(f"multipart part {index}: Content-Transfer-Encoding must be binary ({found})")
    if len(part.content) > max_bytes:
        raise PayloadTooLargeError(f"multipart part {index}: the attachment is larger than {max_bytes} bytes")
    actual = digest_for(declared, part.content) if _HEX.fullmatch(declared) else None
    if actual is None:
        raise BadRequestError(f"multipart part {index}: X-Experience-API-Hash must be a hex SHA-2 digest")
    if actual != declared.lower():
        raise BadRequestError(f"multipart part {index}: the content does not match its X-Experience-API-Hash")
    return declared.lower(), part.content


def collect_attachments(
    statements: Sequence[Mapping[str, Any]], parts: Iterator[Part], *, max_attachment_bytes: int
) -> dict[str, bytes]:
    """Check the attachment parts against the statements' Attachment objects; lowercase sha2 → content.

    Every part must carry the content of a declared Attachment object, and every Attachment object without
    ``fileUrl`` must have its content among the parts (Communication 1.5.2.s3.b5).
    """
    refs = batch_refs(statements)
    declared = {ref.sha2 for ref in refs}
    contents: dict[str, bytes] = {}
    for index, part in enumerate(parts, start=1):
        if index > len(refs):
            raise BadRequestError(
                f"the request has more attachment parts than Attachment objects ({len(refs)}); remove extra parts"
            )
        sha2, content = _attachment_part(part, index, max_attachment_bytes)
        if sha2 not in declared:
            raise BadRequestError(f"multipart part {index}: no Attachment object of the request has sha2 {sha2}")
        contents[sha2] = content
    for ref in refs:
        if not ref.has_file_url and ref.sha2 not in contents:
            raise BadRequestError(
                f"{ref.path}: has no fileUrl and no multipart/mixed part carries its content (sha2 {ref.sha2})",
                errors={"path": ref.path},
            )
    return contents
