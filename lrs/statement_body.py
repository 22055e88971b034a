"""Completing a statement's stored JSON text with the properties taken inside the write's critical section."""

from __future__ import annotations

from lrs.timeutil import iso_us


def finalize_body(template: str, stored_us: int, *, needs_timestamp: bool) -> str:
    """Append ``stored`` (and ``timestamp`` = ``stored`` when the client sent none) to a JSON object text.

    ``template`` is a compact JSON object produced by :func:`lrs.jsontext.dumps`; the result is still valid
    JSON and keeps every byte of the template.
    """
    stamp = iso_us(stored_us)
    extra = f'"stored":"{stamp}"'
    if needs_timestamp:
        extra += f',"timestamp":"{stamp}"'
    if template == "{}":
        return "{" + extra + "}"
    return template[:-1] + "," + extra + "}"
