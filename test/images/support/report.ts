// Measurements the image suites print (build time, size): numbers for the report, never asserted
// against a time budget (speed targets belong in benchmarks).
export function report(what: string, numbers: Record<string, number>): void {
  const parts = Object.entries(numbers).map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(1)}`);
  process.stdout.write(`[images] ${what}: ${parts.join(' ')}\n`);
}
