#!/usr/bin/env bash
# `npm test`: the unit and integration tiers in one jest run (2 workers), then the timed suites one at
# a time (they bound latency under their own load: nothing else may share the cores), then the cluster tier one
# suite at a time (each suite starts the one-node cluster under a machine-wide lock; run beside
# each other, one worker would only wait). With arguments (`npm test -- test/app`), one plain jest
# run over every tier with those arguments. Ends with one "N passed, N failed" line for the lot.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then exec npx jest "$@"; fi
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
export JEST_SUMMARY_FILE="$summary"
# .ci/run has just run the unit tier (as nobody) and says so: the first run is the integration tier alone.
first_tiers=unit,integration
if [ -n "${UNIT_TIER_PASSED:-}" ]; then first_tiers=integration; echo "run-tiers: the unit tier passed already (UNIT_TIER_PASSED): not run again"; fi
JEST_TIER=$first_tiers npx jest; first=$?
JEST_TIER=timed npx jest --runInBand; timed=$?
JEST_TIER=cluster npx jest --runInBand; second=$?
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").filter(Boolean).map(JSON.parse);
  const sum = (k) => lines.reduce((n, l) => n + l[k], 0);
  const skipped = sum("skipped");
  console.log(`\nall tiers: ${sum("passed")} passed, ${sum("failed")} failed${skipped ? `, ${skipped} skipped` : ""}`);
' "$summary"
exit $(( first != 0 || timed != 0 || second != 0 ))
