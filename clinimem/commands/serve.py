"""``clinimem serve``: the clinician Q&A page on 127.0.0.1:7860.

A missing or locked store does not stop the page: it starts and says so, so a
clinician sees a clear message rather than a dead link.
"""

from __future__ import annotations

import argparse
import logging
import os
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

from clinimem.settings import Settings, add_store_arguments

if TYPE_CHECKING:
    from clinimem.api import Clinimem

log = logging.getLogger(__name__)

AUTH_ENV = "CLINIMEM_AUTH"


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """--host, --port and --auth (shared with ``clinimem demo``)."""
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
    )
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument(
        "--auth",
        metavar="USER:PASSWORD",
        help=f"require this login (prefer ${AUTH_ENV}: a flag stays in the shell history)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_server_arguments(parser)
    add_store_arguments(parser)


def login(args: argparse.Namespace) -> tuple[str, str] | None:
    """The login from --auth, else $CLINIMEM_AUTH, else none."""
    from clinimem.errors import ClinimemError
    from clinimem.ui.login import parse_auth

    text = args.auth or os.environ.get(AUTH_ENV)
    try:
        return parse_auth(text)
    except ValueError as err:
        raise ClinimemError(
            str(err), hint=f"pass --auth user:password or set {AUTH_ENV}=user:password"
        ) from err


def warn_if_exposed(host: str) -> None:
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning(
            "serving on %s: the page is reachable from other machines; use --auth and TLS in front", host
        )


def run(args: argparse.Namespace) -> int:
    from clinimem.api import Clinimem
    from clinimem.errors import StoreError
    from clinimem.ui.app import serve

    credentials = login(args)
    warn_if_exposed(args.host)
    settings = Settings.from_args(args)
    engine, problem = None, None
    try:
        engine = Clinimem(settings.open_store())
        engine.store.patients()  # open it now: a locked folder is reported here, not on first click
    except StoreError as err:
        engine, problem = None, f"The memory store is not loaded: {err}"
        log.warning("starting without a store: %s", err)
    print(
        f"clinimem: serving on http://{args.host}:{args.port}" + (" (login required)" if credentials else ""),
        flush=True,
    )
    with owner_channel(engine, settings.store_location):
        serve(engine, host=args.host, port=args.port, auth=credentials, problem=problem)
    return 0


def owner_channel(engine: Clinimem | None, store_folder: str | None) -> AbstractContextManager[object]:
    """While serving an embedded store folder, answer ``patients``, ``timeline``, ``ask`` on loopback."""
    if engine is None or not store_folder or store_folder == ":memory:":
        return nullcontext()
    from clinimem.memory.remote import RemoteStore
    from clinimem.owner import OwnerServer

    if isinstance(engine.store, RemoteStore):
        # Another process owns the folder and serves it (this page reads through it): its
        # owner file stays the one the other commands find.
        return nullcontext()

    return OwnerServer(engine, store_folder, warm=True)
