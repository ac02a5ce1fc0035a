"""Load check of the clinician page: N concurrent sessions, each asking about its own patient.

    python bench/ui_load.py                      # starts `clinimem demo` on a free port, 20 sessions
    python bench/ui_load.py --url http://127.0.0.1:7860/ [--auth user:password]

Every session is its own gradio_client ``Client`` (its own server-side
session state). All sessions pick their patients first, then ask at the same
moment (a barrier), ``--rounds`` questions each. Each answer is checked
against the patient that session asked about (the answer JSON's
``patient_id`` and the patient named in the page's answer); a mismatch fails
the run. Prints the latency of the ask calls (p50/p95/max, as the client sees
them) and exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import httpx  # noqa: E402
from gradio_client import Client  # noqa: E402

QUESTIONS = (
    "What was the most recent body weight?",
    "Has the body mass index been increasing?",
    "When was the last visit?",
    "What medications is the patient taking?",
    "How many times was blood pressure measured?",
)


@dataclass
class SessionResult:
    patient_id: str
    latencies_ms: list[float] = field(default_factory=list)
    system_ms: list[float] = field(default_factory=list)  # the answering system's own time (timing_ms.total)
    failures: list[str] = field(default_factory=list)


def run_session(
    url: str,
    auth: tuple[str, str] | None,
    patient_id: str,
    index: int,
    rounds: int,
    barrier: threading.Barrier,
) -> SessionResult:
    """One clinician: pick a patient, wait for everyone, then ask ``rounds`` questions."""
    result = SessionResult(patient_id)
    try:
        client = Client(url, auth=auth, verbose=False)
        header = client.predict(patient_id, api_name="/select_patient")[0]
        if patient_id not in header:
            result.failures.append("the header shows another patient")
    except Exception as err:  # a failed session is counted, not fatal to the run
        result.failures.append(f"select: {type(err).__name__}: {err}")
        barrier.abort()
        return result
    barrier.wait()
    for k in range(rounds):
        question = QUESTIONS[(index + k) % len(QUESTIONS)]
        started = time.perf_counter()
        try:
            out = client.predict(question, patient_id, api_name="/ask")
        except Exception as err:
            result.failures.append(f"ask: {type(err).__name__}: {err}")
            continue
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        answer_text, answer_json = out[0], out[-1]
        if not answer_json:
            result.failures.append(f"no answer: {answer_text[:120]}")
            continue
        answer = json.loads(answer_json)
        result.system_ms.append(float(answer.get("timing_ms", {}).get("total", 0.0)))
        answered = answer["patient_id"]
        if answered != patient_id or patient_id not in answer_text:
            result.failures.append(f"asked about {patient_id}, answered about {answered}")
    return result


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def demo_server(store: str | None) -> Iterator[str]:
    """``clinimem demo`` on a free loopback port (its own store unless one is given)."""
    folder = store or tempfile.mkdtemp(prefix="clinimem-bench-")
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    log = Path(tempfile.mkstemp(prefix="clinimem-bench-", suffix=".log")[1])
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "clinimem.cli", "demo", "--store", folder, "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 300
        while True:
            if process.poll() is not None:
                raise SystemExit(f"clinimem demo exited:\n{log.read_text()}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"clinimem demo did not start:\n{log.read_text()}")
            time.sleep(0.5)
        print(f"started clinimem demo at {url} (store {folder})")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running page (default: start `clinimem demo` on a free port)")
    parser.add_argument("--store", help="with no --url: the demo store folder (default: a new temporary one)")
    parser.add_argument("--auth", metavar="USER:PASSWORD", default=os.environ.get("CLINIMEM_AUTH"))
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="questions per session (default 3)")
    args = parser.parse_args(argv)
    auth = tuple(args.auth.split(":", 1)) if args.auth else None

    with demo_server(args.store) if not args.url else _given(args.url) as url:
        status, dropdown = Client(url, auth=auth, verbose=False).predict(api_name="/patients")
        patients = [value for _label, value in dropdown["choices"]]
        if not patients:
            raise SystemExit(f"no patients: {status}")
        print(status)
        barrier = threading.Barrier(args.sessions)
        started = time.perf_counter()
        with ThreadPoolExecutor(args.sessions) as pool:
            futures = [
                pool.submit(run_session, url, auth, patients[i % len(patients)], i, args.rounds, barrier)
                for i in range(args.sessions)
            ]
            results = [f.result() for f in futures]
        wall = time.perf_counter() - started

    latencies = [ms for r in results for ms in r.latencies_ms]
    failures = [f"{r.patient_id[:8]}: {f}" for r in results for f in r.failures]
    print(
        f"{args.sessions} concurrent sessions x {args.rounds} questions over {len(patients)} patients: "
        f"{len(latencies)} answers, {len(failures)} failures, {wall:.1f} s wall"
    )
    if latencies:
        print(
            f"ask latency: p50 {statistics.median(latencies):.0f} ms, p95 {percentile(latencies, 95):.0f} ms, "
            f"max {max(latencies):.0f} ms"
        )
        system = [ms for r in results for ms in r.system_ms]
        print(
            f"of which the answering system itself: p50 {statistics.median(system):.0f} ms, "
            f"p95 {percentile(system, 95):.0f} ms (the rest is queueing, figures and transport)"
        )
    for failure in failures[:20]:
        print("FAIL", failure)
    return 1 if failures or not latencies else 0


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url


if __name__ == "__main__":
    sys.exit(main())
