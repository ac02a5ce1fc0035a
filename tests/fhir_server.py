"""A small FHIR R4 server over real HTTP, for the connector tests.

It serves Synthea transaction bundles as a FHIR server would after loading
them: ``urn:uuid:`` references rewritten to ``Type/id``, absolute fullUrls,
searchset pages with ``link[next]``, ``Patient/{id}/$everything``, per-type
search by ``patient``/``subject``, Bulk Data ``$export`` (kick-off, status,
NDJSON files, byte ranges on request) and a ``metadata`` CapabilityStatement.
Switches turn ``$everything`` off, require a bearer token, make the export
manifest's ``count`` lie, and inject 429/503 answers or cut-off bodies (with or
without a Content-Length, torn mid-line or at a line's end) on calls of a path.

Stdlib only (``http.server`` in a thread), bound to 127.0.0.1 on a free port.

Example::

    with FhirTestServer(Path("data/synthea-r4")) as server:
        server.inject("Patient", status=429, times=1, retry_after="0")
        httpx.get(f"{server.base_url}/Patient")  # 429, then 200 on the next call
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

BASE_PATH = "/fhir"
FHIR_JSON = "application/fhir+json"
NDJSON = "application/fhir+ndjson"
_TYPE_NAME = re.compile(r"^[A-Z][A-Za-z]+$")


@dataclass(frozen=True)
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str  # below the base, e.g. "Patient/123/$everything"
    query: dict[str, str]
    authorization: str | None
    range: str | None = None  # the Range header, if any


@dataclass
class Fault:
    """Answer ``status`` (0: cut the body off mid-way) on ``times`` calls of a path, after ``skip`` good ones.

    ``cut`` says how a body is cut: ``"short"`` promises the whole length (Content-Length)
    and drops the connection halfway; ``"close"`` sends no Content-Length and closes after
    half, so the client sees a clean end; ``"line"`` is ``"close"`` at the end of the last
    whole line before half (nothing torn, lines missing).
    """

    status: int
    times: int
    retry_after: str | None = None
    cut: str = "short"
    skip: int = 0


@dataclass
class ExportJob:
    kickoff_url: str
    resources: list[dict[str, Any]]
    polls_left: int
    files: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def load_bundles(
    bundle_dir: Path,
) -> tuple[dict[str, list[dict[str, Any]]], dict[tuple[str, str], dict[str, Any]]]:
    """Read transaction bundles: (patient id -> its resources in bundle order, (type, id) -> resource).

    References are rewritten from ``urn:uuid:`` to ``Type/id``, as a server does on a transaction.
    """
    raw = [json.loads(path.read_text()) for path in sorted(bundle_dir.glob("*.json"))]
    urns = {
        entry["fullUrl"]: f"{entry['resource']['resourceType']}/{entry['resource']['id']}"
        for bundle in raw
        for entry in bundle["entry"]
        if entry.get("fullUrl")
    }
    records: dict[str, list[dict[str, Any]]] = {}
    resources: dict[tuple[str, str], dict[str, Any]] = {}
    for bundle in raw:
        own = [_rewrite(entry["resource"], urns) for entry in bundle["entry"]]
        patient = next(r for r in own if r["resourceType"] == "Patient")
        records[patient["id"]] = own
        for resource in own:
            resources[(resource["resourceType"], resource["id"])] = resource
    return records, resources


def _rewrite(value: Any, urns: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {
            k: (urns.get(v, v) if k == "reference" and isinstance(v, str) else _rewrite(v, urns))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_rewrite(v, urns) for v in value]
    return value


def _patient_refs(value: Any, found: set[str]) -> set[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "reference" and isinstance(v, str) and v.startswith("Patient/"):
                found.add(v.split("/", 1)[1])
            else:
                _patient_refs(v, found)
    elif isinstance(value, list):
        for v in value:
            _patient_refs(v, found)
    return found


def outcome(code: str, diagnostics: str, severity: str = "error") -> dict[str, Any]:
    """An OperationOutcome with one issue."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


