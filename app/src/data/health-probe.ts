// The database health check, shared: concurrent checks share one round trip, and the db_up gauge
// reads the latest result (from /health or /readyz, which Kubernetes calls every few seconds)
// instead of paying a round trip per scrape; it pings itself only when that result is stale.
import type { PingResult } from '../http/deps.js';

export class HealthProbe {
  #inFlight: Promise<PingResult> | undefined;
  #last: { at: number; result: PingResult } | undefined;

  constructor(private readonly ping: () => Promise<PingResult>, private readonly now: () => number = Date.now) {}

  /** A fresh check (joining one already under way). */
  check(): Promise<PingResult> {
    this.#inFlight ??= this.ping().then((result) => {
      this.#last = { at: this.now(), result };
      this.#inFlight = undefined;
      return result;
    });
    return this.#inFlight;
  }

  /** The latest result if younger than maxAgeMs, else a fresh check. */
  recent(maxAgeMs: number): Promise<PingResult> {
    const last = this.#last;
    if (last && this.now() - last.at <= maxAgeMs) return Promise.resolve(last.result);
    return this.check();
  }
}
