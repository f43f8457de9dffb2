// Kubernetes Events about a FastApiApp (core/v1, what `kubectl describe` shows). The reconciler
// records them on condition transitions only, so a level-triggered loop does not spam them.
import { randomBytes } from 'node:crypto';
import type { KubeClient } from './client';
import { EVENTS } from './resources';
import type { KubeObject } from './types';

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  constructor(private readonly client: KubeClient, private readonly component: string, private readonly instance: string) {}

  async record(about: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const now = new Date().toISOString();
    const { name, namespace, uid, resourceVersion } = about.metadata;
    await this.client.create(EVENTS, {
      metadata: { name: `${name}.${Date.now().toString(16)}${randomBytes(3).toString('hex')}`, namespace },
      involvedObject: { apiVersion: about.apiVersion, kind: about.kind, name, namespace, uid, resourceVersion },
      type, reason, message: message.slice(0, 1024),
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.instance,
      firstTimestamp: now, lastTimestamp: now, count: 1,
    });
  }
}