class FhirTestServer:
    """The server, its data and its switches. Switch attributes may change while it runs."""

    def __init__(self, bundle_dir: Path, *, page_size: int = 50) -> None:
        self.records, self.resources = load_bundles(bundle_dir)
        # (type, patient id) -> ids, for per-type search; a resource belongs to every patient it references.
        self._by_patient: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._patients_of: dict[tuple[str, str], set[str]] = {}
        for (rtype, rid), resource in self.resources.items():
            refs = {resource["id"]} if rtype == "Patient" else _patient_refs(resource, set())
            self._patients_of[(rtype, rid)] = refs
            for pid in refs:
                self._by_patient[(rtype, pid)].append(rid)
        self.default_page_size = page_size
        self._lock = threading.Lock()
        self._jobs: dict[str, ExportJob] = {}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    def reset(self) -> None:
        """Switches back to their defaults; request log and faults cleared."""
        with self._lock:
            self.page_size = self.default_page_size
            self.everything_status: int | None = None  # e.g. 404: $everything is "not supported"
            self.token: str | None = None  # required bearer token, if any
            self.relative_links = False  # next links relative to the base instead of absolute
            self.export_polls = 1  # 202 answers before the manifest
            self.export_retry_after = "0"
            self.export_file_lines = 1000  # an output type is split into files of this many lines
            self.export_count_extra = 0  # added to the manifest's count of the files below (a lying server)
            self.export_count_files = "*"  # which files' counts lie (a name pattern)
            self.export_ranges = False  # files offer byte ranges (Accept-Ranges, 206 on Range)
            self.export_errors: list[dict[str, Any]] = []  # OperationOutcomes listed in the manifest's error
            self.requests: list[Recorded] = []
            self._faults: dict[str, Fault] = {}
            self._jobs.clear()

    def inject(
        self,
        path: str,
        *,
        status: int,
        times: int = 1,
        retry_after: str | None = None,
        cut: str = "short",
        skip: int = 0,
    ) -> None:
        """Answer ``status`` on ``times`` calls of ``path`` (below the base, no query) after ``skip`` good ones.

        ``path`` may hold ``*`` (``$export-files/*/Observation-0.ndjson``: that file of any export job).

        ``status=0`` sends the headers and half the body, then closes the connection (see :class:`Fault`).
        """
        assert cut in ("short", "close", "line"), cut
        with self._lock:
            self._faults[path] = Fault(
                status=status, times=times, retry_after=retry_after, cut=cut, skip=skip
            )

    def calls(self, path: str) -> list[Recorded]:
        """The recorded requests for ``path``."""
        return [r for r in self.requests if r.path == path]

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{BASE_PATH}"

    def start(self) -> FhirTestServer:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        handler = type("Handler", (_Handler,), {"app": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="fhir-test-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FhirTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling (called from the handler threads) --------------------------------------------

    def take_fault(self, path: str) -> Fault | None:
        with self._lock:
            fault = self._faults.get(path) or next(
                (f for key, f in self._faults.items() if "*" in key and fnmatch.fnmatchcase(path, key)), None
            )
            if fault is None or fault.times <= 0:
                return None
            if fault.skip > 0:
                fault.skip -= 1
                return None
            fault.times -= 1
            return fault

    def record(self, entry: Recorded) -> None:
        with self._lock:
            self.requests.append(entry)

    def searchset(self, path: str, query: dict[str, str], resources: list[dict[str, Any]]) -> dict[str, Any]:
        """One page of ``resources`` as a searchset Bundle, with self and next links."""
        count = int(query.get("_count") or self.page_size)
        offset = int(query.get("_offset") or 0)
        page = resources[offset : offset + count]

        def link(at: int) -> str:
            target = f"{path}?{urlencode({**query, '_offset': str(at), '_count': str(count)})}"
            return target if self.relative_links else f"{self.base_url}/{target}"

        links = [{"relation": "self", "url": link(offset)}]
        if offset + count < len(resources):
            links.append({"relation": "next", "url": link(offset + count)})
        return {
            "resourceType": "Bundle",
            "id": uuid.uuid4().hex,
            "type": "searchset",
            "total": len(resources),
            "link": links,
            "entry": [
                {
                    "fullUrl": f"{self.base_url}/{r['resourceType']}/{r['id']}",
                    "resource": r,
                    "search": {"mode": "match"},
                }
                for r in page
            ],
        }

    def patient_resources(self, rtype: str, patient_id: str) -> list[dict[str, Any]]:
        return [self.resources[(rtype, rid)] for rid in self._by_patient.get((rtype, patient_id), [])]

    def compartment(self, patient_ids: list[str]) -> list[dict[str, Any]]:
        """The resources of these patients' compartments (no Organization/Practitioner), each once."""
        wanted = set(patient_ids)
        return [r for key, r in self.resources.items() if self._patients_of[key] & wanted]

    def new_job(self, kickoff_url: str, resources: list[dict[str, Any]]) -> str:
        job_id = uuid.uuid4().hex
        by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in resources:
            by_type[r["resourceType"]].append(r)
        job = ExportJob(kickoff_url=kickoff_url, resources=resources, polls_left=self.export_polls)
        for rtype, items in sorted(by_type.items()):
            for n, start in enumerate(range(0, len(items), self.export_file_lines)):
                job.files[f"{rtype}-{n}.ndjson"] = items[start : start + self.export_file_lines]
        if self.export_errors:
            job.files["errors.ndjson"] = list(self.export_errors)
        with self._lock:
            self._jobs[job_id] = job
        return job_id

    def job(self, job_id: str) -> ExportJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def drop_job(self, job_id: str) -> bool:
        with self._lock:
            return self._jobs.pop(job_id, None) is not None

    def capability(self) -> dict[str, Any]:
        types = sorted({rtype for rtype, _ in self.resources} | {"DocumentReference", "Group"})
        operations = [
            {"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"}
        ]
        return {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": datetime.now(UTC).isoformat(),
            "kind": "instance",
            "fhirVersion": "4.0.1",
            "format": ["json"],
            "rest": [
                {
                    "mode": "server",
                    "resource": [
                        {
                            "type": t,
                            "interaction": [{"code": "read"}, {"code": "search-type"}],
                            "searchParam": [{"name": "patient", "type": "reference"}],
                            **(
                                {"operation": [{"name": "everything", "definition": "Patient-everything"}]}
                                if t == "Patient" and self.everything_status is None
                                else {}
                            ),
                        }
                        for t in types
                    ],
                    "operation": operations,
                }
            ],
        }


class _Handler(BaseHTTPRequestHandler):
    app: FhirTestServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, each keep-alive request waits 40 ms.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # keep pytest output clean

    # -- plumbing --------------------------------------------------------------------------------------

    def _send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = FHIR_JSON,
        headers: dict[str, str] | None = None,
        cut: str | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if cut in (None, "short"):
            self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if cut:
            self.send_header("Connection", "close")
        self.end_headers()
        if cut:
            # Half the body, then the connection closes: with the whole length promised ("short")
            # the client sees a broken download; without it, a body that just ends early.
            half = body[: len(body) // 2]
            if cut == "line":
                half = half[: half.rfind(b"\n") + 1]
            self.wfile.write(half)
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        # A cut fault cuts JSON answers too (a 200 whose body ends early), once it is the route's answer.
        cut, self._cut = self._cut, None
        self._send(status, json.dumps(obj).encode(), headers=headers, cut=cut if status == 200 else None)

    def _outcome(self, status: int, code: str, text: str, headers: dict[str, str] | None = None) -> None:
        self._json(status, outcome(code, text), headers)

    def _handle(self, method: str) -> None:
        self._cut: str | None = None
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        auth = self.headers.get("Authorization")
        if method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            self._body = self.rfile.read(length) if length else b""
        if not path.startswith(BASE_PATH + "/") and path != BASE_PATH:
            self._outcome(404, "not-found", f"no FHIR base at {path}")
            return
        rel = path[len(BASE_PATH) :].strip("/")
        app = self.app
        app.record(
            Recorded(
                method=method, path=rel, query=query, authorization=auth, range=self.headers.get("Range")
            )
        )
        if app.token is not None and auth != f"Bearer {app.token}":
            self._outcome(401, "login", "a valid bearer token is required", {"WWW-Authenticate": "Bearer"})
            return
        fault = app.take_fault(rel)
        if fault is not None and fault.status:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            self._outcome(fault.status, "transient", f"injected HTTP {fault.status}", headers)
            return
        self._cut = fault.cut if fault is not None else None  # status 0: serve, but cut the body off
        self._route(method, rel, query)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        self._handle("POST")

    def do_DELETE(self) -> None:  # noqa: N802 - stdlib name
        self._handle("DELETE")

    # -- routes ----------------------------------------------------------------------------------------

    def _route(self, method: str, rel: str, query: dict[str, str]) -> None:
        app = self.app
        seg = rel.split("/") if rel else []
        if seg and seg[-1] == "$export":
            self._kickoff(method, seg, query)
            return
        if method == "DELETE" and len(seg) == 2 and seg[0] == "$export-status":
            self._send(202 if app.drop_job(seg[1]) else 404)
            return
        if method != "GET":
            self._outcome(405, "not-supported", f"{method} is not supported on {rel}")
            return
        if seg == ["metadata"]:
            self._json(200, app.capability())
        elif len(seg) == 2 and seg[0] == "$export-status":
            self._status(seg[1])
        elif len(seg) == 3 and seg[0] == "$export-files":
            self._file(seg[1], seg[2])
        elif len(seg) == 3 and seg[0] == "Patient" and seg[2] == "$everything":
            self._everything(seg[1], rel, query)
        elif len(seg) == 1 and seg[0] == "Patient":
            self._patient_search(rel, query)
        elif len(seg) == 1 and _TYPE_NAME.match(seg[0]):
            self._type_search(seg[0], rel, query)
        elif len(seg) == 2 and _TYPE_NAME.match(seg[0]):
            resource = app.resources.get((seg[0], seg[1]))
            if resource is None:
                self._outcome(404, "not-found", f"{seg[0]}/{seg[1]} is not known")
            else:
                self._json(200, resource)
        else:
            self._outcome(404, "not-found", f"no route for {rel}")

    def _everything(self, patient_id: str, rel: str, query: dict[str, str]) -> None:
        app = self.app
        if app.everything_status is not None:
            self._outcome(app.everything_status, "not-supported", "$everything is not supported")
            return
        record = app.records.get(patient_id)
        if record is None:
            self._outcome(404, "not-found", f"Patient/{patient_id} is not known")
            return
        self._json(200, app.searchset(rel, query, record))

    def _patient_search(self, rel: str, query: dict[str, str]) -> None:
        patients = [r for (t, _), r in self.app.resources.items() if t == "Patient"]
        if "_id" in query:
            wanted = set(query["_id"].split(","))
            patients = [p for p in patients if p["id"] in wanted]
        if "family" in query:
            family = query["family"].lower()
            patients = [
                p
                for p in patients
                if any(n.get("family", "").lower().startswith(family) for n in p.get("name", []))
            ]
        if "gender" in query:
            patients = [p for p in patients if p.get("gender") == query["gender"]]
        self._json(200, self.app.searchset(rel, query, patients))

    def _type_search(self, rtype: str, rel: str, query: dict[str, str]) -> None:
        ref = query.get("patient") or query.get("subject")
        if ref is None:
            self._outcome(400, "not-supported", f"this server searches {rtype} by patient or subject only")
            return
        patient_id = ref.split("/", 1)[1] if ref.startswith("Patient/") else ref
        self._json(200, self.app.searchset(rel, query, self.app.patient_resources(rtype, patient_id)))

    def _kickoff(self, method: str, seg: list[str], query: dict[str, str]) -> None:
        app = self.app
        if self.headers.get("Prefer") != "respond-async":
            self._outcome(400, "invalid", "the kick-off request needs Prefer: respond-async")
            return
        types = query.get("_type")
        patients: list[str] | None = None
        if method == "POST":
            body = json.loads(self._body or b"{}")
            params = body.get("parameter") or []
            patients = [
                p["valueReference"]["reference"].split("/", 1)[1]
                for p in params
                if p.get("name") == "patient"
            ] or None
            types = next((p["valueString"] for p in params if p.get("name") == "_type"), types)
        elif method != "GET":
            self._outcome(405, "not-supported", f"{method} is not supported for $export")
            return
        if seg == ["$export"]:
            resources = list(app.resources.values())
        elif seg == ["Patient", "$export"]:
            resources = app.compartment(patients or list(app.records))
        elif len(seg) == 3 and seg[0] == "Group" and seg[1] == "all":
            # One group, "all", holds every patient.
            resources = app.compartment(patients or list(app.records))
        else:
            self._outcome(404, "not-found", f"no such export: {'/'.join(seg)}")
            return
        if types:
            wanted = set(types.split(","))
            resources = [r for r in resources if r["resourceType"] in wanted]
        job_id = app.new_job(f"{app.base_url}/{'/'.join(seg)}", resources)
        self._send(202, b"", headers={"Content-Location": f"{app.base_url}/$export-status/{job_id}"})

    def _status(self, job_id: str) -> None:
        app = self.app
        job = app.job(job_id)
        if job is None:
            self._outcome(404, "not-found", f"no export job {job_id}")
            return
        if job.polls_left > 0:
            job.polls_left -= 1
            self._send(202, b"", headers={"X-Progress": "in progress", "Retry-After": app.export_retry_after})
            return
        files = [
            {
                "type": items[0]["resourceType"],
                "url": f"{app.base_url}/$export-files/{job_id}/{name}",
                "count": len(items)
                + (app.export_count_extra if fnmatch.fnmatchcase(name, app.export_count_files) else 0),
            }
            for name, items in job.files.items()
            if name != "errors.ndjson"
        ]
        errors = (
            [{"type": "OperationOutcome", "url": f"{app.base_url}/$export-files/{job_id}/errors.ndjson"}]
            if "errors.ndjson" in job.files
            else []
        )
        manifest = {
            "transactionTime": datetime.now(UTC).isoformat(),
            "request": job.kickoff_url,
            "requiresAccessToken": app.token is not None,
            "output": files,
            "error": errors,
        }
        self._json(200, manifest)

    def _file(self, job_id: str, name: str) -> None:
        job = self.app.job(job_id)
        items = job.files.get(name) if job else None
        if items is None:
            self._outcome(404, "not-found", f"no export file {job_id}/{name}")
            return
        body = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in items).encode()
        headers = {"Accept-Ranges": "bytes"} if self.app.export_ranges else {}
        asked = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if asked and self.app.export_ranges:
            start = int(asked.group(1))
            if start >= len(body):
                self._send(416, b"", headers={"Content-Range": f"bytes */{len(body)}"})
                return
            headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
            self._send(206, body[start:], content_type=NDJSON, headers=headers, cut=self._cut)
            return
        self._send(200, body, content_type=NDJSON, headers=headers, cut=self._cut)
