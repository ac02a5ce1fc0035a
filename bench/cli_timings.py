"""Wall time of ``clinimem patients``, ``timeline`` and ``ask``, cold and with a ``clinimem serve`` running.

    python bench/cli_timings.py --store .clinimem/store --patient ID [--question Q] [--repeat 3]

Each command runs as a user runs it (a new interpreter calling ``clinimem.cli.main``), and
reports the heavy libraries it imported. "cold": no server owns the store, the command opens
it itself. "serve": a ``clinimem serve`` owns the store (started here, on a free loopback
port, and given time to load its answering system); the commands ask it over 127.0.0.1.
Prints a Markdown table (median of ``--repeat`` runs).
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("torch", "transformers", "sentence_transformers", "gradio", "ray", "qdrant_client")
REPO = Path(__file__).resolve().parents[1]


def timed(args: list[str]) -> tuple[float, list[str]]:
    """Seconds of one ``clinimem ARGS`` in a new interpreter, and the heavy modules it imported."""
    code = (
        "import json, sys\n"
        "from clinimem.cli import main\n"
        f"code = main({args!r})\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)), file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"clinimem {' '.join(args)} failed:\n{proc.stderr}")
    return seconds, json.loads(proc.stderr.strip().splitlines()[-1])


def measure(commands: dict[str, list[str]], repeat: int) -> dict[str, tuple[float, list[str]]]:
    out = {}
    for name, args in commands.items():
        runs = [timed(args) for _ in range(repeat)]
        out[name] = (statistics.median(s for s, _ in runs), runs[-1][1])
    return out


def start_server(store: str, wait_s: float) -> subprocess.Popen:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "clinimem.cli", "serve", "--store", store, "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    owner = Path(store) / "clinimem-owner.json"
    deadline = time.monotonic() + wait_s
    while not (owner.exists() and json.loads(owner.read_text())["pid"] == server.pid):
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise SystemExit("clinimem serve did not start")
        time.sleep(0.5)
    return server


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", required=True)
    parser.add_argument("--patient", required=True)
    parser.add_argument("--question", default="What was the most recent body weight?")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--wait", type=float, default=600, help="seconds to wait for the server")
    args = parser.parse_args()
    commands = {
        "patients": ["patients", "--store", args.store],
        "timeline": ["timeline", "--patient", args.patient, "--store", args.store],
        "timeline --kind condition": [
            "timeline", "--patient", args.patient, "--store", args.store, "--kind", "condition",
        ],
        "ask": ["ask", "--patient", args.patient, "--store", args.store, args.question],
    }  # fmt: skip
    cold = measure(commands, args.repeat)
    server = start_server(str(Path(args.store).resolve()), args.wait)
    try:
        timed(commands["ask"])  # the first question waits for the server to load its answering system
        served = measure(commands, args.repeat)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    print("| command | cold (s) | imported cold | serve running (s) | imported |\n|---|---|---|---|---|")
    for name in commands:
        (c, c_heavy), (s, s_heavy) = cold[name], served[name]
        print(
            f"| `clinimem {name}` | {c:.2f} | {', '.join(c_heavy) or '-'} | {s:.2f} | {', '.join(s_heavy) or '-'} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
