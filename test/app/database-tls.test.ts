// The app's database connection with DATABASE_CA_FILE: TLS with full verification (sslmode
// verify-full) against a PostgreSQL server that serves a certificate from a CA this test makes,
// as the RDS CA bundle is used on AWS. The right CA and host connect over TLS; another CA, or a
// certificate for another host name, are refused; a URL asking for less than verify-full is a
// startup error.
import { execFileSync } from 'node:child_process';
import { chownSync, chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compose, type Composition } from '../../app/src/compose';
import { ConfigError, loadConfig } from '../../app/src/config';
import { PostgresCluster } from '../harness/postgres/cluster';
import { createCa, issueCert } from '../harness/envtest/pki.cjs';
import { memoryLogger } from './support';

let dir: string;
let pg: PostgresCluster;
let caFile: string;
let otherCaFile: string;
const opened: Composition[] = [];

/** Who the server runs as: as root, PostgresCluster runs it as `postgres`, which must own its 0600 key. */
function serverOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) };
}

/** The app's own config and pool, from env as in a pod. */
function appWith(env: Record<string, string>): Composition {
  const cfg = loadConfig(env, dir);
  const c = compose({ db: { ...cfg.db, url: cfg.db.url!, connectTimeoutMs: 2000 }, logger: memoryLogger().logger, healthTimeoutMs: 2000 });
  opened.push(c);
  return c;
}

async function sslOf(c: Composition): Promise<{ ssl: boolean; version: string }> {
  const { rows } = await c.knex.raw('select ssl, version from pg_stat_ssl where pid = pg_backend_pid()');
  return rows[0];
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'db-tls-'));
  chmodSync(dir, 0o755);
  const ca = createCa(dir, 'test-db-ca');
  // Named for 127.0.0.1 only: the same server reached as 127.0.0.2 presents a certificate for another host.
  const server = issueCert(ca, dir, 'server', { ips: ['127.0.0.1'] });
  chmodSync(server.keyFile, 0o600);
  const owner = serverOwner();
  if (owner) for (const f of [server.keyFile, server.certFile]) chownSync(f, owner.uid, owner.gid);
  caFile = ca.certFile;
  const other = mkdtempSync(path.join(dir, 'other-'));
  otherCaFile = createCa(other, 'another-ca').certFile;
  pg = await PostgresCluster.create({
    extraListenAddresses: ['127.0.0.2'],
    allowNetworks: ['127.0.0.2/32'],
    settings: { ssl: 'on', ssl_cert_file: server.certFile, ssl_key_file: server.keyFile },
  });
}, 60_000);

afterAll(async () => {
  for (const c of opened) await c.close().catch(() => {});
  await pg?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('when DATABASE_CA_FILE names the server\'s CA and the URL says verify-full, then the app connects over TLS', async () => {
  const c = appWith({ DATABASE_URL: `${pg.url}?sslmode=verify-full`, DATABASE_CA_FILE: caFile });
  const tls = await sslOf(c);
  expect(tls.ssl).toBe(true);
  expect(tls.version).toMatch(/^TLSv1\.[23]$/);
});

test('when DATABASE_CA_CERT holds the PEM instead (an env var from a ConfigMap), then the same', async () => {
  const c = appWith({ DATABASE_URL: pg.url, DATABASE_CA_CERT: readFileSync(caFile, 'utf8') });
  expect((await sslOf(c)).ssl).toBe(true);
});

test('when the server\'s certificate is from another CA, then no connection is made', async () => {
  const c = appWith({ DATABASE_URL: `${pg.url}?sslmode=verify-full`, DATABASE_CA_FILE: otherCaFile });
  await expect(c.knex.raw('select 1')).rejects.toThrow(/self[- ]signed|unable to (get|verify)|certificate/i);
});

test('when the certificate does not name the host the URL connects to, then no connection is made (verify-full checks the name)', async () => {
  const c = appWith({ DATABASE_URL: pg.url.replace('127.0.0.1', '127.0.0.2'), DATABASE_CA_FILE: caFile });
  await expect(c.knex.raw('select 1')).rejects.toThrow(/altnames|does not match|Hostname\/IP/i);
});

test.each([
  [{ DATABASE_URL: 'postgres://u:p@db.internal:5432/app?sslmode=no-verify', DATABASE_CA_FILE: 'CA' }, 'DATABASE_URL', 'sslmode=no-verify'],
  [{ DATABASE_URL: 'postgres://u:p@db.internal:5432/app?sslmode=require', DATABASE_CA_FILE: 'CA' }, 'DATABASE_URL', 'verify-full'],
  [{ DATABASE_URL: 'postgres://u:p@db.internal:5432/app', DATABASE_CA_FILE: '/nonexistent/ca.pem' }, 'DATABASE_CA_FILE', 'cannot be read'],
  [{ DATABASE_URL: 'postgres://u:p@db.internal:5432/app', DATABASE_CA_CERT: 'not a certificate' }, 'DATABASE_CA_CERT', 'PEM'],
  [{ DATABASE_CA_CERT: 'x' }, 'DATABASE_CA_CERT', 'needs DATABASE_URL'],
])('when %j, then a ConfigError names %s', (env, variable, text) => {
  const e = { ...env } as Record<string, string>;
  if (e.DATABASE_CA_FILE === 'CA') e.DATABASE_CA_FILE = caFile;
  let err: unknown;
  try {
    loadConfig(e, dir);
  } catch (x) {
    err = x;
  }
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as ConfigError).message).toContain(variable);
  expect((err as ConfigError).message).toContain(text);
});
