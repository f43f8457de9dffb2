// `npm run local -- <command>`: the whole path on the local one-node cluster, as root.
//   up              build the images, start the cluster, a Postgres the pods reach, the CRD and the
//                   operator (in the background; returns when all of it is ready, ~2-6 min warm)
//   deploy          apply the example FastApiApp (crds/examples) on the built image; wait Ready;
//                   create and read an item through its Service
//   release TAG     build and load localhost/fastapiapp-app:TAG, set spec.tag to it; wait Ready
//   rollback        set spec.tag back to the tag before the last release; wait Ready
//   status          the FastApiApp's tag, conditions and Service address
//   kubectl ARGS... the cluster's kubectl with its kubeconfig (e.g. `kubectl get faa,pods,jobs`)
//   env             `export KUBECONFIG=...` and a kubectl function, for `eval "$(npm run -s local -- env)"`
//   down            tear everything down; fails if anything was left behind
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { KubeConfig, PatchStrategy } from '@kubernetes/client-node';
import { REPO, secretReaderBinding, yamlDocuments } from '../../e2e/support/install';
import { condition, Kube, type Obj } from '../../e2e/support/kube';
import { GROUP, waitRolledOut } from '../../e2e/support/rollout';
import { call } from '../../e2e/support/traffic';
import { buildah, requireRoot } from '../../images/support/buildah';
import { isAlive } from '../processes.cjs';
import { waitFor } from '../wait';
import { APP_REPO, DIR, FIRST_TAG, LOG_FILE, NAMESPACE, ownerPid, PID_FILE, readState, RESULT_FILE, writeState, type LocalState } from './state';

const usage = 'usage: npm run local -- up|deploy|release TAG|rollback|status|kubectl ARGS...|env|down';
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

function running(): LocalState {
  const state = readState();
  if (!state || !isAlive(state.pid)) throw new Error('local: nothing running (npm run local -- up)');
  return state;
}

function kubeOf(state: LocalState): Kube {
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  return new Kube(kc);
}

/** The example FastApiApp from crds/examples, on the locally built image. */
function exampleApp(tag: string): Obj {
  const app = yamlDocuments('crds/examples/fastapiapp.yaml').find((o) => o.kind === 'FastApiApp')!;
  return { ...app, metadata: { ...app.metadata, namespace: NAMESPACE }, spec: { ...app.spec, image: APP_REPO, tag } };
}
const APP_NAME = exampleApp(FIRST_TAG).metadata!.name!;
const appRef = { namespace: NAMESPACE, name: APP_NAME, repo: APP_REPO };

/** The example's Secret (labelled for the operator), its DATABASE_URL pointed at the local Postgres. */
function exampleSecret(databaseUrl: string): Obj {
  const secret = yamlDocuments('crds/examples/secret.yaml').find((o) => o.kind === 'Secret')!;
  return { ...secret, metadata: { ...secret.metadata, namespace: NAMESPACE }, stringData: { DATABASE_URL: databaseUrl } } as Obj;
}

async function serviceTarget(kube: Kube): Promise<{ host: string; port: number }> {
  const svc = await kube.get('v1', 'Service', NAMESPACE, APP_NAME);
  return { host: svc!.spec.clusterIP, port: svc!.spec.ports[0].port };
}

