"""Create clinimem's collections on a Qdrant cluster, sharded and replicated.

Run once by the Job in qdrant-init.yaml (the clinimem image has qdrant-client and
clinimem). ``MemoryStore`` creates missing collections itself, with one shard; this
creates them first with ``shard_number`` and ``replication_factor`` and the payload
indexes that ``MemoryStore`` makes on a server, and leaves existing ones alone.

Environment: CLINIMEM_QDRANT_URL, CLINIMEM_QDRANT_API_KEY, CLINIMEM_PREFIX (default
clinimem), QDRANT_SHARDS (default 6), QDRANT_REPLICAS (default 2).
"""

from __future__ import annotations

import os
import sys
from typing import Any


def create_collections(
    client: Any, prefix: str = "clinimem", shards: int = 6, replicas: int = 2
) -> list[str]:
    """Create the missing collections; return the names created."""
    from qdrant_client import models

    from clinimem.memory.store import ENTRY_INDEXES, VECTOR_SIZE

    schemas: dict[str, Any] = {
        "keyword": models.PayloadSchemaType.KEYWORD,
        "datetime": models.PayloadSchemaType.DATETIME,
        "tenant": models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=True),
    }

    existing = {c.name for c in client.get_collections().collections}
    vectors = models.VectorParams(size=VECTOR_SIZE, distance=models.Distance.COSINE)
    plan = {
        f"{prefix}_entries": (vectors, shards),
        f"{prefix}_patients": ({}, shards),  # one payload-only point per patient: its manifest
        f"{prefix}_roster": ({}, 1),  # one small point per patient: what the patient list shows
        f"{prefix}_concepts": (vectors, 1),  # a few thousand concept vectors: one shard, replicated
        # loads in progress (MemoryStore's staging): one record per loading patient, and the new
        # contents of entries a load replaces until it is published
        f"{prefix}_loads": ({}, 1),
        f"{prefix}_staging": (vectors, shards),
    }
    made = []
    for name, (vectors_config, shard_number) in plan.items():
        if name in existing:
            continue
        client.create_collection(
            name,
            vectors_config=vectors_config,
            shard_number=shard_number,
            replication_factor=replicas,
            write_consistency_factor=1,
        )
        made.append(name)
        if name.endswith("_entries"):
            # the store's own index list: the schema lives once (clinimem.memory.store)
            for field, schema in ENTRY_INDEXES:
                client.create_payload_index(name, field, field_schema=schemas[schema])
    return made


def main() -> int:
    from qdrant_client import QdrantClient

    url = os.environ.get("CLINIMEM_QDRANT_URL")
    if not url:
        print("qdrant_init: set CLINIMEM_QDRANT_URL", file=sys.stderr)
        return 2
    client = QdrantClient(url=url, api_key=os.environ.get("CLINIMEM_QDRANT_API_KEY"), timeout=60)
    made = create_collections(
        client,
        prefix=os.environ.get("CLINIMEM_PREFIX", "clinimem"),
        shards=int(os.environ.get("QDRANT_SHARDS", "6")),
        replicas=int(os.environ.get("QDRANT_REPLICAS", "2")),
    )
    print(f"qdrant_init: created {', '.join(made) or 'nothing (all collections exist)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
