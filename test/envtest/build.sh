#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the Go modules beside this script into a cache directory
# outside the repo, once per pinned version set, and prints that directory.
#
#   test/envtest/build.sh            build if needed, print the directory
#   test/envtest/build.sh --dir      print the directory only (no build)
#
# Cache: ${FASTAPIAPP_ENVTEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fastapiapp-envtest}/<k8s>-<etcd>-<hash>
# where <hash> covers this script and go.mod, go.sum and main.go of both modules: a build is
# redone only when they change. test/harness/envtest/assets.cjs computes the same path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export PATH="/usr/local/go/bin:$PATH"

version_of() { awk -v m="$2" '$1 == m || ($1 == "require" && $2 == m) { print ($1 == "require" ? $3 : $2); exit }' "$1"; }
k8s="$(version_of "$here/kube-apiserver/go.mod" k8s.io/kubernetes)"
etcd="$(version_of "$here/etcd/go.mod" go.etcd.io/etcd/server/v3)"
hash="$(cd "$here" && cat build.sh kube-apiserver/go.mod kube-apiserver/go.sum kube-apiserver/main.go \
  etcd/go.mod etcd/go.sum etcd/main.go | sha256sum | cut -c1-12)"
cache_root="${FASTAPIAPP_ENVTEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fastapiapp-envtest}"
dir="$cache_root/$k8s-$etcd-$hash"

if [ "${1:-}" = "--dir" ]; then echo "$dir"; exit 0; fi
if [ -x "$dir/kube-apiserver" ] && [ -x "$dir/etcd" ]; then echo "$dir"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<MSG
envtest: cannot build kube-apiserver/etcd: the Go toolchain is missing (looked in PATH and /usr/local/go/bin).
Install Go >= 1.26, or provide binaries: TEST_ASSET_KUBE_APISERVER and TEST_ASSET_ETCD, or
KUBEBUILDER_ASSETS (a directory holding kube-apiserver and etcd, e.g. from setup-envtest).
MSG
  exit 1
fi

mkdir -p "$cache_root"
tmp="$(mktemp -d "$cache_root/.build-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# -mod=mod: go.sum is committed, but let the go command fill in anything a newer Go wants.
export GOFLAGS="${GOFLAGS:--mod=mod}"
# What upstream's build stamps in, so /version reports the real release instead of v0.0.0-master.
minor="${k8s#v1.}"; minor="${minor%%.*}"
pkg=k8s.io/component-base/version
kube_ldflags="-X $pkg.gitVersion=$k8s -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
kube_ldflags+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
for bin in etcd kube-apiserver; do
  start=$(date +%s)
  ldflags='-s -w'
  [ "$bin" = kube-apiserver ] && ldflags+=" $kube_ldflags"
  echo "envtest: building $bin ($k8s / etcd $etcd) with $(go version | awk '{print $3}'); kube-apiserver takes 10-25 min on 2 cores" >&2
  (cd "$here/$bin" && go build -trimpath -ldflags="$ldflags" -o "$tmp/$bin" .)
  echo "envtest: built $bin in $(( $(date +%s) - start ))s ($(du -h "$tmp/$bin" | cut -f1))" >&2
done
# Publish atomically so a concurrent or interrupted build never leaves a half-written cache.
mkdir -p "$dir"
mv "$tmp/etcd" "$dir/etcd.new" && mv "$dir/etcd.new" "$dir/etcd"
mv "$tmp/kube-apiserver" "$dir/kube-apiserver.new" && mv "$dir/kube-apiserver.new" "$dir/kube-apiserver"
echo "$dir"
