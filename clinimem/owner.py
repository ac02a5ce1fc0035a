"""The process that owns an embedded store answers the command line over loopback.

An embedded store folder is locked by the one process that opened it. While
``clinimem serve`` or ``clinimem demo`` owns it, ``clinimem patients``,
``timeline`` and ``ask`` ask that process instead: no lock error, and no second
load of the store and the models (the answer comes in the time of the answer).

The owner listens on 127.0.0.1 only, on a port the system picks, and writes
``<store>/clinimem-owner.json`` (mode 0600: pid, port, a random token). A request
carries the token, so only a user who can read that file (the folder's owner) is
answered. The client side (:func:`ask_owner`) uses the standard library only and
imports neither the store nor any model: it is what keeps those commands fast.
A missing, stale (its process is gone) or unreachable owner means "read the
store here", as before.

The owner also serves the store itself (``store.*`` operations) to
:class:`~clinimem.memory.remote.RemoteStore`: a screening job reads patients through it and
an ingest writes through it (one staged load at a time), while the page keeps answering from
the same store in the same process. What those operations do, and their wire format, is the
memory's (:class:`~clinimem.memory.remote.StoreService`); this module carries them and imports
nothing of the memory, so the store may look up its owner here without a circle.
"""

from __future__ import annotations

import contextlib
import hmac
import http.client
import json
import logging
import os
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clinimem import errors

if TYPE_CHECKING:
    from clinimem.api import Clinimem
    from clinimem.settings import Settings

log = logging.getLogger(__name__)

OWNER_FILE = "clinimem-owner.json"
TOKEN_HEADER = "X-Clinimem-Token"
HOST = "127.0.0.1"
OPERATIONS = ("patients", "timeline", "ask")
STORE_OPERATIONS = (
    "store.patients",
    "store.patient",
    "store.read",
    "store.concepts",
    "store.put_concepts",
    "store.source",
    "store.count",
    "store.search",
    "store.begin",
    "store.write",
    "store.commit",
    "store.end",
)
ASK_TIMEOUT_S = 600.0  # a first question may wait for the owner to load its models
# An ingest's batch (2,000 resources with their JSON and entries) is a few MB of JSON.
MAX_BODY = 256 << 20


def owner_file(store_folder: str | Path) -> Path:
    return Path(store_folder) / OWNER_FILE


def _error_payload(err: errors.ClinimemError) -> dict[str, Any]:
    return {
        "class": type(err).__name__,
        "message": err.message,
        "file": err.file,
        "resource": err.resource,
        "path": err.path,
        "hint": err.hint,
    }


def _raise_error(payload: dict[str, Any]) -> None:
    cls = getattr(errors, str(payload.get("class")), None)
    if not (isinstance(cls, type) and issubclass(cls, errors.ClinimemError)):
        cls = errors.ClinimemError
    raise cls(
        str(payload.get("message") or "the store's owner process failed"),
        file=payload.get("file"),
        resource=payload.get("resource"),
        path=payload.get("path"),
        hint=payload.get("hint"),
    )


