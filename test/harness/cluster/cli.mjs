// `npm run cluster -- <command>`: a real one-node Kubernetes on this machine (root).
//   up                 start in the foreground; prints `export KUBECONFIG=...`; Ctrl-C tears down
//   push IMAGE[=NAME:TAG]...  push images from the local buildah store to the cluster's registry
//                      (plain HTTP on the bridge); prints {image: {ref, digest}} as JSON
//   load IMAGE...      copy images from the local buildah store into the node's containerd
//   down               stop the running cluster (or clean up after a killed one)
//   status             print the running cluster's details as JSON
//   mem                print the memory (PSS, MB) of all its processes, pods included
//   build              build the binaries it needs (once; cached)
//   host-snapshot      print the host state teardown must restore (links, rules, sysctls...) as JSON
// Options of up: --owner-pid PID (tear down when PID exits) and --ready-file FILE (write the
// cluster's details there as JSON once ready): how test suites run it in the background.
import fs from 'node:fs';
import { isAlive } from '../processes.cjs';
import { clusterInfo, clusterMemoryMb, LAST_LOGS, readState, startCluster, teardown } from './cluster.mjs';
import { hostSnapshot } from './host.mjs';
import { binaries, loadImages, pushImages } from './images.mjs';
import { withLock } from './lock.mjs';

const usage = 'usage: npm run cluster -- up|push IMAGE[=NAME:TAG]...|load IMAGE...|down|status|build';
const option = (args, name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

function runningState() {
  const state = readState();
  return state?.ready && isAlive(state.daemonPid) ? state : undefined;
}

async function up(args) {
  const owner = Number(option(args, '--owner-pid')) || undefined;
  const readyFile = option(args, '--ready-file');
  // The lock is held for the cluster's whole life: a second `up` waits until this one has ended.
  const asked = Date.now();
  await withLock(async () => {
    const lockWaitMs = Date.now() - asked;
    let release;
    const stopped = new Promise((r) => { release = r; });
    let stopping;
    const stop = (why) => {
      stopping ??= (async () => {
        console.error(`cluster: ${why}: tearing down`);
        const problems = await teardown();
        for (const p of problems) console.error(`cluster: teardown: ${p}`);
        process.exitCode = problems.length ? 1 : 0;
        release();
      })();
    };
    // Taken under the lock, before this cluster changes anything (and after any other has been
    // torn down): what a teardown must restore, even when suites queue for the lock.
    const hostBefore = hostSnapshot();
    const info = { ...await startCluster({ owner, build: true }), hostBefore, lockWaitMs };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    const timer = setInterval(() => { if (owner && !isAlive(owner)) stop(`owner ${owner} exited`); }, 500);
    if (readyFile) fs.writeFileSync(readyFile, JSON.stringify(info));
    const secs = (ms) => (ms / 1000).toFixed(1);
    console.log(`cluster: node Ready in ${secs(info.phases.node)} s, all components in ${secs(info.phases.ready)} s (${info.dir})`);
    console.log(`cluster: logs in ${info.logs} (copied to ${LAST_LOGS} at teardown); kubectl: ${info.kubectl} kubectl`);
    console.log(`export KUBECONFIG=${info.kubeconfig}`);
    await stopped;
    clearInterval(timer);
  }, { timeoutMs: 60 * 60_000 });
}

async function down() {
  const state = readState();
  if (!state) return console.log('cluster: none running');
  if (state.daemonPid && isAlive(state.daemonPid) && state.daemonPid !== process.pid) {
    process.kill(state.daemonPid, 'SIGTERM');
    const deadline = Date.now() + 180_000;
    while (isAlive(state.daemonPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (!readState()) return console.log('cluster: stopped');
  }
  const problems = await teardown(state);
  for (const p of problems) console.error(`cluster: teardown: ${p}`);
  console.log(problems.length ? 'cluster: stopped, with problems' : 'cluster: stopped');
  if (problems.length) process.exitCode = 1;
}

const [command, ...args] = process.argv.slice(2);
const commands = {
  up: () => up(args),
  load: async () => {
    const state = runningState();
    if (!state) throw new Error('cluster: none running (npm run cluster -- up)');
    if (!args.length) throw new Error(usage);
    loadImages(clusterInfo(state).containerdSocket, args);
    console.log(`cluster: loaded ${args.join(', ')}`);
  },
  push: async () => {
    if (!runningState()) throw new Error('cluster: none running (npm run cluster -- up)');
    if (!args.length) throw new Error(usage);
    console.log(JSON.stringify(pushImages(args)));
  },
  down,
  status: async () => {
    const state = runningState();
    console.log(state ? JSON.stringify(clusterInfo(state), null, 2) : 'cluster: none running');
  },
  mem: async () => {
    const state = runningState();
    if (!state) throw new Error('cluster: none running');
    console.log(clusterMemoryMb(state));
  },
  'host-snapshot': async () => console.log(JSON.stringify(hostSnapshot())),
  build: async () => console.log(binaries({ build: true }).dir),
};
if (!commands[command]) {
  console.error(usage);
  process.exit(2);
}
commands[command]().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
