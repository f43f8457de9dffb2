// The local cluster quick start, run exactly as written: the commands of the fenced block marked
// ```bash title="local-quickstart"``` in docs/getting-started/cluster.md (the README carries the
// same block). After each command the suite checks, through the cluster's API server and the
// app's Service, that it did what its line says: Ready=True on the expected tag, items served,
// and after `down` nothing left behind. Cluster tier: root, the one-node cluster, buildah.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { condition, Kube } from '../e2e/support/kube';
import { GROUP } from '../e2e/support/rollout';
import { call } from '../e2e/support/traffic';
import { hostSnapshot } from '../harness/cluster';
import { APP_REPO, DIR, NAMESPACE, ownerPid, readState, type LocalState } from '../harness/local/state';
import { isAlive } from '../harness/processes.cjs';

jest.setTimeout(60 * 60_000);

const REPO = path.resolve(__dirname, '../..');
const exec = promisify(execFile);

/** The commands of the block marked title="<title>" in a markdown file, comments stripped. */
export function markedCommands(file: string, title: string): string[] {
  const text = fs.readFileSync(path.join(REPO, file), 'utf8');
  const blocks = [...text.matchAll(/^```bash title="([^"]+)"\n([\s\S]*?)^```/gm)].filter((m) => m[1] === title);
  if (blocks.length !== 1) throw new Error(`${file}: expected one block titled ${title}, found ${blocks.length}`);
  return blocks[0]![2]!.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l && !l.startsWith('#'));
}

const commands = markedCommands('docs/getting-started/cluster.md', 'local-quickstart');
let state: LocalState | undefined;
let hostBefore: Record<string, unknown> | undefined;

const kube = () => {
  const kc = new KubeConfig();
  kc.loadFromFile(state!.kubeconfig);
  return new Kube(kc);
};

/** Independent of the script's own checks: the FastApiApp is Ready for its generation on `tag`, and the Service serves items. */
async function expectServing(tag: string): Promise<void> {
  const k = kube();
  const apps = await k.list(GROUP, 'FastApiApp', NAMESPACE);
  expect(apps).toHaveLength(1);
  const app = apps[0]!;
  expect(app.spec.tag).toBe(tag);
  expect(condition(app, 'Ready')).toMatchObject({ status: 'True', observedGeneration: app.metadata!.generation });
  const deployment = await k.get('apps/v1', 'Deployment', NAMESPACE, app.metadata!.name!);
  expect(deployment!.spec.template.spec.containers[0].image).toBe(`${APP_REPO}:${tag}${app.status.imageDigest ? `@${app.status.imageDigest}` : ''}`);
  expect(app.status.migratedImage).toBe(`${APP_REPO}:${tag}`);
  const svc = await k.get('v1', 'Service', NAMESPACE, app.metadata!.name!);
  const list = await call({ host: svc!.spec.clusterIP, port: svc!.spec.ports[0].port }, 'GET', '/items');
  expect(list.status).toBe(200);
  expect(list.json.map((i: { name: string }) => i.name)).toContain('Hello'); // the item `deploy` created survives releases
}

/** The image ID (the bytes) every serving pod runs: one value once a rollout is complete. */
async function servedImageId(): Promise<string> {
  const pods = (await kube().pods(NAMESPACE, 'app.kubernetes.io/component=server')).filter((p) => !p.metadata?.deletionTimestamp);
  const ids = [...new Set(pods.map((p) => p.status?.containerStatuses?.[0]?.imageID))];
  expect(ids).toHaveLength(1);
  expect(ids[0]).toMatch(/sha256:[0-9a-f]{64}$/);
  return ids[0]!;
}
const imageIds: Record<string, string> = {};

/** What each documented command must have done. */
const checks: [RegExp, (stdout: string) => Promise<void>][] = [
  [/^npm run local -- up$/, async () => {
    state = readState();
    expect(state && isAlive(state.pid)).toBe(true);
    hostBefore = state!.hostBefore;
  }],
  [/^npm run local -- deploy$/, async () => {
    await expectServing('dev');
    imageIds.dev = await servedImageId();
  }],
  [/^npm run local -- release (\S+)$/, async () => {
    const tag = /release (\S+)$/.exec(commands.find((c) => / release /.test(c))!)![1]!;
    await expectServing(tag);
    expect(await servedImageId()).not.toBe(imageIds.dev); // a different image really rolled out
    const jobs = await kube().list('batch/v1', 'Job', NAMESPACE, 'app.kubernetes.io/component=migration');
    expect(jobs.some((j) => j.metadata?.annotations?.['fastapiapp.io/image']?.startsWith(`${APP_REPO}:${tag}`) && j.status?.succeeded === 1)).toBe(true);
  }],
  [/^npm run local -- rollback$/, async () => {
    await expectServing('dev');
    expect(await servedImageId()).toBe(imageIds.dev);
  }],
  [/^npm run local -- kubectl get faa/, async (stdout) => {
    expect(stdout).toMatch(/items-app\s+\S+\s+True/); // the FastApiApp's printer columns, Ready True
  }],
  [/^npm run local -- down$/, async () => {
    expect(isAlive(state!.pid)).toBe(false);
    expect(fs.existsSync(DIR)).toBe(false);
    expect(await hostSnapshot()).toEqual(hostBefore);
  }],
];

afterAll(async () => {
  // A failed run must not leave the cluster behind for the next suite.
  if (ownerPid()) await exec('npm', ['run', '-s', 'local', '--', 'down'], { cwd: REPO }).catch(() => undefined);
});

test('the block holds the whole path: up, deploy, a release, a rollback, down', () => {
  expect(commands.map((c) => c.split(' ').slice(0, 5).join(' '))).toEqual(expect.arrayContaining([
    'npm run local -- up', 'npm run local -- deploy', 'npm run local -- release', 'npm run local -- rollback', 'npm run local -- down',
  ]));
  expect(commands.at(-1)).toBe('npm run local -- down');
  expect(markedCommands('README.md', 'local-quickstart')).toEqual(commands);
  for (const c of commands) expect(checks.some(([re]) => re.test(c))).toBe(true);
});

test.each(commands.map((c) => [c]))('`%s` does what the quick start says', async (command) => {
  const t0 = Date.now();
  const r = await exec('bash', ['-euo', 'pipefail', '-c', command], { cwd: REPO, maxBuffer: 64 * 1024 * 1024, timeout: 45 * 60_000 })
    .catch((err: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`${command} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
    });
  process.stderr.write(`local-quickstart: ${command}: ${((Date.now() - t0) / 1000).toFixed(0)} s\n${r.stdout.split('\n').slice(-4).join('\n')}\n`);
  await checks.find(([re]) => re.test(command))![1](r.stdout);
});
