// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
// acquire when the Lease is free or its holder has not renewed within leaseDuration (measured
// on our own clock from when we last saw the record change, so clock skew does not matter),
// renew every retryPeriod, and give up leadership when a renewal has not succeeded within
// renewDeadline of the last successful one. Every Lease request is aborted at that deadline
// (a frozen connection cannot hold a renewal past it), and leadership ends at the deadline
// itself: onLost runs at once, so the caller stops writing before any standby can acquire
// (renewDeadline < leaseDuration, and our deadline counts from before the renewal was sent).
// A clean shutdown clears holderIdentity so another replica takes over at once.
import type { Logger } from 'pino';
import type { KubeClient } from '../kube/client';
import { isConflict } from '../kube/errors';
import { LEASES } from '../kube/resources';
import type { Lease } from '../kube/types';
import { sleep } from './backoff';
import { withDeadline } from './deadline';

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number; // 15 s
  renewDeadlineMs: number; // 10 s
  retryPeriodMs: number; // 2 s
}

const microTime = (d: Date): string => d.toISOString().replace('Z', '000Z'); // MicroTime: 6 fractional digits

export class LeaderElector {
  private leading = false;
  private readonly abort = new AbortController();
  /** the record we last saw, and when (our clock) it last changed */
  private observed?: { rv?: string; holder?: string; renew?: string; at: number };
  private inflight?: Promise<boolean>;

  constructor(private readonly client: KubeClient, private readonly cfg: LeaderElectionConfig, private readonly log: Logger) {}

  isLeader(): boolean {
    return this.leading;
  }

  /**
   * Campaigns until elected, then renews; resolves with 'lost' when leadership is lost or
   * 'stopped' after stop(). onStarted runs once, when elected.
   */
  async run(onStarted: () => void, onLost: () => void = () => undefined): Promise<'lost' | 'stopped'> {
    const signal = this.abort.signal;
    const { retryPeriodMs, renewDeadlineMs } = this.cfg;
    const lease = { lease: `${this.cfg.namespace}/${this.cfg.name}`, identity: this.cfg.identity };
    let sentAt = Date.now();
    for (;;) {
      if (signal.aborted) return 'stopped';
      sentAt = Date.now();
      if (await this.tryAcquireOrRenew(sentAt + renewDeadlineMs)) break;
      await sleep(retryPeriodMs, signal);
    }
    this.leading = true;
    this.log.info(lease, 'became leader');
    onStarted();
    let lastRenew = sentAt; // when the successful request was sent: the server wrote no earlier
    while (!signal.aborted) {
      const deadline = lastRenew + renewDeadlineMs;
      // Never wait past the deadline: after a renewal that failed fast, a whole retry period could
      // end beyond it, and this replica would go on leading for up to that long (as client-go's
      // renew loop, which stops at its deadline, does not).
      await sleep(Math.min(retryPeriodMs, Math.max(0, deadline - Date.now())), signal);
      if (signal.aborted) break;
      const attemptAt = Date.now();
      if (attemptAt < deadline && await this.tryAcquireOrRenew(deadline)) {
        lastRenew = attemptAt;
      } else if (Date.now() >= deadline) {
        this.leading = false;
        this.log.error({ ...lease, sinceLastRenewMs: Date.now() - lastRenew }, 'lost leadership: could not renew the Lease within the renew deadline');
        onLost();
        return 'lost';
      }
    }
    return 'stopped';
  }

  /** Stops campaigning/renewing (run() resolves). Call release() afterwards to free the Lease. */
  stop(): void {
    this.abort.abort();
  }

  /** Clears holderIdentity if we hold the Lease, so a standby acquires it without waiting. */
  async release(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    await this.inflight; // a renewal still in flight would make our update conflict
    await withDeadline(this.cfg.renewDeadlineMs, undefined, (signal) => this.releaseWith(this.client.scoped(signal)));
  }

  private async releaseWith(client: KubeClient): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const lease = await client.get<Lease>(LEASES, this.cfg.namespace, this.cfg.name);
      if (!lease || lease.spec?.holderIdentity !== this.cfg.identity) return;
      const { holderIdentity: _h, ...spec } = lease.spec;
      try {
        await client.update<Lease>(LEASES, { ...lease, spec: { ...spec, leaseDurationSeconds: 1, renewTime: microTime(new Date()) } });
        this.log.info({ lease: `${this.cfg.namespace}/${this.cfg.name}`, identity: this.cfg.identity }, 'released leadership');
        return;
      } catch (err) {
        if (!isConflict(err) || attempt >= 3) throw err;
      }
    }
  }

  /** One attempt; its requests are aborted at `deadline` (then it counts as failed). */
  private tryAcquireOrRenew(deadline: number): Promise<boolean> {
    this.inflight = withDeadline(Math.max(1, deadline - Date.now()), this.abort.signal, (signal) => this.acquireOrRenew(this.client.scoped(signal)));
    return this.inflight;
  }

  private async acquireOrRenew(client: KubeClient): Promise<boolean> {
    const { namespace, name, identity, leaseDurationMs } = this.cfg;
    const now = new Date();
    const ours = (prev?: Lease['spec']): NonNullable<Lease['spec']> => {
      const sameHolder = prev?.holderIdentity === identity;
      return {
        holderIdentity: identity,
        leaseDurationSeconds: Math.round(leaseDurationMs / 1000),
        acquireTime: sameHolder && prev?.acquireTime ? prev.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: (prev?.leaseTransitions ?? 0) + (sameHolder || !prev ? 0 : 1),
      };
    };
    try {
      const lease = await client.get<Lease>(LEASES, namespace, name);
      if (!lease) {
        await client.create<Lease>(LEASES, { metadata: { name, namespace }, spec: ours() });
        this.observed = undefined;
        return true;
      }
      const spec = lease.spec ?? {};
      const changed = !this.observed || this.observed.holder !== spec.holderIdentity || this.observed.renew !== spec.renewTime;
      if (changed) this.observed = { rv: lease.metadata.resourceVersion, holder: spec.holderIdentity, renew: spec.renewTime, at: Date.now() };
      const heldByOther = !!spec.holderIdentity && spec.holderIdentity !== identity;
      const duration = (spec.leaseDurationSeconds ?? 15) * 1000;
      if (heldByOther && Date.now() < (this.observed?.at ?? 0) + duration) return false;
      await client.update<Lease>(LEASES, { ...lease, spec: ours(spec) });
      return true;
    } catch (err) {
      if (!isConflict(err)) this.log.warn({ err, lease: `${namespace}/${name}` }, 'leader election: Lease request failed');
      return false;
    }
  }
}
