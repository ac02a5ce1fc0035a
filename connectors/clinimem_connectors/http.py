"""One retrying HTTP layer for the FHIR REST and Bulk Data connectors.

Both connectors talk to the same kind of server and need the same behaviour:
a bearer token sent only where it belongs, retries with exponential backoff on
429, 5xx and transport errors that honour ``Retry-After`` (up to a ceiling the
user can raise), and one clear :class:`~clinimem.errors.SourceError` when the
server keeps failing. URLs in errors are redacted (:func:`clinimem.logs.redact`):
FHIR paths carry the patient, and errors reach logs and terminals.

Example::

    with RetryingHttp(token="abc", policy=RetryPolicy(max_retries=3)) as http:
        bundle = http.get_json("https://fhir.example.org/r4/Patient/123")
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import os
import random
import re
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from clinimem.errors import SourceError
from clinimem.logs import redact

log = logging.getLogger(__name__)

TOKEN_ENV = "CLINIMEM_FHIR_TOKEN"
MAX_RETRY_AFTER_ENV = "CLINIMEM_MAX_RETRY_AFTER"
# A server may ask for minutes (a 503 during a restart, a 429 quota window); longer than this
# and an interactive load would seem hung, so it fails instead, saying how to wait longer.
DEFAULT_MAX_RETRY_AFTER = 300.0
FHIR_JSON = "application/fhir+json"

# 408 and 425 are "try again" statuses too; every 5xx is treated as transient
# because FHIR servers behind gateways answer 502/503/504 during restarts.
RETRY_STATUSES = frozenset({408, 425, 429})


def max_retry_after_from_env() -> float:
    """The ``Retry-After`` ceiling: ``CLINIMEM_MAX_RETRY_AFTER`` seconds, else 300."""
    text = os.environ.get(MAX_RETRY_AFTER_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_RETRY_AFTER
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also refuses nan
        raise SourceError(
            f"{MAX_RETRY_AFTER_ENV}={text!r} is not a number of seconds",
            hint=f"Set {MAX_RETRY_AFTER_ENV} to the longest Retry-After to wait, e.g. 900, or unset it",
        )
    return value


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a request that failed transiently.

    The n-th retry waits ``backoff * 2**(n-1)`` seconds (with jitter), never more
    than ``max_delay``; or, when the server sends ``Retry-After``, exactly what it
    asks for, up to ``max_retry_after`` (default ``CLINIMEM_MAX_RETRY_AFTER`` or
    300 s). A longer ask fails the request at once (:meth:`RetryingHttp.request`)
    rather than coming back before the server said.
    """

    max_retries: int = 5
    backoff: float = 0.5
    max_delay: float = 60.0
    max_retry_after: float | None = None  # None: CLINIMEM_MAX_RETRY_AFTER, else 300

    def __post_init__(self) -> None:
        if self.max_retry_after is None:
            # Read at construction, so a bad value fails before the first request.
            object.__setattr__(self, "max_retry_after", max_retry_after_from_env())

    @property
    def ceiling(self) -> float:
        """The longest ``Retry-After`` honoured, in seconds."""
        assert self.max_retry_after is not None  # set by __post_init__
        return self.max_retry_after

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.ceiling)
        # Jitter keeps many clients that failed together from retrying together.
        exp = self.backoff * 2 ** (attempt - 1)
        return min(exp * random.uniform(0.5, 1.0), self.max_delay)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT; a naive result means the zone was missing
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def token_from_env(token: str | None) -> str | None:
    """The explicit token, else ``CLINIMEM_FHIR_TOKEN`` (credentials come only from the environment)."""
    if token:
        return token
    return os.environ.get(TOKEN_ENV) or None


def normalize_base_url(url: str) -> str:
    """``fhir+https://host/base/`` -> ``https://host/base`` (no trailing slash)."""
    if url.startswith(("fhir+http://", "fhir+https://")):
        url = url[len("fhir+") :]
    if urlsplit(url).scheme not in ("http", "https"):
        raise SourceError(
            f"not an http(s) URL: {url!r}",
            file=url,
            hint="Give the FHIR base as http(s)://host/path or fhir+http(s)://host/path",
        )
    return url.rstrip("/")


def resolve_link(link: str, *, base_url: str, page_url: str) -> str:
    """Absolute URL of a ``Bundle.link`` or manifest URL.

    FHIR says relative URLs are relative to the service base (``Patient?page=2``),
    not to the page they appear on; a query-only link (``?page=2``) repeats the
    page's own path and an absolute path (``/fhir/...``) keeps the host.
    """
    if urlsplit(link).scheme:
        return link
    if link.startswith("?"):
        return page_url.split("?", 1)[0] + link
    if link.startswith("/"):
        return urljoin(base_url, link)
    return f"{base_url.rstrip('/')}/{link}"


