"""``--ray ADDRESS`` / ``--ray local``: screen patients on Ray actors.

Each actor builds the answering system once and screens the patients sent to
it. Store ownership is the same as with local processes: with an embedded
store the driver owns the folder, reads each memory and ships it to an actor
(Ray puts it in the object store); with ``--qdrant-url`` actors read the
store themselves and only patient ids travel. ``docs/scale.md`` describes a
multi-node cluster.

``--ray local`` starts a private single-node cluster bound to 127.0.0.1 only.
Ray replaces ``127.0.0.1`` by the address of the network card unless
``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``; with it, the node address is
127.0.0.1 and Ray's own servers (GCS, raylet, object manager, workers) listen
on 127.0.0.1 instead of 0.0.0.0. Token auth is off for this private cluster
(``RAY_AUTH_MODE=disabled``), and so are the dashboard and usage reporting.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from typing import Any

from clinimem.api import Answerer, Clinimem
from clinimem.errors import ClinimemError
from clinimem.screen.evaluate import error_code, failed_row
from clinimem.screen.local import (
    PackedMemory,
    ScreenSpec,
    read_memory,
    screen_memory,
    screen_one,
    worker_engine,
)
from clinimem.screen.rows import ScreenRow
from clinimem.screen.triage import Triage

log = logging.getLogger(__name__)

LOCAL = "local"
LOOPBACK = "127.0.0.1"
IN_FLIGHT_PER_ACTOR = 2


class RayError(ClinimemError):
    code = "ray"


class ScreenActor:
    """Holds one answering system; Ray runs its methods one at a time, in submission order."""

    def __init__(self, spec: ScreenSpec, store_location: str | None) -> None:
        self.spec = spec
        self.engine: Clinimem
        self.answerer: Answerer
        self.engine, self.answerer = worker_engine(spec, store_location)

    def screen_memory(self, packed: PackedMemory) -> ScreenRow:
        return screen_memory(self.spec, self.answerer, packed.unpack())

    def screen_id(self, patient_id: str) -> ScreenRow:
        return screen_one(self.spec, self.engine, self.answerer, patient_id)


def _local_environment() -> None:
    """Keep a local cluster on loopback, before Ray reads its settings."""
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    import ray._private.ray_constants as constants

    # Ray reads this at import: if something imported ray first, set the value it read.
    constants.ENABLE_RAY_CLUSTER = False


def start_ray(address: str, *, num_cpus: int) -> bool:
    """Connect to ``address`` or start a local loopback cluster; True if this call started Ray."""
    if address == LOCAL:
        _local_environment()
    try:
        import ray
    except ImportError as err:
        raise RayError("Ray is not installed", hint="pip install 'clinimem[ray]'") from err
    if ray.is_initialized():
        return False
    try:
        if address == LOCAL:
            ray.init(
                num_cpus=num_cpus,
                include_dashboard=False,
                _node_ip_address=LOOPBACK,
                log_to_driver=False,
                logging_level=logging.WARNING,
            )
            addresses = {n.get("NodeManagerAddress") for n in ray.nodes()}
            if addresses != {LOOPBACK}:
                ray.shutdown()
                raise RayError(f"the local Ray cluster did not stay on loopback: {sorted(addresses)}")
        else:
            ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise RayError(
            f"cannot start or reach Ray at {address!r}: {err}",
            hint="give --ray local, or the address of a running cluster (host:port, ray://host:10001)",
        ) from err
    return True


class RayRunner:
    """Screen on Ray actors; rows come back as they finish."""

    def __init__(
        self,
        spec: ScreenSpec,
        address: str,
        *,
        actors: int | None,
        engine: Clinimem | None,
        store_location: str | None,
    ) -> None:
        self.spec = spec
        self.address = address
        self.engine = engine  # the owner's engine; None when actors read a server themselves
        self.store_location = store_location
        self.started = start_ray(address, num_cpus=actors or 2)
        import ray

        self._ray = ray
        if actors is None:
            actors = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._actor_class = ray.remote(num_cpus=1)(ScreenActor)
        self.actors = [self._new_actor() for _ in range(actors)]
        self._replacements: dict[Any, Any] = {}
        log.info("screening on %d Ray actors (%s)", len(self.actors), address)

    def _new_actor(self) -> Any:
        return self._actor_class.remote(self.spec, self.store_location)

    def _submit(self, actor: Any, patient_id: str) -> Any:
        if self.spec.qdrant_url or self.engine is None:
            return actor.screen_id.remote(patient_id)
        memory = read_memory(self.engine, patient_id)
        return actor.screen_memory.remote(PackedMemory.pack(memory))

    def run(self, patient_ids: Iterable[str]) -> Iterator[ScreenRow]:
        ray = self._ray
        from ray.exceptions import RayActorError

        queue = iter(patient_ids)
        triage = Triage()  # after an actor death, its patients are re-run one at a time
        free = [a for a in self.actors for _ in range(IN_FLIGHT_PER_ACTOR)]
        slots = len(free)
        pending: dict[Any, tuple[str, Any]] = {}
        while True:
            while free and (patient_id := triage.next(queue, in_flight=len(pending), limit=slots)):
                actor = free.pop()
                try:
                    pending[self._submit(actor, patient_id)] = (patient_id, actor)
                except Exception as err:  # the owner could not read this patient
                    free.append(actor)
                    triage.finished(patient_id)
                    log.warning("a patient could not be read: %s", error_code(err))
                    log.debug("patient %s could not be read", patient_id, exc_info=True)
                    yield failed_row(self.spec.criteria, patient_id, err, self.spec.system)
            if not pending:
                if triage.pending_suspects:
                    continue
                return
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                patient_id, actor = pending.pop(ref)
                try:
                    row = ray.get(ref)
                except RayActorError:
                    free.append(self._replace(actor))
                    if not triage.died(patient_id):
                        continue  # a suspect: sent again, alone
                    log.warning("a patient killed the Ray actor screening it: reported as failed")
                    row = failed_row(
                        self.spec.criteria,
                        patient_id,
                        "the Ray screening actor died on this patient",
                        self.spec.system,
                    )
                except Exception as err:  # a task error the actor could not turn into a row
                    free.append(actor)
                    log.warning("a patient failed on Ray: %s", error_code(err))
                    row = failed_row(self.spec.criteria, patient_id, err, self.spec.system)
                else:
                    free.append(actor)
                triage.finished(patient_id)
                yield row

    def _replace(self, dead: Any) -> Any:
        """The fresh actor in place of a dead one; its other in-flight patients fail and come here too."""
        fresh = self._replacements.get(dead)
        if fresh is None:
            log.warning("a Ray screening actor died: starting a fresh one")
            fresh = self._new_actor()
            self._replacements[dead] = fresh
            self.actors = [fresh if a == dead else a for a in self.actors]
        return fresh

    def close(self) -> None:
        ray = self._ray
        for actor in self.actors:
            ray.kill(actor)
        self.actors = []
        if self.started:
            ray.shutdown()
