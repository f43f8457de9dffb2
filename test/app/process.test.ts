// The built server and migrate CLI as real processes: config errors exit 1 naming the variable,
// the migrate command (what the operator's Job runs), and graceful SIGTERM with a request in flight.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../harness/postgres';

const root = path.resolve(__dirname, '../..');
const build = path.join(root, '.cache/app-build/app/src');

beforeAll(() => {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(__dirname, 'tsconfig.spawn.json')], { cwd: root, stdio: 'pipe' });
}, 180000);

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
    expect(status.stdout).toContain('applied: 001_create_items, 002_add_price, 003_add_sentiment');
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

describe('graceful shutdown', () => {
  let db: TestDatabase;
  let server: ChildProcess | undefined;
  beforeAll(async () => {
    db = await createTestDatabase('shutdown');
  });
  afterAll(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    await db.drop();
  });

  function startServer(): Promise<{ child: ChildProcess; port: number; logs: Record<string, unknown>[]; exited: Promise<number | null> }> {
    const child = spawn(process.execPath, [path.join(build, 'start.js')], {
      cwd: root,
      env: { ...baseEnv, DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', MIGRATE_ON_START: 'true', SHUTDOWN_TIMEOUT_MS: '10000' },
    });
    server = child;
    const logs: Record<string, unknown>[] = [];
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return new Promise((resolve, reject) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
          buf = buf.slice(nl + 1);
          logs.push(line);
          if (line.msg === 'listening') resolve({ child, port: Number(String(line.address).split(':').pop()), logs, exited });
        }
      });
      child.on('exit', (code) => reject(new Error(`server exited early with ${code}`)));
    });
  }

  it('when SIGTERM arrives during a request, then the request completes, new connections are refused, and it exits 0', async () => {
    const { child, port, logs, exited } = await startServer();
    const base = `http://127.0.0.1:${port}`;
    const created = await (await fetch(`${base}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'slow', description: 'read' }) })).json() as { id: number };

    // Hold a lock so the next read blocks inside the database: an in-flight request.
    const locker = new Client({ connectionString: db.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE items IN ACCESS EXCLUSIVE MODE');
    const inFlight = fetch(`${base}/items/${created.id}`);
    await new Promise((r) => setTimeout(r, 300));

    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    expect(child.exitCode).toBeNull(); // still draining
    await expect(fetch(`${base}/livez`)).rejects.toThrow(); // listener closed: no new connections

    await locker.query('COMMIT');
    await locker.end();
    const res = await inFlight;
    const released = Date.now();
    expect(res.status).toBe(200);
    expect(((await res.json()) as { name: string }).name).toBe('slow');
    expect(await exited).toBe(0);
    expect(Date.now() - released).toBeLessThan(5000); // well before SHUTDOWN_TIMEOUT_MS (10 s)
    expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down: draining in-flight requests', 'shutdown complete']));
  }, 60000);

  it('when SIGTERM arrives while idle, then it exits 0 promptly', async () => {
    const { child, exited } = await startServer();
    const start = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - start).toBeLessThan(5000);
  }, 60000);
});
