// One operator, scoped to a fresh namespace, per test file: `const s = operatorSuite('prefix')`
// registers beforeAll/afterAll and gives the world and operator to the tests as s.world, s.op.
import type { KubeConfig } from '@kubernetes/client-node';
import type { OperatorConfig } from '../../../operator/src/config';
import { createTestNamespace, loadKubeConfig } from '../../harness/envtest';
import { metricSum } from '../../harness/metrics.cjs';
import { probe, startTestOperator, type TestOperator } from './operator';
import { eventually, World, type App } from './world';

export interface OperatorSuite {
  kc: KubeConfig;
  ns: string;
  world: World;
  op: TestOperator;
  /** the FastApiApp as stored now */
  appNow(name: string): Promise<App>;
}

export function operatorSuite(namespacePrefix: string, overrides: Partial<OperatorConfig> = {}): OperatorSuite {
  const suite = {
    appNow: async (name: string) => (await suite.world.app(name))!,
  } as OperatorSuite;
  beforeAll(async () => {
    suite.kc = loadKubeConfig();
    suite.ns = await createTestNamespace(namespacePrefix);
    suite.world = new World(suite.kc, suite.ns);
    suite.op = await startTestOperator(suite.kc, suite.ns, overrides);
    await eventually(() => suite.op.isReady(), 'caches synced');
  });
  afterAll(async () => {
    await suite.op?.stop();
    suite.world?.close();
  });
  return suite;
}

/** The image reference the test apps run at a tag. */
export const ref = (tag: string): string => `registry.example/items:${tag}`;

/** Reconciles the operator finished so far, from its /metrics. */
export async function reconcileCount(op: TestOperator): Promise<number> {
  return metricSum((await probe(op, '/metrics')).body, 'controller_runtime_reconcile_total');
}

/**
 * Runs `poke` (a change that enqueues the app) and waits until the operator finished a reconcile
 * after it: what an absence check must wait for instead of a fixed sleep ("nothing happened"
 * only means something once the operator has looked).
 */
export async function afterReconcile(op: TestOperator, what: string, poke: () => Promise<unknown>): Promise<void> {
  const before = await reconcileCount(op);
  await poke();
  await eventually(async () => (await reconcileCount(op)) > before, `a reconcile after ${what}`);
}

/**
 * Patches the FastApiApp's spec and waits until the operator wrote status for that generation: the
 * pass that saw the change has applied (and deleted) what it wanted before its status write.
 */
export async function afterGeneration(s: OperatorSuite, name: string, spec: Record<string, unknown>): Promise<void> {
  const patched = await s.world.patchSpec(name, spec);
  const generation = patched.metadata.generation!;
  await eventually(async () => ((await s.appNow(name)).status?.observedGeneration ?? 0) >= generation, `${name} observed generation ${generation}`);
}
