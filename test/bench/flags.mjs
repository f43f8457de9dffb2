// Numeric `--name=N` / `--name N` flags for the benches, through node:util parseArgs (as bench:app
// does): an unknown flag or a value that is not a number stops the bench with a clear message.
import { parseArgs } from 'node:util';

/** Each key of `defaults` is a flag; the result has the given number or the default. */
export function numberFlags(defaults) {
  let values;
  try {
    ({ values } = parseArgs({ options: Object.fromEntries(Object.keys(defaults).map((k) => [k, { type: 'string' }])) }));
  } catch (err) {
    console.error(`${err.message}\nflags: ${Object.entries(defaults).map(([k, d]) => `--${k}=${d}`).join(' ')}`);
    process.exit(2);
  }
  return Object.fromEntries(Object.entries(defaults).map(([k, d]) => {
    if (values[k] === undefined) return [k, d];
    const n = Number(values[k]);
    if (values[k].trim() === '' || !Number.isFinite(n) || n < 0) {
      console.error(`--${k} must be a number >= 0, got "${values[k]}"`);
      process.exit(2);
    }
    return [k, n];
  }));
}
