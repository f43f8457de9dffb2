#!/usr/bin/env bash
# Provides what the test suites need on a fresh machine (Debian, root with apt) and stops with a
# clear message where it cannot. Run by `npm test` (pretest) and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
for step in test/pretest.d/*.sh; do
  [ -e "$step" ] || continue
  bash "$step"
done
