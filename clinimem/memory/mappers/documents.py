"""DocumentReference -> a note entry (the whole note) plus one entry per mention in it.

Mentions (problems, drugs, procedures, findings with their context flags) are
read by :mod:`clinimem.notes`; their spans index the decoded attachment (the
HTML source for ``text/html``). :func:`narrative_entries` does the same for a
resource's own ``text.div`` unless it is Synthea-style generated boilerplate.
"""

from __future__ import annotations

import html
import re
from typing import Any

from clinimem.fhir.resource import SourcedResource
from clinimem.memory.entry import MemoryEntry
from clinimem.memory.mappers.common import code_fields, concept_text, day, encounter_of
from clinimem.notes.text import decode_attachment

_TAG = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"</?(p|div|br|li|ul|ol|h[1-6]|tr|table)\b[^>]*>", re.IGNORECASE)
# Narrative statuses with nothing a person wrote: "generated" is made from the coded data.
_SKIPPED_NARRATIVE = frozenset({"generated", "empty"})


def html_to_text(markup: str) -> str:
    """Reduce XHTML/HTML to plain text, keeping block breaks as newlines."""
    text = _BLOCK.sub("\n", markup)
    text = html.unescape(_TAG.sub("", text))
    return re.sub(r"\n\s*\n+", "\n", text).strip()


def attachment_text(attachment: dict[str, Any]) -> str | None:
    """Plain text of a text/plain or text/html attachment (base64 ``data``, or inline text), else None."""
    decoded = decode_attachment(attachment)
    if decoded is None:
        return None
    text, content_type = decoded
    return html_to_text(text) if content_type == "text/html" else text


def first_text_attachment(attachments: list[Any]) -> tuple[int, str, str] | None:
    """``(index, decoded text, content type)`` of the first textual attachment in a list."""
    for index, attachment in enumerate(attachments):
        if isinstance(attachment, dict):
            decoded = decode_attachment(attachment)
            if decoded and decoded[0].strip():
                return index, *decoded
    return None


def note_text(data: dict[str, Any]) -> str | None:
    for content in data.get("content") or []:
        text = attachment_text(content.get("attachment") or {})
        if text:
            return text
    return None


def note_mention_entries(
    text: str,
    content_type: str,
    *,
    resource: SourcedResource,
    patient_id: str,
    path: str,
    time: str | None,
    encounter: str | None,
) -> list[MemoryEntry]:
    """Read one note and return an entry per mention (spaCy is loaded on the first call)."""
    from clinimem.memory.mappers.notes import mention_entries
    from clinimem.notes.reader import read_note

    reading = read_note(text, content_type)
    return mention_entries(
        reading.mentions,
        patient_id=patient_id,
        resource=resource.ref,
        path=path,
        time=time,
        encounter=encounter,
    )


def map_document_reference(resource: SourcedResource, patient_id: str) -> list[MemoryEntry]:
    data = resource.data
    name = concept_text(data.get("type"), "Clinical note")
    time = data.get("date") or ((data.get("context") or {}).get("period") or {}).get("start")
    encounter = encounter_of(data)
    contents = data.get("content") or []
    found = first_text_attachment([(c or {}).get("attachment") for c in contents])
    body = ""
    if found is not None:
        body = html_to_text(found[1]) if found[2] == "text/html" else found[1]
    first_line = next((line.strip() for line in body.splitlines() if line.strip()), "")
    text = f"Note: {name} on {day(time)}"
    if first_line:
        text += f": {first_line[:160]}"
    entries = [
        MemoryEntry(
            patient_id=patient_id,
            kind="note",
            resource=resource.ref,
            path="$",
            text=text,
            concept=f"note: {name}",
            time=time,
            encounter=encounter,
            status=data.get("docStatus") or data.get("status"),
            **code_fields(data.get("type")),
        )
    ]
    if found is not None:
        index, decoded, content_type = found
        entries += note_mention_entries(
            decoded,
            content_type,
            resource=resource,
            patient_id=patient_id,
            path=f"$.content[{index}].attachment",
            time=time,
            encounter=encounter,
        )
    return entries


def narrative_entries(
    resource: SourcedResource, patient_id: str, entries: list[MemoryEntry]
) -> list[MemoryEntry]:
    """Mentions in a resource's ``text.div`` when a person wrote it (not ``generated``).

    They share the visit and time of the resource's first entry. Synthea, like
    most servers, fills ``text.div`` with ``generated`` boilerplate that only
    repeats the coded data, so that status is skipped.
    """
    narrative = resource.data.get("text")
    if not isinstance(narrative, dict) or narrative.get("status") in _SKIPPED_NARRATIVE:
        return []
    div = narrative.get("div")
    if not isinstance(div, str) or not div.strip():
        return []
    first = entries[0] if entries else None
    return note_mention_entries(
        div,
        "text/html",
        resource=resource,
        patient_id=patient_id,
        path="$.text.div",
        time=first.time if first else None,
        encounter=first.encounter if first else None,
    )