async function up(): Promise<void> {
  requireRoot();
  const owner = ownerPid();
  if (owner) return console.log(`local: already running (owner pid ${owner}; npm run local -- down first)`);
  fs.rmSync(DIR, { recursive: true, force: true });
  fs.mkdirSync(DIR, { recursive: true });
  const out = fs.openSync(LOG_FILE, 'w');
  const daemon = spawn(process.execPath, [path.join(REPO, 'cdk8s/run.cjs'), path.join(__dirname, 'daemon.ts')],
    { cwd: REPO, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  daemon.unref();
  fs.writeFileSync(PID_FILE, String(daemon.pid));
  console.log(`local: starting in the background (pid ${daemon.pid}); progress: tail -f ${LOG_FILE}`);
  let shown = 0;
  for (;;) {
    const text = fs.readFileSync(LOG_FILE, 'utf8');
    process.stdout.write(text.slice(shown));
    shown = text.length;
    if (readState()) break;
    if (!isAlive(daemon.pid!)) throw new Error(`local: start-up failed (log: ${LOG_FILE})`);
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(`local: up. export KUBECONFIG=${readState()!.kubeconfig}  (or: eval "$(npm run -s local -- env)")`);
}

async function deploy(): Promise<void> {
  const state = running();
  const kube = kubeOf(state);
  // the Secret, the RoleBinding that lets the operator watch it there, then the app (crds/examples)
  await kube.apply([exampleSecret(state.databaseUrl), secretReaderBinding(NAMESPACE), exampleApp(FIRST_TAG)]);
  writeState({ ...state, tags: [FIRST_TAG] });
  await waitRolledOut(kube, appRef, FIRST_TAG, 300_000);
  const target = await serviceTarget(kube);
  const created = await call(target, 'POST', '/items', { name: 'Hello', description: 'I love this product', price: 5 });
  const read = await call(target, 'GET', `/items/${created.json?.id}`);
  if (created.status !== 201 || read.status !== 200) throw new Error(`local: the app did not answer through its Service: POST ${created.status}, GET ${read.status}`);
  console.log(`local: ${APP_NAME} Ready on ${APP_REPO}:${FIRST_TAG}; through its Service http://${target.host}:${target.port}: ${JSON.stringify(read.json)}`);
}

/** spec.tag = tag (a merge patch, as the deploy workflow does), then wait until it is rolled out. */
async function setTag(state: LocalState, tag: string, tags: string[]): Promise<void> {
  const kube = kubeOf(state);
  await kube.objects.patch({ apiVersion: GROUP, kind: 'FastApiApp', metadata: { name: APP_NAME, namespace: NAMESPACE }, spec: { tag } } as Obj,
    undefined, undefined, 'npm-run-local', undefined, PatchStrategy.MergePatch);
  writeState({ ...state, tags });
  const app = await waitRolledOut(kube, appRef, tag, 300_000);
  const target = await serviceTarget(kube);
  const list = await call(target, 'GET', '/items');
  if (list.status !== 200) throw new Error(`local: GET /items through the Service answered ${list.status}`);
  console.log(`local: ${APP_NAME} Ready on ${APP_REPO}:${tag}${app.status?.imageDigest ? ` (${app.status.imageDigest})` : ''}; GET /items through its Service -> ${list.status}, ${list.json.length} items`);
}

async function release(tag: string | undefined): Promise<void> {
  if (!tag || !TAG_RE.test(tag) || tag === 'latest') throw new Error(`local: release needs an image tag (not 'latest'): ${usage}`);
  const state = running();
  if (!state.tags.length) throw new Error('local: no app yet (npm run local -- deploy)');
  // A new release of the same code: the built image plus a label, so it has its own digest.
  const ctx = fs.mkdtempSync(path.join(DIR, 'release-'));
  try {
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${APP_REPO}:${FIRST_TAG}\nLABEL io.fastapiapp.release=${tag}\n`);
    await buildah(['bud', '--isolation', 'chroot', '--pull=never', '--format', 'docker', '-t', `${APP_REPO}:${tag}`, ctx], { timeoutMs: 300_000 });
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
  execFileSync(process.execPath, [path.join(REPO, 'test/harness/cluster/cli.mjs'), 'load', `${APP_REPO}:${tag}`], { stdio: 'inherit' });
  await setTag(state, tag, [...state.tags.filter((t) => t !== tag), tag]);
}

async function rollback(): Promise<void> {
  const state = running();
  const previous = state.tags.at(-2);
  if (!previous) throw new Error('local: nothing to roll back to (deploy, then release a tag first)');
  await setTag(state, previous, state.tags.slice(0, -1));
}

async function status(): Promise<void> {
  const state = running();
  const kube = kubeOf(state);
  const app = await kube.get(GROUP, 'FastApiApp', NAMESPACE, APP_NAME);
  if (!app) return console.log('local: up, no app yet (npm run local -- deploy)');
  const target = await serviceTarget(kube).catch(() => undefined);
  console.log(JSON.stringify({
    tag: app.spec.tag, tags: state.tags, ready: condition(app, 'Ready'), conditions: app.status?.conditions, service: target && `http://${target.host}:${target.port}`,
  }, null, 2));
}

async function down(): Promise<void> {
  const pid = ownerPid();
  if (!pid) {
    // Its cluster tears itself down when the owner dies (it watches the owner's PID); the one-node
    // cluster may be another user's (test suites), so it is not stopped from here.
    fs.rmSync(DIR, { recursive: true, force: true });
    return console.log('local: nothing running');
  }
  process.kill(pid, 'SIGTERM');
  await waitFor('the local cluster and Postgres torn down', async () => (isAlive(pid) ? undefined : true), 300_000, 200);
  const result = fs.existsSync(RESULT_FILE) ? JSON.parse(fs.readFileSync(RESULT_FILE, 'utf8')) as { left: string[] } : { left: ['no teardown result'] };
  process.stdout.write(fs.readFileSync(LOG_FILE, 'utf8').split('\n').slice(-3).join('\n'));
  fs.rmSync(DIR, { recursive: true, force: true });
  if (result.left.length) throw new Error(`local: teardown left:\n${result.left.join('\n')}`);
  console.log('local: down, nothing left behind');
}

const env = async () => {
  const state = running();
  console.log(`export KUBECONFIG=${state.kubeconfig}\nkubectl() { ${state.kubectl} kubectl "$@"; }`);
};

async function kubectl(): Promise<void> {
  const state = running();
  execFileSync(state.kubectl, ['kubectl', `--kubeconfig=${state.kubeconfig}`, ...args], { stdio: 'inherit' });
}

// argv: node, cdk8s/run.cjs, this file, the command...
const [command, ...args] = process.argv.slice(3);
const commands: Record<string, () => Promise<void>> = {
  up, deploy, release: () => release(args[0]), rollback, status, kubectl, env, down,
};
const run = command ? commands[command] : undefined;
if (!run) {
  console.error(usage);
  process.exit(2);
}
run().then(() => process.exit(0), (err: Error) => {
  console.error(err.message);
  process.exit(1);
});
