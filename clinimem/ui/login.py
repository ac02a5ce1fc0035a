"""The optional login of the page, parsed without importing gradio (so a bad value fails fast).

With a login, :class:`Login` is the check gradio calls for each sign-in attempt. It refuses a
client that failed :data:`MAX_FAILURES` times within :data:`WINDOW_S` seconds until the oldest of
those failures is a window old (so never more than 5 failed attempts a minute per client), and
logs one WARNING when a client reaches that limit, naming its address, never the username or
password tried.

The client is the request's address as gradio's server sees it (``request.client.host``:
uvicorn reads ``X-Forwarded-For`` only from a proxy on 127.0.0.1). gradio hands the check only
the username and password, so :class:`ClientAddress`, an ASGI middleware given to the page's
FastAPI app, tells it which client is asking.

>>> login = Login("doc", "s3cret")
>>> login("doc", "wrong"), login("doc", "s3cret")
(False, True)
"""

from __future__ import annotations

import contextvars
import hmac
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

log = logging.getLogger("clinimem.ui")

MAX_FAILURES = 5
WINDOW_S = 60.0
UNKNOWN_CLIENT = "unknown"
# Failures of clients that stopped trying are forgotten once this many are tracked.
_PRUNE_AT = 4096

_client: contextvars.ContextVar[str | None] = contextvars.ContextVar("clinimem_login_client", default=None)


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


class LoginLimiter:
    """At most ``max_failures`` failed logins per client in any ``window`` seconds.

    ``clock`` is injectable (monotonic seconds) so the window is tested without sleeping.
    Refused attempts are not counted: the lock lifts ``window`` seconds after the failures that
    set it, however often the client keeps knocking.
    """

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.setdefault(client, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        return times

    def retry_in(self, client: str) -> float:
        """Seconds until ``client`` may try again (0: now)."""
        with self._lock:
            now = self._clock()
            times = self._recent(client, now)
            if len(times) < self.max_failures:
                return 0.0
            return times[-self.max_failures] + self.window - now

    def failed(self, client: str) -> bool:
        """Count a failed attempt; True when it is the one that reaches the limit."""
        with self._lock:
            now = self._clock()
            times = self._recent(client, now)
            times.append(now)
            if len(self._failures) > _PRUNE_AT:
                self._prune(now)
            return len(times) == self.max_failures

    def succeeded(self, client: str) -> None:
        """A correct login: the client's earlier typos are forgotten."""
        with self._lock:
            self._failures.pop(client, None)

    def _prune(self, now: float) -> None:
        stale = [c for c, times in self._failures.items() if not times or now - times[-1] >= self.window]
        for client in stale:
            del self._failures[client]


class Login:
    """The page's sign-in check (gradio's ``auth`` callable) for one account, rate-limited per client."""

    def __init__(self, user: str, password: str, limiter: LoginLimiter | None = None) -> None:
        self._user = user.encode()
        self._password = password.encode()
        self.limiter = limiter or LoginLimiter()

    def __call__(self, username: str, password: str) -> bool:
        client = current_client()
        if self.limiter.retry_in(client) > 0:
            return False
        # Both compared in constant time, and both always: no hint which of the two was wrong.
        user_ok = hmac.compare_digest(username.encode(), self._user)
        password_ok = hmac.compare_digest(password.encode(), self._password)
        if user_ok and password_ok:
            self.limiter.succeeded(client)
            return True
        if self.limiter.failed(client):
            # Once per lock, not per attempt: a client that keeps trying cannot flood the log.
            log.warning(
                "login: %d failed attempts from %s within %.0f s; its sign-ins are refused for %.0f s",
                self.limiter.max_failures,
                client,
                self.limiter.window,
                self.limiter.retry_in(client),
            )
        return False


def current_client() -> str:
    """The address of the client whose request is being served (set by :class:`ClientAddress`)."""
    return _client.get() or UNKNOWN_CLIENT


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class ClientAddress:
    """ASGI middleware: makes the request's client address known to :class:`Login` while it runs.

    Give it to gradio as ``app_kwargs=login_app_kwargs()``; plain ASGI, so login.py imports no web
    framework (the request runs in one task, so the context variable reaches the login route).
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        token = _client.set(str(client[0]) if client else None)
        try:
            await self.app(scope, receive, send)
        finally:
            _client.reset(token)


def login_app_kwargs() -> dict[str, Any]:
    """``app_kwargs`` for ``Blocks.launch`` that install :class:`ClientAddress` (a fresh dict each call)."""
    from starlette.middleware import Middleware  # imported here: only a served page needs it

    return {"middleware": [Middleware(ClientAddress)]}
