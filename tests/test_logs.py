"""``clinimem.logs``: the patient redacted from URLs, log records and connector errors (issue 18)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import httpx
import pytest
from clinimem_connectors.http import RetryingHttp, RetryPolicy

from clinimem.errors import SourceError
from clinimem.logs import REQUEST_LOGGERS, RedactingFilter, configure_logging, redact

PID = "d34e9e2d-a81a-407d-9527-82d1fdb06421"
BASE = "https://fhir.example.org/r4"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"GET {BASE}/Patient/{PID}/$everything?_offset=50&_count=50",
            f"GET {BASE}/Patient/<redacted>/$everything?_offset=50&_count=50",
        ),
        (f"{BASE}/Patient/{PID}", f"{BASE}/Patient/<redacted>"),
        (
            f"{BASE}/Observation?patient=Patient%2F{PID}&_count=30",
            f"{BASE}/Observation?patient=<redacted>&_count=30",
        ),
        (
            f"{BASE}/Condition?_count=30&subject=Patient/{PID}",
            f"{BASE}/Condition?_count=30&subject=<redacted>",
        ),
        (
            f"{BASE}/Patient?family=Larson&birthdate=ge1980",
            f"{BASE}/Patient?family=<redacted>&birthdate=<redacted>",
        ),
        (
            f"{BASE}/Patient?name:exact=Jacob%20Larson&_count=5",
            f"{BASE}/Patient?name:exact=<redacted>&_count=5",
        ),
        (f"the server has no Patient/{PID}", "the server has no Patient/<redacted>"),
        (f"diagnostics: 'Patient/{PID} is not known'", "diagnostics: 'Patient/<redacted> is not known'"),
        # Operations and other resources keep their path: they name no patient.
        (f"{BASE}/Patient/$export", f"{BASE}/Patient/$export"),
        (f"{BASE}/Group/all/$export?_type=Condition", f"{BASE}/Group/all/$export?_type=Condition"),
        (f"{BASE}/Observation/obs-1", f"{BASE}/Observation/obs-1"),
        ("retry 1/5 in 0.5 s", "retry 1/5 in 0.5 s"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert redact(expected) == expected  # idempotent: a redacted text is left as it is


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose handler carries the filter, as configure_logging sets it up."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.clinimem.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_filter_redacts_records_above_debug(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    # httpx's own format: the URL arrives as an argument, not in the message template.
    logger.info('HTTP Request: %s %s "%s"', "GET", f"{BASE}/Patient/{PID}/$everything", "HTTP/1.1 200 OK")
    logger.warning("search %s failed", f"{BASE}/Encounter?patient=Patient/{PID}")
    logger.debug("retrying GET %s", f"{BASE}/Patient/{PID}/$everything")  # -vv may name patients
    try:
        raise ValueError(f"bad page {BASE}/Patient/{PID}/$everything")
    except ValueError:
        logger.error("page failed", exc_info=True)
    lines = stream.getvalue().splitlines()
    assert (
        lines[0]
        == f'INFO test.clinimem.logs: HTTP Request: GET {BASE}/Patient/<redacted>/$everything "HTTP/1.1 200 OK"'
    )
    assert lines[1].endswith("Encounter?patient=<redacted> failed")
    assert lines[2].startswith("DEBUG") and PID in lines[2]
    traceback = "\n".join(lines[3:])
    assert "ValueError: bad page" in traceback and PID not in traceback


def test_filter_survives_a_bad_format(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.warning("two %s %s", f"Patient/{PID}")  # one argument short
    assert "arguments dropped" in stream.getvalue() and PID not in stream.getvalue()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved_filters = {h: list(h.filters) for h in root.handlers}
    saved_levels = {name: logging.getLogger(name).level for name in REQUEST_LOGGERS}
    yield
    for handler, filters in saved_filters.items():
        handler.filters[:] = filters
    for name, level in saved_levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_turns_request_loggers_down_below_debug() -> None:
    assert configure_logging(1) == logging.INFO
    assert all(logging.getLogger(n).getEffectiveLevel() == logging.WARNING for n in REQUEST_LOGGERS)
    for handler in logging.getLogger().handlers:
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    configure_logging(1)  # twice: still one filter a handler
    for handler in logging.getLogger().handlers:
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    assert configure_logging(2) == logging.DEBUG
    assert logging.getLogger("httpx").level == logging.DEBUG


def _http(handler) -> RetryingHttp:  # noqa: ANN001 - an httpx MockTransport handler
    policy = RetryPolicy(max_retries=1, backoff=0.0, max_retry_after=300)
    return RetryingHttp(policy=policy, transport=httpx.MockTransport(handler), sleep=lambda _s: None)


def test_rest_failure_message_redacts_the_patient() -> None:
    url = f"{BASE}/Patient/{PID}/$everything"
    with _http(lambda request: httpx.Response(503)) as http, pytest.raises(SourceError) as caught:
        http.get(url)
    err = caught.value
    assert PID not in str(err) and PID not in (err.file or "")
    assert f"GET {BASE}/Patient/<redacted>/$everything answered HTTP 503 after 2 attempts" in str(err)
    assert err.file == f"{BASE}/Patient/<redacted>/$everything"


def test_outcome_diagnostics_are_redacted_too() -> None:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "forbidden", "diagnostics": f"no access to Patient/{PID}"}],
    }
    with (
        _http(lambda request: httpx.Response(403, json=outcome)) as http,
        pytest.raises(SourceError) as caught,
    ):
        http.get(f"{BASE}/Encounter", params={"patient": f"Patient/{PID}"})
    text = str(caught.value)
    assert PID not in text
    assert "Encounter?patient=<redacted>" in text and "no access to Patient/<redacted>" in text


def test_unreachable_server_message_redacts_the_patient() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with _http(refuse) as http, pytest.raises(SourceError) as caught:
        http.get(f"{BASE}/Patient/{PID}")
    assert PID not in str(caught.value) and "failed after 2 attempts" in str(caught.value)
