#!/usr/bin/env bash
# Create (or update) the clinimem-secrets Secret from this shell's environment.
# Credentials never live in a file of this repository nor on a command line:
#
#   export CLINIMEM_QDRANT_API_KEY="$(openssl rand -hex 32)"
#   export CLINIMEM_FHIR_TOKEN=...           # bearer token of your FHIR server
#   export RAY_AUTH_TOKEN="$(openssl rand -hex 32)"
#   export CLINIMEM_AUTH='doctor:...'        # optional: login of the page
#   deploy/k8s/create-secrets.sh
set -euo pipefail
namespace="${NAMESPACE:-clinimem}"
: "${CLINIMEM_QDRANT_API_KEY:?set CLINIMEM_QDRANT_API_KEY}"
: "${CLINIMEM_FHIR_TOKEN:?set CLINIMEM_FHIR_TOKEN}"
: "${RAY_AUTH_TOKEN:?set RAY_AUTH_TOKEN}"

kubectl get namespace "$namespace" >/dev/null 2>&1 || kubectl create namespace "$namespace"
# --from-file reads process substitutions, so the values never appear in `ps`.
args=(
  --from-file=qdrant-api-key=<(printf %s "$CLINIMEM_QDRANT_API_KEY")
  --from-file=fhir-token=<(printf %s "$CLINIMEM_FHIR_TOKEN")
  --from-file=ray-auth-token=<(printf %s "$RAY_AUTH_TOKEN")
)
if [ -n "${CLINIMEM_AUTH:-}" ]; then
  args+=(--from-file=ui-auth=<(printf %s "$CLINIMEM_AUTH"))
fi
kubectl -n "$namespace" create secret generic clinimem-secrets "${args[@]}" \
  --dry-run=client -o yaml | kubectl apply -f -
