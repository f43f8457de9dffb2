#!/usr/bin/env bash
# Debian tools the suites run for real. Installs what is missing when root with apt-get.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have promtool || need+=(prometheus)
have amtool || need+=(prometheus-alertmanager)
have buildah || need+=(buildah)
have debootstrap || need+=(debootstrap)
have docker-compose || need+=(docker-compose)
have wrk || need+=(wrk)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && have apt-get; then
  echo "pretest: installing ${need[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "pretest: missing tools: ${need[*]}. Install the Debian packages: apt-get install ${need[*]}" >&2
  exit 1
fi
