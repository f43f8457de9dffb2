// What the informer failure tests share: a kubeconfig that reaches the API server through a
// proxy, a logger that keeps its records, a ConfigMap resource type (simple objects with a
// payload to compare), and a mirror that replays the informer's handler calls.
import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import pino, { type Logger } from 'pino';
import type { Informer } from '../../../operator/src/runtime/informer';
import type { ResourceType } from '../../../operator/src/kube/resources';
import { objectKey, type ConfigMap } from '../../../operator/src/kube/types';

export const CONFIGMAPS: ResourceType = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };

/** A copy of kc whose current cluster's server is `server` (same CA, same client cert). */
export function kubeConfigVia(kc: KubeConfig, server: string): KubeConfig {
  const current = kc.getCurrentCluster();
  if (!current) throw new Error('kubeconfig has no current cluster');
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: kc.clusters.map((c) => (c.name === current.name ? { ...c, server } : c)),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return out;
}

/** Keeps every record; OPERATOR_TEST_LOGS=1 also prints them (support/operator.ts logs the operator with it). */
export interface MemoryLogger {
  logger: Logger;
  records: Array<Record<string, unknown>>;
  /** records whose msg contains text */
  matching(text: string): Array<Record<string, unknown>>;
}

export function memoryLogger(base?: Record<string, unknown>): MemoryLogger {
  const records: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        records.push(JSON.parse(line) as Record<string, unknown>);
        if (process.env.OPERATOR_TEST_LOGS) process.stderr.write(`${line}\n`);
      }
      cb();
    },
  });
  return {
    logger: pino({ level: 'debug', ...(base && { base }) }, sink),
    records,
    matching: (text) => records.filter((r) => typeof r.msg === 'string' && r.msg.includes(text)),
  };
}

/** name -> data of what the handlers were told, to check they saw every add and delete. */
export function mirrorOf<T extends ConfigMap>(informer: Informer<T>): Map<string, unknown> {
  const mirror = new Map<string, unknown>();
  informer.on({
    upsert: (obj) => mirror.set(objectKey(obj), obj.data),
    delete: (obj) => mirror.delete(objectKey(obj)),
  });
  return mirror;
}

/** Sorted [key, data] pairs, for comparing a cache with the API server's list. */
export const snapshot = (objs: Iterable<[string, unknown]>): Array<[string, unknown]> =>
  [...objs].sort(([a], [b]) => a.localeCompare(b));
