"""Load check of the clinician page: N concurrent sessions, each asking about its own patient.

    python bench/ui_load.py                      # starts `clinimem demo` on a free port, 20 sessions
    python bench/ui_load.py --url http://127.0.0.1:7860/ [--auth user:password]

Every session speaks the page's own queue protocol, as its browser tab does
(``/gradio_api/queue/join`` and the session's event stream, its own
``session_hash``, so its own server-side state): it picks its patient, then all
sessions ask at the same moment (a barrier), ``--rounds`` questions each. As in
the browser, when an answer arrives the session asks for the panels that follow
it (timeline, trend, hops, card) before its next question; the latency is
from the click to the answer text. Each answer is checked against the
patient that session asked about (the answer JSON's ``patient_id`` and the
patient named in the page's answer); a mismatch fails the run. Prints the
latency of the ask calls (p50/p95/max) and exits 1 on any failure.

``--client gradio`` measures through one gradio_client ``Client`` per session
instead (heavier on the measuring machine's cores; it does not ask for the
panels): the figures of the first version of this bench.
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
import uuid
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


class PageSession:
    """One browser tab's traffic: join the queue with an event, read the session's event stream."""

    def __init__(self, url: str, config: dict, http: httpx.Client) -> None:
        self.url, self.http = url, http
        self.session_hash = uuid.uuid4().hex[:11]
        self.deps = {d.get("api_name"): d for d in config["dependencies"] if d.get("api_name")}
        self.after = {
            d.get("trigger_after"): d for d in config["dependencies"] if d.get("trigger_after") is not None
        }
        self.elem = {c["id"]: (c.get("props") or {}).get("elem_id") for c in config["components"]}

    def call(self, dep: dict, data: list) -> dict[str, object]:
        """Run one event and wait for it; its outputs by elem_id."""
        joined = self.http.post(
            f"{self.url}gradio_api/queue/join",
            json={
                "data": data,
                "event_data": None,
                "fn_index": dep["id"],
                "trigger_id": None,
                "session_hash": self.session_hash,
            },
        )
        joined.raise_for_status()
        return self._outputs(dep, self._result(joined.json()["event_id"]))

    def _result(self, event_id: str) -> dict:
        with self.http.stream(
            "GET", f"{self.url}gradio_api/queue/data", params={"session_hash": self.session_hash}, timeout=300
        ) as events:
            for line in events.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") == event_id and message.get("msg") == "process_completed":
                    if not message.get("success"):
                        raise RuntimeError(str(message.get("output"))[:200])
                    return message["output"]
        raise RuntimeError("the event stream ended before the result")

    def _outputs(self, dep: dict, output: dict) -> dict[str, object]:
        values = output.get("data") or []
        return {self.elem.get(i): v for i, v in zip(dep["outputs"], values, strict=False)}


def _text(value: object) -> str:
    """A component's value as sent: the value itself or an update that carries one."""
    if isinstance(value, dict):
        return str(value.get("value") or "")
    return str(value or "")


def run_session(
    url: str,
    auth: tuple[str, str] | None,
    patient_id: str,
    index: int,
    rounds: int,
    barrier: threading.Barrier,
    config: dict | None = None,
) -> SessionResult:
    """One clinician: pick a patient, wait for everyone, then ask ``rounds`` questions."""
    result = SessionResult(patient_id)
    if config is None:
        return run_gradio_session(url, auth, patient_id, index, rounds, barrier, result)
    http = httpx.Client(timeout=300)
    try:
        tab = PageSession(url, config, http)
        header = _text(tab.call(tab.deps["select_patient"], [patient_id])["patient-header"])
        if patient_id not in header:
            result.failures.append("the header shows another patient")
    except Exception as err:  # a failed session is counted, not fatal to the run
        result.failures.append(f"select: {type(err).__name__}: {err}")
        barrier.abort()
        return result
    barrier.wait()
    ask = tab.deps["ask"]
    panels = tab.after.get(ask["id"])
    for k in range(rounds):
        question = QUESTIONS[(index + k) % len(QUESTIONS)]
        started = time.perf_counter()
        try:
            out = tab.call(ask, [question, patient_id])
        except Exception as err:
            result.failures.append(f"ask: {type(err).__name__}: {err}")
            continue
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        check(result, patient_id, _text(out.get("answer")), _text(out.get("answer-json")))
        if panels is not None:
            # As the browser does once the answer is shown (one event stream per tab: awaited, untimed).
            try:
                tab.call(panels, [None] * len(panels["inputs"]))
            except Exception as err:
                result.failures.append(f"panels: {type(err).__name__}: {err}")
    http.close()
    return result


def run_gradio_session(
    url: str,
    auth: tuple[str, str] | None,
    patient_id: str,
    index: int,
    rounds: int,
    barrier: threading.Barrier,
    result: SessionResult,
) -> SessionResult:
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
        check(result, patient_id, out[0], out[-1])
    return result


def check(result: SessionResult, patient_id: str, answer_text: str, answer_json: str) -> None:
    """The answer is about the session's patient, in its JSON and in the words on the page."""
    if not answer_json:
        result.failures.append(f"no answer: {answer_text[:120]}")
        return
    answer = json.loads(answer_json)
    result.system_ms.append(float(answer.get("timing_ms", {}).get("total", 0.0)))
    answered = answer["patient_id"]
    if answered != patient_id or patient_id not in answer_text:
        result.failures.append(f"asked about {patient_id}, answered about {answered}")


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
    parser.add_argument(
        "--client",
        choices=("page", "gradio"),
        default="page",
        help="how sessions talk to the page (default page)",
    )
    args = parser.parse_args(argv)
    auth = tuple(args.auth.split(":", 1)) if args.auth else None

    with demo_server(args.store) if not args.url else _given(args.url) as url:
        status, dropdown = Client(url, auth=auth, verbose=False).predict(api_name="/patients")
        patients = [value for _label, value in dropdown["choices"]]
        if not patients:
            raise SystemExit(f"no patients: {status}")
        print(status)
        config = None
        if args.client == "page":
            if auth:
                raise SystemExit("--client page does not sign in; use --client gradio with --auth")
            config = httpx.get(f"{url}config", timeout=30).json()
        barrier = threading.Barrier(args.sessions)
        started = time.perf_counter()
        with ThreadPoolExecutor(args.sessions) as pool:
            futures = [
                pool.submit(
                    run_session, url, auth, patients[i % len(patients)], i, args.rounds, barrier, config
                )
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
        for label, picked in (
            ("first question of each session", slice(0, 1)),
            ("later questions", slice(1, None)),
        ):
            part = [ms for r in results for ms in r.latencies_ms[picked]]
            if part:
                print(f"  {label}: p50 {statistics.median(part):.0f} ms, p95 {percentile(part, 95):.0f} ms")
        system = [ms for r in results for ms in r.system_ms]
        print(
            f"of which the answering system itself: p50 {statistics.median(system):.0f} ms, "
            f"p95 {percentile(system, 95):.0f} ms (the rest is queueing and transport)"
        )
    for failure in failures[:20]:
        print("FAIL", failure)
    return 1 if failures or not latencies else 0


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url


if __name__ == "__main__":
    sys.exit(main())
