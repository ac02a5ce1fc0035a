"""The page's login is rate-limited per client: 5 failures a minute, then refused (issue 18).

The limiter runs on an injected clock (nothing sleeps); one test goes through the real page.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from clinimem.ui.login import (
    ClientAddress,
    Login,
    LoginLimiter,
    current_client,
    login_app_kwargs,
)

USER, PASSWORD = "clinician", "s3cret-pw"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def login(clock: Clock) -> Login:
    return Login(USER, PASSWORD, LoginLimiter(max_failures=5, window=60.0, clock=clock))


def test_five_failures_lock_the_client_out_until_the_window_passes(login: Login, clock: Clock) -> None:
    for _ in range(5):
        clock.now += 1
        assert not login(USER, "guess")
    clock.now += 1
    assert not login(USER, PASSWORD), "the right password is refused while locked"
    assert login.limiter.retry_in("unknown") == pytest.approx(55.0)  # the 1st failure was at +1 s
    clock.now += 54.9
    assert not login(USER, PASSWORD)
    clock.now += 0.2  # 60 s after the first failure: one attempt is free again
    assert login(USER, PASSWORD)


def test_never_more_than_five_failures_in_any_minute(login: Login, clock: Clock) -> None:
    # A client that tries every second for 5 minutes: the passwords actually checked (and failed).
    checked: list[float] = []
    count_failure = login.limiter.failed

    def failed(client: str) -> bool:
        checked.append(clock.now)
        return count_failure(client)

    login.limiter.failed = failed  # type: ignore[method-assign]
    for _ in range(300):
        login(USER, "guess")
        clock.now += 1
    assert len(checked) >= 20, "a limit, not a ban"
    for start in range(int(checked[0]), int(checked[-1])):
        assert sum(start <= t < start + 60 for t in checked) <= 5


def test_refused_attempts_do_not_extend_the_lock(login: Login, clock: Clock) -> None:
    for _ in range(5):
        login(USER, "guess")
    for _ in range(100):  # knocking while locked
        clock.now += 0.5
        assert not login(USER, PASSWORD)
    clock.now = 1000.0 + 60.0
    assert login(USER, PASSWORD)


def test_success_forgets_earlier_typos(login: Login, clock: Clock) -> None:
    for _ in range(4):
        assert not login(USER, "typo")
    assert login(USER, PASSWORD)
    for _ in range(4):
        assert not login(USER, "typo")
    assert login(USER, PASSWORD), "4 + 4 failures around a success never lock"


def test_a_wrong_username_counts_too(login: Login) -> None:
    for _ in range(5):
        assert not login("admin", PASSWORD)
    assert not login(USER, PASSWORD)


def test_clients_are_limited_separately(login: Login, clock: Clock) -> None:
    async def attempt(address: str, password: str) -> bool:
        results: list[bool] = []

        async def app(scope, receive, send) -> None:  # noqa: ANN001 - an ASGI app
            results.append(login(USER, password))

        await ClientAddress(app)({"type": "http", "client": (address, 5555)}, None, None)
        return results[0]

    def run(address: str, password: str) -> bool:
        # a thread and loop of its own: another test's browser may have left a loop running in this one
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, attempt(address, password)).result()

    for _ in range(5):
        assert not run("10.0.0.1", "guess")
    assert not run("10.0.0.1", PASSWORD)
    assert run("10.0.0.2", PASSWORD), "another client is not locked out"
    assert current_client() == "unknown"  # the address does not outlive its request


def test_the_lock_is_logged_once_without_credentials(login: Login, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for _ in range(8):
        login("dr-who", "hunter2-guess")
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, "one line per lock, not one per attempt"
    text = warnings[0].getMessage()
    assert "5 failed attempts" in text and "refused" in text
    for secret in ("dr-who", "hunter2-guess", USER, PASSWORD):
        assert secret not in " ".join(r.getMessage() for r in caplog.records)


def test_stale_clients_are_forgotten(clock: Clock) -> None:
    limiter = LoginLimiter(clock=clock)
    for n in range(5000):
        limiter.failed(f"10.0.{n // 256}.{n % 256}")
        clock.now += 0.1  # 500 s in all: the early ones are long stale
    assert len(limiter._failures) < 5000


def test_the_middleware_travels_in_app_kwargs() -> None:
    kwargs = login_app_kwargs()
    assert [m.cls for m in kwargs["middleware"]] == [ClientAddress]
    assert login_app_kwargs() is not kwargs  # gradio adds keys to the dict it is given


def test_the_real_page_refuses_a_sixth_attempt(serve_app, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    served = serve_app(None, auth=f"{USER}:{PASSWORD}")
    url = served.url + "login"

    def sign_in(password: str, forwarded_for: str | None = None) -> int:
        # uvicorn takes X-Forwarded-For from a proxy on 127.0.0.1 (its default), as behind nginx.
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        return httpx.post(url, data={"username": USER, "password": password}, headers=headers).status_code

    assert [sign_in("wrong") for _ in range(5)] == [400] * 5
    assert sign_in(PASSWORD) == 400, "locked out: even the right password is refused"
    assert sign_in(PASSWORD, forwarded_for="10.1.2.3") == 200, "another client signs in"
    lines = [
        r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and "login" in r.getMessage()
    ]
    assert len(lines) == 1 and "127.0.0.1" in lines[0]
    assert USER not in lines[0] and PASSWORD not in lines[0] and "wrong" not in lines[0]
