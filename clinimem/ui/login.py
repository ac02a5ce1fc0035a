"""The optional login of the page, parsed without importing gradio (so a bad value fails fast)."""

from __future__ import annotations


def parse_auth(text: str | None) -> tuple[str, str] | None:
    """``user:password`` as a (user, password) pair; None for no login.

    >>> parse_auth("doc:s3cret")
    ('doc', 's3cret')
    """
    if not text:
        return None
    user, sep, password = text.partition(":")
    if not sep or not user or not password:
        raise ValueError("login must be given as user:password")
    return user, password
