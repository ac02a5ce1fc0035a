"""Logging without patient ids: the one place that configures logging and redacts what it writes.

``docs/security.md`` promises no patient data in logs below DEBUG, from any library. Two things
break that promise unless they are handled here: httpx (and httpcore, urllib3) log every request
URL at INFO, and FHIR URLs carry the patient (``Patient/{id}/$everything``,
``Observation?patient=Patient/{id}``); and error messages name the URL that failed.

:func:`redact` replaces the patient in such text; connectors call it on the URLs they put in
errors, and :func:`configure_logging` puts a :class:`RedactingFilter` on the handlers, so a
record from any logger is redacted before it is written. DEBUG records are left whole: ``-vv``
is the level that may show ids (and says so in the docs).

Example::

    >>> redact("GET https://fhir.example.org/r4/Patient/123/$everything?_count=50")
    'GET https://fhir.example.org/r4/Patient/<redacted>/$everything?_count=50'
"""

from __future__ import annotations

import logging
import re

REDACTED = "<redacted>"

# The segment after ``Patient/`` (plain or percent-encoded), unless it is an operation
# (``Patient/$export``): ids are opaque, so whatever runs up to the next delimiter goes.
_PATIENT_SEGMENT = re.compile(r"(?<![\w-])(Patient(?:/|%2F))(?!\$|%24)[^/?#&\s\"'<>,;)\]]+", re.IGNORECASE)
# Search parameters whose values name or identify a patient (FHIR search names); their value
# is redacted whole, whichever resource is searched.
PATIENT_PARAMS = (
    "patient",
    "subject",
    "_id",
    "identifier",
    "name",
    "given",
    "family",
    "birthdate",
    "phone",
    "email",
    "telecom",
    "address",
)
_PATIENT_PARAM = re.compile(
    r"([?&](?:" + "|".join(re.escape(p) for p in PATIENT_PARAMS) + r")(?::[a-z-]+)?=)[^&#\s\"'<>]+",
    re.IGNORECASE,
)

# Libraries that log a request's URL at INFO. They are kept at WARNING unless the user asks for
# DEBUG (``-vv``): at ``-v`` a line per page is noise, and redacted it says little.
REQUEST_LOGGERS = ("httpx", "httpcore", "urllib3")


def redact(text: str) -> str:
    """``text`` with the patient of every FHIR path and patient search parameter replaced."""
    text = _PATIENT_PARAM.sub(lambda m: m[1] + REDACTED, text)  # first: its value may be Patient/{id}
    return _PATIENT_SEGMENT.sub(lambda m: m[1] + REDACTED, text)


class RedactingFilter(logging.Filter):
    """A handler filter that redacts every record above DEBUG (the formatted message, once)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.DEBUG:
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # A bad format: logging would print the raw arguments with its error report.
            record.msg, record.args = f"{redact(str(record.msg))} (arguments dropped: bad format)", None
            return True
        clean = redact(message)
        if clean != message:
            # The record is shared by every handler: rewriting it redacts them all.
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_text is None:
            # A traceback quotes the failing URL too; the formatter caches its text here.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_filter(handler: logging.Handler) -> None:
    """Put one :class:`RedactingFilter` on ``handler`` (idempotent)."""
    if not any(isinstance(f, RedactingFilter) for f in handler.filters):
        handler.addFilter(RedactingFilter())


def configure_logging(verbosity: int = 0) -> int:
    """The command line's logging: WARNING, ``1`` INFO, ``2`` DEBUG; returns the level.

    Every handler on the root logger gets a :class:`RedactingFilter`, and the request loggers
    of :data:`REQUEST_LOGGERS` stay at WARNING below DEBUG.
    """
    level = logging.WARNING - 10 * min(max(verbosity, 0), 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        install_filter(handler)
    for name in REQUEST_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if level <= logging.DEBUG else logging.WARNING)
    return level
