#!/usr/bin/env bash
# For test/e2e-monitoring: the real Prometheus Operator, its config reloader and a Prometheus with
# Kubernetes service discovery, built once from the Go modules pinned in test/prometheus-operator/
# with the machine's Go (then cached under ~/.cache/fastapiapp-prometheus-operator), plus the
# operator module's CRDs and RBAC examples. Cold, on 2 busy cores: the operator up to half an hour,
# Prometheus several minutes; build.sh prints each time. Without Go this fails: the suite runs in npm test.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null 2>&1 || { echo "pretest: the Go toolchain is missing (PATH, /usr/local/go/bin): test/e2e-monitoring needs the Prometheus Operator and Prometheus built from their Go modules; install Go >= 1.24" >&2; exit 1; }
bash test/prometheus-operator/build.sh >/dev/null
