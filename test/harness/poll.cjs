// The one polling helper of the tests and harnesses (test/harness/wait.ts gives it to TypeScript).
// CommonJS, so the .mjs/.cjs harnesses (control plane, cluster, CRDs) use it too.
'use strict';

/**
 * Polls fn until it returns a value other than undefined (errors count as "not yet") and returns
 * it; fails after timeoutMs naming what it waited for and the last error. `stopIf` is asked before
 * each try: a string it returns fails the wait at once (e.g. "the process exited"); `makeError`
 * builds the error thrown (a harness's own error class).
 */
async function waitFor(what, fn, timeoutMs, everyMs = 250, { stopIf, makeError = (m) => new Error(m) } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    const stop = stopIf?.();
    if (stop) throw makeError(`${what}: ${stop}`);
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      throw makeError(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError?.message ?? lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

module.exports = { waitFor };
