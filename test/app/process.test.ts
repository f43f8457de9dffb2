// The built server and migrate CLI as real processes: config errors exit 1 naming the variable,
// the migrate command (what the operator's Job runs), and rollout-safe SIGTERM (keep-alive traffic, in-flight requests).
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../harness/postgres';
import { PostgresCluster } from '../harness/postgres/cluster';
import { freePort } from '../harness/free-port.cjs';
import { compiledApp } from './app-build';
import { spawnServer as spawnServerProcess, type StartedServer } from './server-process';

const root = path.resolve(__dirname, '../..');
let build: string;

beforeAll(async () => {
  build = path.join(await compiledApp(), 'app/src');
}, 300000);

const baseEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info' };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[], env: Record<string, string>, timeoutMs = 30000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(build, script), ...args], { cwd: root, env: { ...baseEnv, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not exit within ${timeoutMs} ms: ${stdout}${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

const spawnServer = (env: Record<string, string>): Promise<StartedServer> => spawnServerProcess(path.join(build, 'start.js'), { ...baseEnv, ...env }, children);

describe('configuration errors', () => {
  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'mysql://u:p@h/db' }, 'DATABASE_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ DB_POOL_MAX: '0' }, 'DB_POOL_MAX'],
    [{ POSTGRES_HOST: 'db', POSTGRES_PORT: 'five' }, 'POSTGRES_PORT'],
    [{ CORS_ORIGINS: 'not an origin' }, 'CORS_ORIGINS'],
    [{ MIGRATE_ON_START: 'maybe' }, 'MIGRATE_ON_START'],
    [{ SHUTDOWN_DELAY_MS: '-1' }, 'SHUTDOWN_DELAY_MS'],
    [{ SHUTDOWN_DELAY_MS: '5s' }, 'SHUTDOWN_DELAY_MS'],
    [{ SENTIMENT_WORKERS: 'two' }, 'SENTIMENT_WORKERS'],
    [{ SENTIMENT_WORKERS: '33' }, 'SENTIMENT_WORKERS'],
  ])('when the server starts with %j, then it exits 1 naming %s', async (env, variable) => {
    const r = await run('start.js', [], env as Record<string, string>);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Invalid configuration: ${variable}`);
  });

  it('when the migrate command starts with a bad variable, then it exits 1 naming it', async () => {
    const r = await run('migrate.js', ['latest'], { DATABASE_URL: 'nope' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('DATABASE_URL');
  });

  it('when the migrate command has no database configured, then it exits 1 saying what to set', async () => {
    const r = await run('migrate.js', ['status'], {});
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/DATABASE_URL/);
  });
});

describe('migrate command', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('migrate_cli');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('when two Jobs run `latest` at once on an empty database, then both exit 0 and status shows everything applied', async () => {
    const env = { DATABASE_URL: db.url };
    const [a, b] = await Promise.all([run('migrate.js', ['latest'], env), run('migrate.js', ['latest'], env)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const status = await run('migrate.js', ['status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('applied: 001_create_items, 002_add_price, 003_add_sentiment, 004_add_updated_at, 005_create_idempotency_keys');
    expect(status.stdout).toContain('pending: (none)');
  });

  it('when rolling back, then the last batch is reverted', async () => {
    const env = { DATABASE_URL: db.url };
    expect((await run('migrate.js', ['rollback'], env)).code).toBe(0);
    expect((await run('migrate.js', ['status'], env)).stdout).toContain('applied: (none)');
    expect((await run('migrate.js', ['latest'], env)).code).toBe(0);
  });

  it('when the command is unknown, then it exits 2 with usage', async () => {
    const r = await run('migrate.js', ['sideways'], { DATABASE_URL: db.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage');
  });
});

describe('crash-only', () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase('crash');
    // Preloaded into the server: on SIGUSR2, a promise rejection that nothing handles.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crash-only-'));
    fs.writeFileSync(path.join(dir, 'reject.cjs'), "process.on('SIGUSR2', () => { Promise.reject(new Error('nobody handles this')); });\n");
  });
  afterAll(async () => {
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('when a promise rejection goes unhandled, then it is logged as fatal and the process exits 1', async () => {
    const s = await spawnServer({ DATABASE_URL: db.url, MIGRATE_ON_START: 'true', NODE_OPTIONS: `--require ${path.join(dir, 'reject.cjs')}` });
    expect((await fetch(`http://127.0.0.1:${s.port}/livez`)).status).toBe(200);
    s.child.kill('SIGUSR2');
    const code = await Promise.race([s.exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
    expect(code).toBe(1);
    const fatal = s.logs.find((l) => l.level === 'fatal');
    expect(fatal).toMatchObject({ msg: 'unhandled promise rejection: exiting', err: expect.objectContaining({ message: 'nobody handles this' }) });
  });
});

