export interface WaitOptions {
  /** Asked before each try: a string fails the wait at once with it. */
  stopIf?: () => string | undefined;
  makeError?: (message: string) => Error;
}
export declare function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs?: number, options?: WaitOptions): Promise<T>;