class OwnerServer:
    """Answers ``patients``, ``timeline`` and ``ask`` for ``engine`` on 127.0.0.1 (a context manager)."""

    def __init__(self, engine: Clinimem, store_folder: str | Path, *, warm: bool = False) -> None:
        self.engine = engine
        self.warm = warm  # load the answering system in the background at start: a first `ask` is fast
        self.path = owner_file(store_folder)
        self.token = secrets.token_urlsafe(32)
        # the store.* operations: the server side of memory.remote's RemoteStore, made by the store
        self.store_service = engine.store.service()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the owner server is not started")
        return int(self._server.server_address[1])

    def start(self) -> OwnerServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
                log.debug("owner: " + format, *args)  # no patient ids in logs below DEBUG

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                status, body = owner.handle(self.path, self.headers.get(TOKEN_HEADER, ""), self._body())
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(min(length, MAX_BODY))

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="clinimem-owner", daemon=True)
        self._thread.start()
        if self.warm:
            threading.Thread(target=self._warm, name="clinimem-warm", daemon=True).start()
        self._write_file()
        return self

    def _warm(self) -> None:
        try:
            self.engine.system()
        except Exception as err:  # the first question will say what is wrong
            log.warning("could not load the answering system ahead of the first question: %s", err)

    def _write_file(self) -> None:
        record = {"pid": os.getpid(), "host": HOST, "port": self.port, "token": self.token}
        partial = self.path.with_name(f".{OWNER_FILE}.{os.getpid()}")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(record, out)
        os.replace(partial, self.path)

    def close(self) -> None:
        self.store_service.close()
        with contextlib.suppress(OSError, ValueError):
            if json.loads(self.path.read_text(encoding="utf-8")).get("token") == self.token:
                self.path.unlink()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> OwnerServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def handle(self, path: str, token: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """``(HTTP status, JSON reply)`` for one request; the reply of an operation is ``{"ok": ...}``."""
        if not hmac.compare_digest(token.encode("utf-8"), self.token.encode("utf-8")):
            return 403, {"error": {"class": "ClinimemError", "message": "wrong or missing token"}}
        operation = path.strip("/").removeprefix("v1/")
        if operation not in OPERATIONS and operation not in STORE_OPERATIONS:
            return 404, {"error": {"class": "ClinimemError", "message": f"no operation {operation!r}"}}
        try:
            params = json.loads(body or b"{}")
            return 200, {"ok": self._run(operation, params)}
        except errors.ClinimemError as err:
            return 200, {"error": _error_payload(err)}
        except (ValueError, KeyError, TypeError) as err:
            return 400, {"error": {"class": "ClinimemError", "message": f"bad request: {err}"}}
        except Exception as err:  # the page keeps serving; the command says what failed
            log.exception("owner: %s failed", operation)
            return 500, {"error": {"class": "ClinimemError", "message": f"{type(err).__name__}: {err}"}}

    def _run(self, operation: str, params: dict[str, Any]) -> Any:
        engine = self.engine
        if operation.startswith("store."):
            return self.store_service.run(operation.removeprefix("store."), params)
        if operation == "patients":
            return [dict(p.__dict__) for p in engine.patients()]
        if operation == "timeline":
            return [e.payload() for e in engine.store.entries(str(params["patient_id"]))]
        answer = engine.ask(str(params["patient_id"]), str(params["question"]), system=params.get("system"))
        return answer.to_dict()


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs (one of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_of(settings: Settings) -> dict[str, Any] | None:
    """The owner record of the settings' embedded store folder, if a live process wrote one."""
    if settings.qdrant_url or settings.store == ":memory:":
        return None
    return owner_record(settings.store)


def owner_record(store_folder: str | Path) -> dict[str, Any] | None:
    """The owner record of an embedded store folder, if a live process other than this one wrote it."""
    try:
        record = json.loads(owner_file(store_folder).read_text(encoding="utf-8"))
        pid, port, token = int(record["pid"]), int(record["port"]), str(record["token"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if pid == os.getpid() or not process_alive(pid):
        return None
    return {"pid": pid, "port": port, "token": token}


def ask_owner(
    settings: Settings, operation: str, params: dict[str, Any] | None = None, *, timeout: float | None = None
) -> Any | None:
    """The owner's answer to ``operation``; None when no owner process answers (read the store here).

    An error the owner reports (an unknown patient, an empty question) is raised here as the
    same :class:`~clinimem.errors.ClinimemError`.
    """
    record = owner_of(settings)
    if record is None:
        return None
    try:
        reply = _post(
            record, operation, params or {}, timeout or (ASK_TIMEOUT_S if operation == "ask" else 60.0)
        )
    except (OSError, ValueError, http.client.HTTPException) as err:
        log.info("the store's owner process (pid %d) did not answer: %s", record["pid"], err)
        return None
    if "error" in reply:
        _raise_error(reply["error"])
    return reply.get("ok")


def call_owner(
    record: dict[str, Any], operation: str, params: dict[str, Any], *, timeout: float, folder: str | None
) -> Any:
    """The owner's answer to a ``store.*`` operation; an owner that does not answer is an error here.

    A store that was reached through its owner cannot fall back to opening the folder: the
    owner still holds it, and a load half sent must not be taken for a finished one.
    """
    try:
        reply = _post(record, operation, params, timeout)
    except (OSError, ValueError, http.client.HTTPException) as err:
        raise errors.StoreError(
            f"the clinimem process {record['pid']} that owns this store did not answer ({err})",
            file=folder,
            hint="check that it still runs (`clinimem serve`), then run this command again",
        ) from err
    if "error" in reply:
        _raise_error(reply["error"])
    return reply.get("ok")


def _post(record: dict[str, Any], operation: str, params: dict[str, Any], timeout: float) -> dict[str, Any]:
    body = json.dumps(params).encode("utf-8")
    connection = http.client.HTTPConnection(HOST, record["port"], timeout=timeout)
    try:
        connection.request(
            "POST",
            f"/v1/{operation}",
            body=body,
            headers={TOKEN_HEADER: record["token"], "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        return dict(json.loads(response.read() or b"{}"))
    finally:
        connection.close()
