// Counts the requests a client made, by verb and resource: a transport observer, for tests and the
// benchmark ("zero writes in steady state"). Metrics have their own observer (runtime/metrics).
import { WRITE_VERBS, type RequestInfo, type TransportObserver, type Verb } from './transport';

export class RequestCounter implements TransportObserver {
  private readonly byKey = new Map<string, number>();

  response(req: RequestInfo): void {
    const key = `${req.verb} ${req.resource}`;
    this.byKey.set(key, (this.byKey.get(key) ?? 0) + 1);
  }

  /** Requests made so far (every attempt), keyed "verb resource" (e.g. "apply deployments"). */
  counts(): Record<string, number> {
    return Object.fromEntries(this.byKey);
  }

  /** Sum of counts whose verb is a write, optionally ignoring some resources (e.g. leases). */
  writes(ignoreResources: readonly string[] = []): number {
    let n = 0;
    for (const [key, v] of this.byKey) {
      const [verb, resource] = key.split(' ') as [Verb, string];
      if (WRITE_VERBS.has(verb) && !ignoreResources.includes(resource)) n += v;
    }
    return n;
  }
}
