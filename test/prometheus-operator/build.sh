#!/usr/bin/env bash
# Builds the real Prometheus Operator (cmd/operator) and its config reloader
# (cmd/prometheus-config-reloader) from the Go module pinned in go.mod beside this script, copies
# that module's own CRDs and RBAC examples, and builds a Prometheus with Kubernetes service discovery
# from the module pinned in prometheus/go.mod, into a cache directory outside the repo, once per
# pinned version; prints that directory:
#   operator                      the Prometheus Operator
#   prometheus-config-reloader    the sidecar that reloads Prometheus when its config or rules change
#   prometheus                    Prometheus (cmd/prometheus) with only the Kubernetes service
#                                 discovery: Debian's build has none, and the operator's config needs it
#   crds/*.yaml                   monitoring.coreos.com CRDs (example/prometheus-operator-crd)
#   rbac/{prometheus-operator,prometheus}/*.yaml   the module's RBAC examples (example/rbac)
#
#   test/prometheus-operator/build.sh          build if needed, print the directory
#   test/prometheus-operator/build.sh --dir    print the directory only (no build)
#
# Cache: ${FASTAPIAPP_PROMETHEUS_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fastapiapp-prometheus-operator}/<version>-<hash>,
# <hash> over this script (which holds the patch to cmd/prometheus) and both go.mod/go.sum pairs: a
# build is redone only when they change. Cold (empty Go build cache) on 2 busy cores the operator took
# 6-33 min, Prometheus 16 min, the reloader under 1 min; with a warm Go cache each is a relink (~10 s).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export PATH="/usr/local/go/bin:$PATH"
module=github.com/prometheus-operator/prometheus-operator

version="$(awk -v m="$module" '$1 == m { print $2; exit }' "$here/go.mod")"
hash="$(cd "$here" && cat build.sh go.mod go.sum prometheus/go.mod prometheus/go.sum | sha256sum | cut -c1-12)"
cache_root="${FASTAPIAPP_PROMETHEUS_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fastapiapp-prometheus-operator}"
dir="$cache_root/$version-$hash"
bins=(operator prometheus-config-reloader prometheus)

if [ "${1:-}" = "--dir" ]; then echo "$dir"; exit 0; fi
built() { for bin in "${bins[@]}"; do [ -x "$dir/$bin" ] || return 1; done; [ -d "$dir/crds" ] && [ -d "$dir/rbac" ]; }
if built; then echo "$dir"; exit 0; fi
command -v go >/dev/null 2>&1 || { echo "prometheus-operator: cannot build: the Go toolchain is missing (looked in PATH and /usr/local/go/bin); install Go >= 1.24" >&2; exit 1; }

mkdir -p "$cache_root"
tmp="$(mktemp -d "$cache_root/.build-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
export GOFLAGS="${GOFLAGS:--mod=mod}" CGO_ENABLED=0
pkg=github.com/prometheus/common/version
ldflags="-s -w -X $pkg.Version=${version#v} -X $pkg.Revision=module -X $pkg.Branch=module"
timed_build() { # <bin> <go build args...>: into $tmp/<bin>, with its time on stderr
  local bin="$1" start; shift; start=$(date +%s)
  echo "prometheus-operator: building $bin with $(go version | awk '{print $3}') (cold: minutes; see the top of this script)" >&2
  go build -trimpath -o "$tmp/$bin" "$@"
  echo "prometheus-operator: built $bin in $(( $(date +%s) - start ))s ($(du -h "$tmp/$bin" | cut -f1))" >&2
}
cd "$here"
for bin in operator prometheus-config-reloader; do timed_build "$bin" -ldflags="$ldflags" "$module/cmd/$bin"; done
src="$(go list -m -f '{{.Dir}}' "$module")"

# Prometheus: cmd/prometheus of the pinned module, built in a copy of ./prometheus's go.mod/go.sum
# with its `plugins` import (which links every service discovery) replaced by the Kubernetes one.
prom_module=github.com/prometheus/prometheus
(cd "$here/prometheus" && go mod download "$prom_module")
prom_src="$(cd "$here/prometheus" && go list -m -f '{{.Dir}}' "$prom_module")"
mkdir -p "$tmp/prometheus-src"
cp "$here/prometheus/go.mod" "$here/prometheus/go.sum" "$tmp/prometheus-src/"
for f in "$prom_src"/cmd/prometheus/*.go; do case "$f" in *_test.go) ;; *) cp "$f" "$tmp/prometheus-src/" ;; esac; done
chmod u+w "$tmp/prometheus-src"/*.go
plugins='_ "github.com/prometheus/prometheus/plugins"'
grep -q "^	$plugins" "$tmp/prometheus-src/main.go" \
  || { echo "prometheus-operator: $prom_src/cmd/prometheus/main.go no longer imports $plugins; update the patch in $0" >&2; exit 1; }
sed -i "s|^	$plugins.*|	_ \"github.com/prometheus/prometheus/discovery/kubernetes\" // only the Kubernetes service discovery|" "$tmp/prometheus-src/main.go"
prom_ldflags="-s -w -X $pkg.Version=$(cat "$prom_src/VERSION") -X $pkg.Revision=module -X $pkg.Branch=module"
(cd "$tmp/prometheus-src" && timed_build prometheus -ldflags="$prom_ldflags" .)
"$tmp/prometheus" --version >&2
mkdir -p "$tmp/crds" "$tmp/rbac"
cp "$src"/example/prometheus-operator-crd/*.yaml "$tmp/crds/"
cp -r "$src"/example/rbac/prometheus-operator "$src"/example/rbac/prometheus "$tmp/rbac/"
chmod -R u+w "$tmp/crds" "$tmp/rbac"
# Publish atomically so a concurrent or interrupted build never leaves a half-written cache.
mkdir -p "$dir"
for d in crds rbac; do rm -rf "${dir:?}/$d" && mv "$tmp/$d" "$dir/$d"; done
for bin in "${bins[@]}"; do mv "$tmp/$bin" "$dir/$bin.new" && mv "$dir/$bin.new" "$dir/$bin"; done
echo "$dir"