def operation_outcome_text(body: Any) -> str | None:
    """The diagnostics of an OperationOutcome, joined, or None if ``body`` is not one."""
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return None
    parts = []
    for issue in body.get("issue") or []:
        text = issue.get("diagnostics") or (issue.get("details") or {}).get("text") or issue.get("code")
        if text:
            parts.append(str(text))
    return "; ".join(parts) or None


def outcome_codes(body: Any) -> set[str]:
    """The ``issue.code`` values of an OperationOutcome (empty for anything else)."""
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return set()
    return {str(issue.get("code")) for issue in body.get("issue") or [] if issue.get("code")}


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _host(url: str) -> str:
    # Retries are logged at WARNING, so they name the host only: paths carry patient ids.
    return urlsplit(url).netloc


def source_error(message: str, url: str, hint: str) -> SourceError:
    """A :class:`SourceError` about ``url`` with the patient redacted from message and URL.

    The whole URL is logged at DEBUG (``-vv``), the level that may name patients.
    """
    log.debug("failed request URL: %s", url)
    return SourceError(redact(message), file=redact(url), hint=hint)


def _hint_for(status: int | None) -> str:
    if status in (401, 403):
        return f"Check the bearer token (--token or the {TOKEN_ENV} environment variable) and its scopes"
    if status == 404:
        return "Check the base URL and the ids; the server does not know this resource or operation"
    if status == 429:
        return "The server is rate-limiting: try again later or with fewer parallel jobs"
    if status is not None and status >= 500:
        return "The server is failing or unavailable: try again later or ask its operator"
    if status is None:
        return "Check that the server is running and reachable from this machine"
    return "Check the request parameters against the server's CapabilityStatement (GET [base]/metadata)"


def _response_detail(response: httpx.Response) -> str | None:
    try:
        return operation_outcome_text(response.json())
    except (ValueError, httpx.ResponseNotRead):
        return None


