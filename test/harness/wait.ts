/**
 * Polls fn until it returns a value other than undefined (errors count as "not yet"); fails after
 * timeoutMs naming what it waited for and the last error. The implementation is shared with the
 * .mjs/.cjs harnesses: ./poll.cjs.
 */
export { waitFor, type WaitOptions } from './poll.cjs';
