// The background owner of `npm run local -- up`: builds the images, starts the one-node cluster,
// loads the images, starts a Postgres the pods reach on the bridge, installs the CRD and the
// operator from cdk8s/dist with the built image, writes the state file, then waits. On SIGTERM
// (`npm run local -- down`) it tears all of it down and records whether the host is as before.
import fs from 'node:fs';
import { installOperator, startBridgePostgres } from '../../e2e/support/install';
import { Kube } from '../../e2e/support/kube';
import { buildImage, requireRoot } from '../../images/support/buildah';
import { hostSnapshot, startTestCluster, type TestCluster } from '../cluster';
import type { PostgresCluster } from '../postgres/cluster';
import { descendants } from '../processes.cjs';
import { APP_REPO, FIRST_TAG, OPERATOR_IMAGE, RESULT_FILE, STATE_FILE, writeState } from './state';

const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);

async function main(): Promise<void> {
  requireRoot();
  let cluster: TestCluster | undefined;
  let pg: PostgresCluster | undefined;
  let stopping = false;
  const stopped = new Promise<string>((resolve) => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => { stopping = true; resolve(sig); });
  });
  try {
    log('building the app and operator images with buildah (cached layers after the first build)');
    await buildImage('Dockerfile.app', `${APP_REPO}:${FIRST_TAG}`);
    await buildImage('Dockerfile.operator', OPERATOR_IMAGE);
    log('starting the one-node cluster');
    cluster = await startTestCluster();
    if (stopping) throw new Error('stopped while starting');
    log('loading the images into the node');
    await cluster.loadImages([`${APP_REPO}:${FIRST_TAG}`, OPERATOR_IMAGE]);
    log(`starting a Postgres on the bridge ${cluster.info.bridgeIp}`);
    pg = await startBridgePostgres(cluster.info, ['items']);
    log('installing the FastApiApp CRD and the operator (cdk8s/dist/operator.yaml)');
    await installOperator(new Kube(cluster.kubeConfig()), cluster.info, OPERATOR_IMAGE);
    writeState({
      pid: process.pid,
      kubeconfig: cluster.info.kubeconfig,
      kubectl: cluster.info.kubectl,
      databaseUrl: pg.urlVia(cluster.info.bridgeIp, 'items'),
      tags: [],
      hostBefore: cluster.info.hostBefore,
    });
    log('ready');
    log(`stopping on ${await stopped}`);
  } catch (err) {
    log(`failed: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  } finally {
    fs.rmSync(STATE_FILE, { force: true });
    const left: string[] = [];
    try {
      await pg?.destroy();
    } catch (err) {
      left.push(`postgres: ${String(err)}`);
    }
    if (cluster) {
      const before = JSON.stringify(cluster.info.hostBefore);
      try {
        await cluster.stop();
        const after = await hostSnapshot();
        if (JSON.stringify(after) !== before) left.push(`host state differs from before the cluster: ${JSON.stringify({ before: cluster.info.hostBefore, after })}`);
      } catch (err) {
        left.push(`cluster: ${String(err)}`);
      }
    }
    // Processes of ours still running (the Postgres server and its backends, a cluster CLI).
    const children = descendants(process.pid);
    if (children.length) left.push(`processes: ${children.join(', ')}`);
    fs.writeFileSync(RESULT_FILE, JSON.stringify({ left }));
    log(left.length ? `torn down, with leftovers:\n${left.join('\n')}` : 'torn down: nothing left behind');
  }
}

void main();