describe('graceful shutdown', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('shutdown');
  });
  afterAll(async () => {
    await db.drop();
  });

  const startServer = (env: Record<string, string>) =>
    spawnServer({ DATABASE_URL: db.url, MIGRATE_ON_START: 'true', SHUTDOWN_TIMEOUT_MS: '10000', ...env });

  async function createItem(base: string): Promise<number> {
    const res = await fetch(`${base}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'slow', description: 'read' }) });
    return ((await res.json()) as { id: number }).id;
  }

  interface Outcome {
    sentAt: number;
    at: number;
    status?: number;
    connection?: string;
    error?: string;
  }

  /** One GET through `agent`; resolves with the outcome, never rejects. */
  function get(agent: http.Agent | false, port: number, urlPath: string): Promise<Outcome> {
    const sentAt = Date.now();
    return new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ sentAt, at: Date.now(), status: res.statusCode, connection: res.headers.connection }));
        res.on('error', (err) => resolve({ sentAt, at: Date.now(), error: err.message }));
      });
      req.on('error', (err) => resolve({ sentAt, at: Date.now(), error: (err as NodeJS.ErrnoException).code ?? err.message }));
    });
  }

  it('when a keep-alive client keeps sending through SIGTERM, then /readyz turns 503 at once, serving goes on for SHUTDOWN_DELAY_MS with Connection: close, no request fails, and it exits 0', async () => {
    const delayMs = 2000;
    const { child, port, logs, exited } = await startServer({ SHUTDOWN_DELAY_MS: String(delayMs) });
    const id = await createItem(`http://127.0.0.1:${port}`);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

    // A load balancer's view: poll /readyz; traffic stops reaching this pod a while after it turns
    // 503 (endpoint removal propagating), well inside SHUTDOWN_DELAY_MS.
    const propagationMs = 1000;
    let notReadyAt: number | undefined;
    const probes: Outcome[] = [];
    let removed = false;
    setTimeout(() => (removed = true), 15000).unref(); // never loop forever if /readyz stays 200
    const poller = (async () => {
      while (!removed) {
        const r = await get(false, port, '/readyz');
        probes.push(r);
        if (r.status === 503 && notReadyAt === undefined) {
          notReadyAt = r.at;
          setTimeout(() => (removed = true), propagationMs);
        }
        await new Promise((res) => setTimeout(res, 20));
      }
    })();
    const outcomes: Outcome[] = [];
    const clients = Array.from({ length: 4 }, async () => {
      while (!removed) outcomes.push(await get(agent, port, `/items/${id}`));
    });

    await new Promise((r) => setTimeout(r, 500));
    const sigterm = Date.now();
    child.kill('SIGTERM');
    await Promise.all([...clients, poller]);
    const livez = await get(false, port, '/livez'); // still inside the delay: liveness unaffected
    const code = await exited;
    const exitedAt = Date.now();
    agent.destroy();

    // When the server began draining, by its own log (the signal may wait a moment on a busy machine).
    const drainAt = Date.parse(String(logs.find((l) => l.msg === 'shutting down: not ready, still serving')?.time));
    expect(drainAt).toBeGreaterThanOrEqual(sigterm - 5);
    expect(outcomes.filter((o) => o.error !== undefined || o.status !== 200)).toEqual([]);
    const after = outcomes.filter((o) => o.sentAt > drainAt);
    expect(after.length).toBeGreaterThanOrEqual(4); // every client sent again while draining (few on a loaded machine)
    expect(after.every((o) => o.connection === 'close')).toBe(true);
    expect(outcomes.filter((o) => o.at < sigterm).every((o) => o.connection === 'keep-alive')).toBe(true);
    const probesAfter = probes.filter((p) => p.sentAt > drainAt);
    expect(probesAfter.length).toBeGreaterThan(0);
    expect(probesAfter.every((p) => p.status === 503)).toBe(true); // not ready from the moment it drains
    expect(notReadyAt).toBeDefined();
    expect(livez.status).toBe(200);
    expect(code).toBe(0);
    expect(exitedAt - drainAt).toBeGreaterThanOrEqual(delayMs);
    expect(exitedAt - sigterm).toBeLessThan(delayMs + 10000);
  }, 60000);

  it('when SIGTERM arrives during a request, then it finishes after the delay has passed and the listener closed, and the process exits 0', async () => {
    const delayMs = 500;
    const { child, port, logs, exited } = await startServer({ SHUTDOWN_DELAY_MS: String(delayMs) });
    const base = `http://127.0.0.1:${port}`;
    const id = await createItem(base);

    // Hold a lock so the next read blocks inside the database: an in-flight request.
    const locker = new Client({ connectionString: db.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE items IN ACCESS EXCLUSIVE MODE');
    const inFlight = fetch(`${base}/items/${id}`);
    await new Promise((r) => setTimeout(r, 300));

    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    expect((await fetch(`${base}/readyz`)).status).toBe(503); // inside the delay: still accepting
    await new Promise((r) => setTimeout(r, delayMs + 300));
    expect(child.exitCode).toBeNull(); // still draining
    await expect(fetch(`${base}/livez`)).rejects.toThrow(); // after the delay: listener closed

    await locker.query('COMMIT');
    await locker.end();
    const res = await inFlight;
    const released = Date.now();
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).toBe('close');
    expect(((await res.json()) as { name: string }).name).toBe('slow');
    expect(await exited).toBe(0);
    expect(Date.now() - released).toBeLessThan(5000); // well before SHUTDOWN_TIMEOUT_MS (10 s)
    expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down: not ready, still serving', 'shutting down: draining in-flight requests', 'shutdown complete']));
  }, 60000);

  it('when SIGTERM arrives while the sentiment workers score the largest batches, then those requests finish, the workers are terminated and it exits 0 within SHUTDOWN_TIMEOUT_MS', async () => {
    const timeoutMs = 6000; // 3 s was exceeded at load 10 (the workers run at nice 19)
    const { child, port, logs, exited } = await startServer({ SHUTDOWN_DELAY_MS: '0', SHUTDOWN_TIMEOUT_MS: String(timeoutMs), SENTIMENT_WORKERS: '2' });
    const body = JSON.stringify({ texts: Array.from({ length: 5 }, (_, i) => `${i} The screen cracked after two days. `.repeat(300).slice(0, 10000)) });
    const post = () => fetch(`http://127.0.0.1:${port}/predict/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await post()).status).toBe(200); // the workers are up
    const inFlight = Array.from({ length: 4 }, () => post().then((r) => r.status, () => 'connection closed'));
    await new Promise((r) => setTimeout(r, 30));
    const start = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - start).toBeLessThan(timeoutMs);
    expect(await Promise.all(inFlight)).toEqual([200, 200, 200, 200]); // drained, not cut off
    expect(logs.find((l) => l.msg === 'sentiment workers terminated')).toMatchObject({ workers: 2 });
  }, 60000);

  it('when SIGTERM arrives while the database is stalled (SIGSTOP), then it exits within SHUTDOWN_TIMEOUT_MS anyway', async () => {
    const pg = await PostgresCluster.create();
    try {
      const timeoutMs = 2000;
      // A statement timeout far above the shutdown timeout: the in-flight request would outlive it.
      const { child, port, exited } = await startServer({ DATABASE_URL: pg.url, SHUTDOWN_DELAY_MS: '0', SHUTDOWN_TIMEOUT_MS: String(timeoutMs), DB_STATEMENT_TIMEOUT_MS: '60000' });
      const base = `http://127.0.0.1:${port}`;
      const id = await createItem(base);
      pg.freeze();
      const inFlight = fetch(`${base}/items/${id}`).then((r) => r.status, () => 'connection closed');
      await new Promise((r) => setTimeout(r, 300));
      const start = Date.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(Date.now() - start).toBeLessThan(timeoutMs + 1500);
      expect(await inFlight).toBe('connection closed'); // cut at the deadline, not left hanging
    } finally {
      pg.thaw();
      await pg.destroy();
    }
  }, 60000);

  it('when SIGTERM arrives while idle, then it exits 0 once SHUTDOWN_DELAY_MS has passed', async () => {
    const { child, exited } = await startServer({ SHUTDOWN_DELAY_MS: '300' });
    const start = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - start).toBeGreaterThanOrEqual(300);
    expect(Date.now() - start).toBeLessThan(5000);
  }, 60000);

  it('when SIGINT arrives (Ctrl-C), then it skips the delay and exits 0 promptly', async () => {
    const { child, exited } = await startServer({ SHUTDOWN_DELAY_MS: '30000' });
    const start = Date.now();
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(Date.now() - start).toBeLessThan(5000);
  }, 60000);
});

