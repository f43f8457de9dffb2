// CPU per access line for the log destinations pino could write to, as the server uses them: K lines
// per event-loop turn (one per request finished in that turn), stdout to /dev/null. Each destination
// runs in its own child process (CPU of all its threads from process.cpuUsage, the thread pool's
// writes included). Usage: npm run bench:log [-- --turns 40000]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const build = path.join(root, '.cache/app-build/app/src/observability');
const turnsArg = process.argv.indexOf('--turns');
const TURNS = turnsArg > 0 ? Number(process.argv[turnsArg + 1]) : 40000;

console.log('building the app (.cache/app-build) ...');
execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'test/app/tsconfig.spawn.json')], { cwd: root, stdio: 'inherit' });

const destinations = {
  'none (serialize only)': `({ write() {} })`,
  'pino default (sonic-boom async)': `pino.destination({ dest: 1, sync: false })`,
  'sonic-boom sync': `pino.destination({ dest: 1, sync: true })`,
  'sonic-boom sync, minLength 4096': `pino.destination({ dest: 1, sync: true, minLength: 4096 })`,
  'fs.createWriteStream': `require('node:fs').createWriteStream('', { fd: 1, autoClose: false })`,
  'lineBatchingDestination (the app)': `require(${JSON.stringify(path.join(build, 'log-destination.js'))}).lineBatchingDestination()`,
};

function child(dest, k) {
  const script = `
    const pino = require(${JSON.stringify(path.join(root, 'node_modules/pino'))});
    const { createLogger } = require(${JSON.stringify(path.join(build, 'logger.js'))});
    const log = createLogger('info', ${dest});
    let t = 0; let c0;
    const tick = () => {
      for (let i = 0; i < ${k}; i++) log.info({ reqId: 'b7f1c2a4-9d1e-4c2b-8f3a-1234567890ab', method: 'GET', route: '/items/:item_id', path: '/items/' + i, status: 200, ms: 1.23 }, 'request');
      if (++t === 2000) c0 = process.cpuUsage(); // after warm-up
      if (t < ${TURNS}) setImmediate(tick);
      else setTimeout(() => { const c = process.cpuUsage(c0); process.stderr.write(String((c.user + c.system) / ((${TURNS} - 2000) * ${k}))); }, 200);
    };
    tick();`;
  const out = fs.openSync('/dev/null', 'w');
  const r = spawnSync(process.execPath, ['-e', script], { stdio: ['ignore', out, 'pipe'], encoding: 'utf8' });
  fs.closeSync(out);
  if (r.status !== 0) throw new Error(`${dest}: ${r.stderr}`);
  return Number(r.stderr);
}

const ks = [1, 5, 20];
console.log(`\nLog destinations: µs of CPU per access line, Node ${process.version}, ${TURNS} turns, K lines per turn`);
console.log(`| destination | ${ks.map((k) => `K=${k}`).join(' | ')} |`);
console.log(`|---|${ks.map(() => '---:').join('|')}|`);
for (const [name, dest] of Object.entries(destinations)) {
  console.log(`| ${name} | ${ks.map((k) => child(dest, k).toFixed(2)).join(' | ')} |`);
}
