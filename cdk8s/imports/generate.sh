#!/usr/bin/env bash
# Regenerates monitoring.coreos.com.ts (typed ServiceMonitor and PrometheusRule constructs) with
# `cdk8s import` from the prometheus-operator CRDs in crds/ (v0.85.0, the release the cluster
# tests run; copied verbatim from its example/prometheus-operator-crd-full/). The output is
# committed, so synth and the tests need neither this script nor the network; running it needs the
# npm registry once (cdk8s-cli is run through npx, not a project dependency).
set -euo pipefail
cd "$(dirname "$0")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cat crds/*.yaml > "$tmp/crds.yaml"
npx --yes cdk8s-cli@2.207.60 import "$tmp/crds.yaml" --language typescript --output "$tmp/out" --no-check-upgrade
cp "$tmp/out/monitoring.coreos.com.ts" monitoring.coreos.com.ts
