// `npm run envtest -- <command>`
//   up [--apiserver-arg=--FLAG=VALUE ...] [--ca-from=DIR]
//           start a control plane in the foreground; prints the kubeconfig path and export lines;
//           Ctrl-C / SIGTERM stops it and removes its files. Each --apiserver-arg is appended to
//           kube-apiserver's flags (e.g. --apiserver-arg=--etcd-compaction-interval=1s);
//           --ca-from signs its certificates with DIR/ca.crt + ca.key (another plane's CA)
//   build   make sure the binaries exist (lookup order in assets.cjs; builds into the cache)
//   where   print which binaries would be used, without building
//   bench [N]  start and stop N (default 3) control planes; print a table of start-up phases
import assets from './assets.cjs';
import { startProjectControlPlane } from './start.mjs';

const usage = 'usage: npm run envtest -- up [--apiserver-arg=FLAG ...] [--ca-from=DIR]|build|where|bench [N]';
const APISERVER_ARG = '--apiserver-arg=';
const CA_FROM = '--ca-from=';

/** Start-up phases (cumulative seconds) of N sequential control planes, as a Markdown table. */
async function bench(runs) {
  const rows = [];
  for (let i = 1; i <= runs; i++) {
    const plane = await startProjectControlPlane({ build: false });
    const stopStart = Date.now();
    await plane.stop();
    rows.push({ run: i, ...plane.phasesMs, total: plane.startupMs, stop: Date.now() - stopStart });
  }
  const cols = ['run', 'certs', 'etcd', 'apiserver', 'crds', 'total', 'stop'];
  const fmt = (r, c) => (c === 'run' ? String(r[c]) : (r[c] / 1000).toFixed(2));
  console.log('envtest start-up, cumulative seconds (target: total < 15 s with cached binaries)\n');
  console.log(`| ${cols.join(' | ')} |\n|${cols.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${cols.map((c) => fmt(r, c)).join(' | ')} |`);
}

async function up(args) {
  const unknown = args.filter((a) => !a.startsWith(APISERVER_ARG) && !a.startsWith(CA_FROM));
  if (unknown.length) throw new Error(`up: unknown arguments ${unknown.join(' ')}\n${usage}`);
  const apiserverArgs = args.filter((a) => a.startsWith(APISERVER_ARG)).map((a) => a.slice(APISERVER_ARG.length));
  const caFrom = args.find((a) => a.startsWith(CA_FROM))?.slice(CA_FROM.length);
  const plane = await startProjectControlPlane({ build: true, apiserverArgs, caFrom });
  console.log(`envtest: kube-apiserver ${plane.server} ready in ${(plane.startupMs / 1000).toFixed(1)} s`);
  console.log(`envtest: CRDs: ${plane.crdNames.join(', ') || '(none)'}`);
  console.log(`envtest: kubeconfig: ${plane.kubeconfig}`);
  console.log(`export KUBECONFIG=${plane.kubeconfig}`);
  console.log('# to run jest against this control plane instead of starting one:');
  console.log(Object.entries(plane.env).map(([k, v]) => `export ${k}=${v}`).join('\n'));
  console.log('envtest: running; Ctrl-C to stop');
  await new Promise((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(sig, resolve);
  });
  console.log('envtest: stopping');
  await plane.stop();
}

async function main(command) {
  switch (command) {
    case 'up':
      return up(process.argv.slice(3));
    case 'build': {
      const found = assets.findAssets({ build: true });
      console.log(`kube-apiserver: ${found.kubeApiserver}\netcd: ${found.etcd}\n(source: ${found.source})`);
      return undefined;
    }
    case 'bench':
      return bench(Number.parseInt(process.argv[3] ?? '3', 10) || 3);
    case 'where': {
      const found = assets.findAssets({ build: false });
      console.log(`kube-apiserver: ${found.kubeApiserver}\netcd: ${found.etcd}\n(source: ${found.source})`);
      return undefined;
    }
    default:
      console.error(usage);
      process.exitCode = 2;
      return undefined;
  }
}

main(process.argv[2]).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
