"""Clinical notes into memory: a spaCy 3.8 rule pipeline reads what the structured record leaves out.

A note (DocumentReference attachment, DiagnosticReport.presentedForm, or a
resource's own narrative) is split into sections and sentences; problems,
drugs, procedures and findings are found with a vocabulary built from coded
displays plus curated lists; each mention gets ConText flags (negated,
historical, hypothetical, family, uncertain). Each mention becomes a memory
entry of kind ``note`` (:mod:`clinimem.memory.mappers.notes`); this package reads text
and imports nothing of the memory.

spaCy is imported when the first note is read, not when this package is.

>>> from clinimem.notes import read_note
>>> [(m.concept, m.flags) for m in read_note("Stopped lisinopril because of cough.").mentions]
[('lisinopril', ()), ('cough', ())]
"""

from clinimem.notes.context import FLAGS
from clinimem.notes.reader import NoteMention, NoteReading, NoteSection, read_note, read_notes

__all__ = ["FLAGS", "NoteMention", "NoteReading", "NoteSection", "read_note", "read_notes"]
