#!/usr/bin/env bash
# Builds the real Prometheus Operator (cmd/operator) and its config reloader
# (cmd/prometheus-config-reloader) from the Go module pinned in go.mod beside this script, and copies
# that module's own CRDs and RBAC examples, into a cache directory outside the repo, once per pinned
# version; prints that directory:
#   operator                      the Prometheus Operator
#   prometheus-config-reloader    the sidecar that reloads Prometheus when its config or rules change
#   crds/*.yaml                   monitoring.coreos.com CRDs (example/prometheus-operator-crd)
#   rbac/{prometheus-operator,prometheus}/*.yaml   the module's RBAC examples (example/rbac)
#
#   test/prometheus-operator/build.sh          build if needed, print the directory
#   test/prometheus-operator/build.sh --dir    print the directory only (no build)
#
# Cache: ${FASTAPIAPP_PROMETHEUS_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fastapiapp-prometheus-operator}/<version>-<hash>,
# <hash> over this script, go.mod and go.sum: a build is redone only when they change.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export PATH="/usr/local/go/bin:$PATH"
module=github.com/prometheus-operator/prometheus-operator

version="$(awk -v m="$module" '$1 == m { print $2; exit }' "$here/go.mod")"
hash="$(cd "$here" && cat build.sh go.mod go.sum | sha256sum | cut -c1-12)"
cache_root="${FASTAPIAPP_PROMETHEUS_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fastapiapp-prometheus-operator}"
dir="$cache_root/$version-$hash"
bins=(operator prometheus-config-reloader)

if [ "${1:-}" = "--dir" ]; then echo "$dir"; exit 0; fi
if [ -x "$dir/operator" ] && [ -x "$dir/prometheus-config-reloader" ] && [ -d "$dir/crds" ] && [ -d "$dir/rbac" ]; then echo "$dir"; exit 0; fi
command -v go >/dev/null 2>&1 || { echo "prometheus-operator: cannot build: the Go toolchain is missing (looked in PATH and /usr/local/go/bin); install Go >= 1.24" >&2; exit 1; }

mkdir -p "$cache_root"
tmp="$(mktemp -d "$cache_root/.build-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
export GOFLAGS="${GOFLAGS:--mod=mod}" CGO_ENABLED=0
pkg=github.com/prometheus/common/version
ldflags="-s -w -X $pkg.Version=${version#v} -X $pkg.Revision=module -X $pkg.Branch=module"
cd "$here"
for bin in "${bins[@]}"; do
  start=$(date +%s)
  echo "prometheus-operator: building $bin ($version) with $(go version | awk '{print $3}') (the operator: 6-33 min cold on 2 busy cores, the reloader under 1 min)" >&2
  go build -trimpath -ldflags="$ldflags" -o "$tmp/$bin" "$module/cmd/$bin"
  echo "prometheus-operator: built $bin in $(( $(date +%s) - start ))s ($(du -h "$tmp/$bin" | cut -f1))" >&2
done
src="$(go list -m -f '{{.Dir}}' "$module")"
mkdir -p "$tmp/crds" "$tmp/rbac"
cp "$src"/example/prometheus-operator-crd/*.yaml "$tmp/crds/"
cp -r "$src"/example/rbac/prometheus-operator "$src"/example/rbac/prometheus "$tmp/rbac/"
chmod -R u+w "$tmp/crds" "$tmp/rbac"
# Publish atomically so a concurrent or interrupted build never leaves a half-written cache.
mkdir -p "$dir"
for d in crds rbac; do rm -rf "${dir:?}/$d" && mv "$tmp/$d" "$dir/$d"; done
for bin in "${bins[@]}"; do mv "$tmp/$bin" "$dir/$bin.new" && mv "$dir/$bin.new" "$dir/$bin"; done
echo "$dir"
