#!/usr/bin/env bash
# Builds the test cluster's own binaries from the Go modules beside this script into a cache
# directory outside the repo, once per pinned version set, and prints that directory:
#   kube   kubelet, kube-controller-manager, kube-scheduler, kube-proxy and kubectl in one binary
#   pause  the pod sandbox program (no pause image can be pulled here)
# kube-apiserver and etcd come from the envtest build (test/envtest/build.sh), same pins.
#
#   test/cluster/build.sh          build if needed, print the directory
#   test/cluster/build.sh --dir    print the directory only (no build)
#
# Cache: ${FASTAPIAPP_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fastapiapp-cluster}/<k8s>-<hash>,
# <hash> over this script and the modules' files: a build is redone only when they change.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export PATH="/usr/local/go/bin:$PATH"

k8s="$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' "$here/kube/go.mod")"
hash="$(cd "$here" && cat build.sh kube/go.mod kube/go.sum kube/main.go pause/go.mod pause/main.go | sha256sum | cut -c1-12)"
cache_root="${FASTAPIAPP_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fastapiapp-cluster}"
dir="$cache_root/$k8s-$hash"

if [ "${1:-}" = "--dir" ]; then echo "$dir"; exit 0; fi
if [ -x "$dir/kube" ] && [ -x "$dir/pause" ]; then echo "$dir"; exit 0; fi
command -v go >/dev/null 2>&1 || { echo "cluster: cannot build the node components: the Go toolchain is missing (looked in PATH and /usr/local/go/bin); install Go >= 1.26" >&2; exit 1; }

mkdir -p "$cache_root"
tmp="$(mktemp -d "$cache_root/.build-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
export GOFLAGS="${GOFLAGS:--mod=mod}" CGO_ENABLED=0
minor="${k8s#v1.}"; minor="${minor%%.*}"
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$k8s -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
for bin in pause kube; do
  start=$(date +%s)
  echo "cluster: building $bin ($k8s) with $(go version | awk '{print $3}'); kube takes about 5 min on 2 cores after the envtest build" >&2
  (cd "$here/$bin" && go build -trimpath -ldflags="$ldflags" -o "$tmp/$bin" .)
  echo "cluster: built $bin in $(( $(date +%s) - start ))s ($(du -h "$tmp/$bin" | cut -f1))" >&2
done
# Publish atomically so a concurrent or interrupted build never leaves a half-written cache.
mkdir -p "$dir"
for bin in pause kube; do mv "$tmp/$bin" "$dir/$bin.new" && mv "$dir/$bin.new" "$dir/$bin"; done
echo "$dir"
