// Prints one plain closing line, "N passed, N failed" (with skipped when any), after jest's own
// summary, so CI logs state the count in a runner-neutral form. With JEST_SUMMARY_FILE set
// (test/run-tiers.sh), also appends the counts there as a JSON line, to total several runs.
'use strict';
const fs = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
    process.stdout.write(`\ntests: ${line}\n`);
    if (process.env.JEST_SUMMARY_FILE) {
      fs.appendFileSync(process.env.JEST_SUMMARY_FILE, `${JSON.stringify({ passed: results.numPassedTests, failed, skipped })}\n`);
    }
  }
}

module.exports = SummaryReporter;
