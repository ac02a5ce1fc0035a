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
import logging
import math
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
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
        return response_json(self.get(url, **kwargs))

    def iter_lines(
        self, url: str, *, headers: Mapping[str, str] | None = None, auth: bool = True
    ) -> Iterator[str]:
        """Stream a text body line by line (NDJSON), resuming after a dropped connection.

        A download that breaks mid-way is requested again and the lines already
        delivered are skipped, so no line is yielded twice (the file is static).
        """
        delivered = 0
        attempt = 0
        while True:
            response = self.get(url, headers=headers, auth=auth, stream=True)
            skip = delivered  # lines already yielded by an earlier, broken attempt
            try:
                for line in response.iter_lines():
                    if skip:
                        skip -= 1
                        continue
                    delivered += 1
                    yield line
                return
            except httpx.TransportError as err:
                attempt += 1
                if attempt > self.policy.max_retries:
                    raise source_error(
                        f"download of {url} broke off after {delivered} lines ({type(err).__name__}: {err})",
                        url,
                        _hint_for(None),
                    ) from err
                wait = self.policy.delay(attempt, None)
                log.warning(
                    "download from %s broke off; resuming (%d/%d)",
                    _host(url),
                    attempt,
                    self.policy.max_retries,
                )
                self._sleep(wait)
            finally:
                response.close()


def response_json(response: httpx.Response) -> Any:
    """The JSON body of a response, or a :class:`SourceError` saying what came instead."""
    url = str(response.request.url)
    try:
        return response.json()
    except ValueError as err:
        kind = response.headers.get("Content-Type", "no content type")
        raise source_error(
            f"{url} answered HTTP {response.status_code} with a body that is not JSON ({kind})",
            url,
            "Check that the URL is a FHIR server base, not a web page or a login redirect",
        ) from err
