"""``clinimem serve`` and ``clinimem demo`` as a user runs them: real processes on loopback ports."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from clinimem.commands.demo import sample_bundles

pytestmark = [
    pytest.mark.timeout(400),
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting'"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, wait_s: float = 240
) -> Iterator[str]:
    """Run ``clinimem ARGS --port P`` until the page answers; yield its URL; stop it."""
    port = _free_port()
    log = cwd / f"clinimem-{port}.log"
    environment = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1", **(env or {})}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "clinimem.cli", *args, "--port", str(port)],
            cwd=cwd,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + wait_s
        while True:
            if process.poll() is not None:
                pytest.fail(f"clinimem {args[0]} exited with {process.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"clinimem {args[0]} did not serve within {wait_s} s:\n{log.read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_samples_are_package_data() -> None:
    bundles = sample_bundles()
    assert 3 <= len(bundles) <= 4
    assert (bundles[0].parent / "NOTICE.md").read_text().count("Apache License") == 1


def test_serve_without_a_store_says_so_behind_a_login(tmp_path: Path) -> None:
    missing = tmp_path / "no-store-here"
    with running(["serve", "--store", str(missing)], tmp_path, env={"CLINIMEM_AUTH": "doc:pw"}) as url:
        with pytest.raises(Exception):  # noqa: B017 - no login: the API refuses
            Client(url, verbose=False).predict(api_name="/patients")
        status, dropdown = Client(url, auth=("doc", "pw"), verbose=False).predict(api_name="/patients")
    assert "memory store is not loaded" in status
    assert dropdown["choices"] == []
    assert not missing.exists(), "serve must not create a store"


def test_serve_rejects_a_malformed_login(capsys: pytest.CaptureFixture[str]) -> None:
    from clinimem.cli import main

    assert main(["serve", "--auth", "no-colon", "--port", str(_free_port())]) == 1
    err = capsys.readouterr().err
    assert "user:password" in err and "Traceback" not in err


def test_demo_loads_the_samples_then_serves(tmp_path: Path) -> None:
    store = tmp_path / "demo-store"
    with running(["demo", "--store", str(store)], tmp_path) as url:
        status, dropdown = Client(url, verbose=False).predict(api_name="/patients")
    assert f"{len(sample_bundles())} patients in the memory" in status
    assert len(dropdown["choices"]) == len(sample_bundles())
    assert "loading 4 sample patients" in next(tmp_path.glob("clinimem-*.log")).read_text()


def test_demo_does_not_reload_a_full_store(sample_store: str) -> None:
    from clinimem.commands.demo import load_samples_if_empty

    assert load_samples_if_empty(sample_store) == 0
