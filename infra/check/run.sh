#!/usr/bin/env bash
# Offline validation of infra/ (run by ctest as infra.check and infra.check_self_test):
# yamllint, `kubectl kustomize` of every overlay, then check.mjs (schemas of every rendered
# object, Terraform parsed from HCL, the compose schema, the Dockerfile linted).
#   infra/check/run.sh WORKDIR [--self-test]
# WORKDIR gets the npm validators (installed from the lock file) and the rendered overlays.
# Exit 77 (skipped) when a tool it cannot install itself is missing: kubectl or node.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${1:?usage: run.sh WORKDIR [--self-test]}
shift
for tool in node npm kubectl yamllint; do
  command -v "$tool" >/dev/null || { echo "infra check skipped: $tool is not installed"; exit 77; }
done
mkdir -p "$work/rendered"
# Install the validators once per lock-file version.
if ! cmp -s "$here/package-lock.json" "$work/package-lock.json" 2>/dev/null || [ ! -d "$work/node_modules" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$work/"
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
fi
cp "$here/check.mjs" "$work/"
yamllint -c "$here/.yamllint" "$root/infra"
echo "ok    yamllint infra/"
for overlay in "$root"/infra/k8s/overlays/*/; do
  name=$(basename "$overlay")
  kubectl kustomize "$overlay" > "$work/rendered/$name.yaml"
done
exec node "$work/check.mjs" "$root" "$work/rendered" "$@"
