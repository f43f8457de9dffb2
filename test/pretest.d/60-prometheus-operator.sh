#!/usr/bin/env bash
# The real Prometheus Operator and its config reloader for test/e2e-monitoring, built once from the
# Go module pinned in test/prometheus-operator/ with the machine's Go (about 6 min on 2 cores; then
# cached under ~/.cache/fastapiapp-prometheus-operator), plus that module's CRDs.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash test/prometheus-operator/build.sh >/dev/null
