"""DocumentReference -> a note entry (the whole note; mentions come from ``clinimem.notes``)."""

from __future__ import annotations

import base64
import binascii
import html
import re
from typing import Any

from clinimem.fhir.resource import SourcedResource
from clinimem.memory.entry import MemoryEntry
from clinimem.memory.mappers.common import code_fields, concept_text, day, encounter_of

_TAG = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"</?(p|div|br|li|ul|ol|h[1-6]|tr|table)\b[^>]*>", re.IGNORECASE)


def html_to_text(markup: str) -> str:
    """Reduce XHTML/HTML to plain text, keeping block breaks as newlines."""
    text = _BLOCK.sub("\n", markup)
    text = html.unescape(_TAG.sub("", text))
    return re.sub(r"\n\s*\n+", "\n", text).strip()


def attachment_text(attachment: dict[str, Any]) -> str | None:
    """Decoded text of a text/plain or text/html attachment (base64 ``data``), else None."""
    content_type = (attachment.get("contentType") or "text/plain").split(";")[0].strip().lower()
    raw = attachment.get("data")
    if not raw or not content_type.startswith("text/"):
        return None
    try:
        text = base64.b64decode(raw, validate=False).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return None
    return html_to_text(text) if content_type == "text/html" else text


def note_text(data: dict[str, Any]) -> str | None:
    for content in data.get("content") or []:
        text = attachment_text(content.get("attachment") or {})
        if text:
            return text
    return None


def map_document_reference(resource: SourcedResource, patient_id: str) -> list[MemoryEntry]:
    data = resource.data
    name = concept_text(data.get("type"), "Clinical note")
    time = data.get("date") or ((data.get("context") or {}).get("period") or {}).get("start")
    body = note_text(data) or ""
    first_line = next((line.strip() for line in body.splitlines() if line.strip()), "")
    text = f"Note: {name} on {day(time)}"
    if first_line:
        text += f": {first_line[:160]}"
    return [
        MemoryEntry(
            patient_id=patient_id,
            kind="note",
            resource=resource.ref,
            path="$",
            text=text,
            concept=f"note: {name}",
            time=time,
            encounter=encounter_of(data),
            status=data.get("docStatus") or data.get("status"),
            **code_fields(data.get("type")),
        )
    ]