class RetryingHttp:
    """A sync httpx client with retries, backoff and bearer-token scoping.

    ``token_origins`` limits where the token is sent (scheme + host of the
    given URLs); ``None`` sends it wherever a call asks for auth. ``sleep`` and
    ``transport`` exist so that tests can run without waiting or without a network.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        policy: RetryPolicy | None = None,
        token_origins: Iterable[str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.token = token
        self.policy = policy or RetryPolicy()
        self._token_origins = None if token_origins is None else {_origin(u) for u in token_origins}
        self._sleep = sleep
        # follow_redirects: httpx drops Authorization when a redirect leaves the origin.
        self._client = httpx.Client(
            timeout=timeout,
            follow_redirects=True,
            transport=transport,
            headers={"User-Agent": "clinimem-connectors"},
        )

    def __enter__(self) -> RetryingHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def _headers(self, url: str, headers: Mapping[str, str] | None, auth: bool) -> dict[str, str]:
        merged = {"Accept": FHIR_JSON, **(headers or {})}
        allowed = self._token_origins is None or _origin(url) in self._token_origins
        if auth and self.token and allowed:
            merged["Authorization"] = f"Bearer {self.token}"
        return merged

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        ok: Iterable[int] = (),
        auth: bool = True,
        stream: bool = False,
    ) -> httpx.Response:
        """Send a request, retrying transient failures; return the response.

        2xx statuses and those in ``ok`` are returned to the caller; anything
        else raises :class:`SourceError` naming the URL, the status and what to
        do. With ``stream=True`` the body is not read (close the response).
        """
        accepted = set(ok)
        sent_headers = self._headers(url, headers, auth)
        attempt = 0
        while True:
            failure: str
            retry_after: float | None = None
            status: int | None = None
            try:
                req = self._client.build_request(method, url, params=params, headers=sent_headers, json=json)
                response = self._client.send(req, stream=stream)
            except httpx.TransportError as err:
                failure = f"{type(err).__name__}: {err}"
            else:
                status = response.status_code
                if response.is_success or status in accepted:
                    return response
                if stream:
                    response.read()
                    response.close()
                if status not in RETRY_STATUSES and status < 500:
                    raise self._error(method, response, attempt)
                failure = f"HTTP {status}"
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            attempt += 1
            if attempt > self.policy.max_retries:
                if status is not None:
                    raise self._error(method, response, attempt - 1)
                raise source_error(
                    f"{method} {url} failed after {attempt} attempts ({failure})", url, _hint_for(None)
                )
            if retry_after is not None and retry_after > self.policy.ceiling:
                raise self._too_long(method, url, failure, retry_after)
            wait = self.policy.delay(attempt, retry_after)
            log.warning(
                "%s on %s answered %s; retry %d/%d in %.1f s",
                method,
                _host(url),
                failure,
                attempt,
                self.policy.max_retries,
                wait,
            )
            log.debug("retrying %s %s", method, url)
            self._sleep(wait)

    def _error(self, method: str, response: httpx.Response, retries: int) -> SourceError:
        url = str(response.request.url)
        tries = f" after {retries + 1} attempts" if retries else ""
        detail = _response_detail(response)
        message = f"{method} {url} answered HTTP {response.status_code}{tries}"
        if detail:
            message = f"{message}: {detail}"
        return source_error(message, url, _hint_for(response.status_code))

    def _too_long(self, method: str, url: str, failure: str, retry_after: float) -> SourceError:
        ceiling = self.policy.ceiling
        return source_error(
            f"{method} {url} answered {failure} and asked to retry after {retry_after:.0f} s, "
            f"longer than this client waits ({ceiling:.0f} s)",
            url,
            f"Try again later, or let clinimem wait that long: {MAX_RETRY_AFTER_ENV}={math.ceil(retry_after)}",
        )

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """``request("GET", url, ...)``."""
        return self.request("GET", url, **kwargs)

    def get_json(self, url: str, **kwargs: Any) -> Any:
        """GET and parse JSON; a body that is not JSON raises :class:`SourceError`."""
        return self.fetch_json(url, **kwargs)[1]

    def fetch_json(self, url: str, **kwargs: Any) -> tuple[httpx.Response, Any]:
        """GET a JSON body: (response, parsed body); the body is None for a status in ``ok``.

        A 2xx whose JSON ends early (a transfer cut off without a broken connection: no
        Content-Length, or a proxy that closed it) is asked again like a dropped connection;
        a body that is not JSON at all raises :class:`SourceError` (see :func:`response_json`).
        """
        attempt = 0
        while True:
            response = self.get(url, **kwargs)
            if not response.is_success or response.status_code in kwargs.get("ok", ()):
                return response, None
            if not cut_json(response.content):
                return response, response_json(response)
            attempt += 1
            if attempt > self.policy.max_retries:
                raise response_json_error(response, attempts=attempt)
            wait = self.policy.delay(attempt, None)
            log.warning(
                "a transfer from %s was cut (HTTP %d, %d bytes of JSON that ends early); retry %d/%d in %.1f s",
                _host(url),
                response.status_code,
                len(response.content),
                attempt,
                self.policy.max_retries,
                wait,
            )
            self._sleep(wait)

    def iter_lines(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        expected: int | None = None,
    ) -> Iterator[str]:
        """Stream an NDJSON body line by line, checked against what the server said.

        A download is whole when it holds the bytes ``Content-Length`` promised, its
        last line is complete (ends in a newline, or is whole JSON), and, given
        ``expected`` (an export manifest's ``count``), that many non-blank lines. One
        that is not, or whose connection drops, is asked again: from where it broke
        with ``Range`` when the server offers byte ranges, else whole with the lines
        already delivered skipped, so no line is yielded twice (the file is static).
        After ``max_retries`` more attempts a :class:`SourceError` names the file,
        what was expected and what came.
        """
        done = _Progress()
        attempt = 0
        while True:
            problem, retry = yield from self._lines_once(url, headers, auth, done, expected)
            if problem is None:
                return
            attempt += 1
            if not retry or attempt > self.policy.max_retries:
                raise source_error(
                    f"download of {url} is incomplete after {attempt} attempts: {problem} "
                    f"({done.resources} resources read)",
                    url,
                    "The server or a proxy cut the file off, or the export's manifest and its files "
                    "disagree: run the load again, and if it keeps failing ask the server's operator",
                )
            wait = self.policy.delay(attempt, None)
            how = f"resuming at byte {done.offset}" if done.ranges and done.offset else "fetching it again"
            log.warning(
                "download from %s is incomplete (%s); %s (%d/%d)",
                _host(url),
                problem,
                how,
                attempt,
                self.policy.max_retries,
            )
            self._sleep(wait)

    def _lines_once(
        self,
        url: str,
        headers: Mapping[str, str] | None,
        auth: bool,
        done: _Progress,
        expected: int | None,
    ) -> Generator[str, None, tuple[str | None, bool]]:
        """One GET of a line download, resumed after ``done``: yields the new lines and returns
        (what was wrong or None, whether another attempt may help)."""
        sent = dict(headers or {})
        ranged = done.ranges and done.offset > 0
        if ranged:
            sent["Range"] = f"bytes={done.offset}-"
        response = self.get(url, headers=sent, auth=auth, stream=True, ok=(416,) if ranged else ())
        try:
            status = response.status_code
            if status == 416:
                done.ranges = False
                return f"the server has nothing after byte {done.offset}", True
            start = _range_start(response) if status == 206 else 0
            if status == 206 and start != done.offset:
                done.ranges = False
                return f"the server sent bytes from {start}, not from {done.offset}", True
            encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
            done.ranges = not encoded and (
                status == 206 or response.headers.get("Accept-Ranges", "").lower() == "bytes"
            )
            skip = 0 if status == 206 else done.lines  # lines an earlier attempt delivered
            position, tail = start, b""
            try:
                for chunk in response.iter_bytes():
                    *lines, tail = (tail + chunk).split(b"\n")
                    for raw in lines:
                        position += len(raw) + 1
                        if skip:
                            skip -= 1
                            continue
                        yield done.deliver(raw, position)
            except httpx.TransportError as err:
                return f"the connection broke ({type(err).__name__})", True
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and response.num_bytes_downloaded < int(length):
                return (
                    f"{response.num_bytes_downloaded} of the {length} bytes of its Content-Length came",
                    True,
                )
            if tail.strip():
                if not _whole_json(tail):
                    return f"its last line is cut off after {len(tail)} bytes", True
                if not skip:  # a last line without a newline
                    yield done.deliver(tail, position + len(tail))
            if expected is not None and done.resources != expected:
                # Fewer lines may be a cut at a line's end; more cannot be mended by asking again.
                return (
                    f"{done.resources} resources where the manifest's count says {expected}",
                    done.resources < expected,
                )
            return None, False
        finally:
            response.close()


@dataclass
class _Progress:
    """How far a line download got, over all its attempts."""

    lines: int = 0  # lines delivered, blank ones too (what a full re-download skips)
    resources: int = 0  # non-blank lines delivered
    offset: int = 0  # body bytes up to the end of the last delivered line
    ranges: bool = False  # the server offers byte ranges of this file

    def deliver(self, raw: bytes, position: int) -> str:
        self.lines += 1
        self.offset = position
        if raw.strip():
            self.resources += 1
        return raw.decode("utf-8", errors="replace").rstrip("\r")


def _range_start(response: httpx.Response) -> int:
    """The first byte of a 206 answer (``Content-Range: bytes START-END/TOTAL``), -1 if unreadable."""
    found = re.match(r"\s*bytes\s+(\d+)-", response.headers.get("Content-Range", ""))
    return int(found.group(1)) if found else -1


def _whole_json(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except ValueError:
        return False
    return True


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def cut_json(body: bytes) -> bool:
    """True if ``body`` is a JSON object or array that ends early: a transfer cut off.

    It opens with ``{`` or ``[`` and ends inside a string or with brackets still
    open. Whole JSON, a web page (a login form) or malformed JSON is not cut.
    """
    text = body.strip()
    if text[:1] not in (b"{", b"[") or _whole_json(text):
        return False
    rest = _JSON_STRING.sub(b"", text)
    if b'"' in rest:  # a string that never closes
        return True
    return rest.count(b"{") + rest.count(b"[") > rest.count(b"}") + rest.count(b"]")


def response_json(response: httpx.Response) -> Any:
    """The JSON body of a response, or a :class:`SourceError` saying what came instead."""
    try:
        return response.json()
    except ValueError as err:
        raise response_json_error(response) from err


def response_json_error(response: httpx.Response, *, attempts: int = 1) -> SourceError:
    """What a body that does not parse is: JSON cut off in transfer, or not JSON at all."""
    url = str(response.request.url)
    if cut_json(response.content):
        tries = f" on each of {attempts} attempts" if attempts > 1 else ""
        return source_error(
            f"{url} answered HTTP {response.status_code} with JSON that ends early{tries}: "
            f"the transfer was cut after {len(response.content)} bytes",
            url,
            "The connection to the server, or a proxy in between, cut the response off: "
            "try again later, or ask for smaller pages",
        )
    kind = response.headers.get("Content-Type", "no content type")
    return source_error(
        f"{url} answered HTTP {response.status_code} with a body that is not JSON ({kind})",
        url,
        "Check that the URL is a FHIR server base, not a web page or a login redirect",
    )
