#!/usr/bin/env bash
# kube-apiserver + etcd for the envtest control plane (test/harness/envtest). Uses, in order:
# TEST_ASSET_KUBE_APISERVER/TEST_ASSET_ETCD, KUBEBUILDER_ASSETS, the build cache; else builds
# both from test/envtest/ with the machine's Go (first build: 10-25 min on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/usr/local/go/bin:$PATH"
if ! command -v openssl >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "pretest: installing openssl (apt-get; envtest issues its certificates with it)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssl >/dev/null
  else
    echo "pretest: the openssl CLI is required by the envtest harness: apt-get install openssl" >&2
    exit 1
  fi
fi
node test/harness/envtest/cli.mjs build >/dev/null