// `npm start` with nothing configured: the app runs its own PostgreSQL in a data directory kept
// between runs. Run as root (CI), Postgres runs as the postgres user, so directory modes matter.
describe('embedded database (no DATABASE_URL)', () => {
  let home: string;
  let dataDir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'embedded-pg-')); // mode 0700, as a private checkout
    dataDir = path.join(home, '.data', 'postgres');
    env = { EMBEDDED_PG_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()), SHUTDOWN_DELAY_MS: '0' };
  });
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  async function startAndStop(check: (base: string) => Promise<void>): Promise<void> {
    const { child, port, exited } = await spawnServer(env);
    await check(`http://127.0.0.1:${port}`);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }

  it('when it is started, stopped and started again in the same directory, then the second start serves the data of the first', async () => {
    let id = 0;
    await startAndStop(async (base) => {
      const res = await fetch(`${base}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'kept', description: 'across restarts' }) });
      expect(res.status).toBe(201);
      id = ((await res.json()) as { id: number }).id;
    });
    // Postgres refuses a data directory that others may enter.
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
    await startAndStop(async (base) => {
      const res = await fetch(`${base}/items/${id}`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { name: string }).name).toBe('kept');
    });
  }, 120000);

  it('when an earlier version left the data directory at mode 0701, then it starts anyway and the directory is private again', async () => {
    fs.chmodSync(dataDir, 0o701);
    await startAndStop(async (base) => expect((await fetch(`${base}/health`)).status).toBe(200));
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
  }, 120000);

  it('when its port is taken, then it exits 1 saying what Postgres said and which variable to change', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(Number(env.EMBEDDED_PG_PORT), '127.0.0.1', resolve));
    try {
      const r = await run('start.js', [], { ...env, PORT: '0', HOST: '127.0.0.1' });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`embedded PostgreSQL failed to start on 127.0.0.1:${env.EMBEDDED_PG_PORT}`);
      expect(r.stderr).toMatch(/Address already in use/);
      expect(r.stderr).toContain('EMBEDDED_PG_PORT');
    } finally {
      holder.close();
    }
  }, 60000);
});
