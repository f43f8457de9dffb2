// Configuration: read from the environment once at startup, validated, typed and frozen.
// An invalid value throws ConfigError naming the variable; start.ts turns that into exit 1.
import fs from 'node:fs';
import path from 'node:path';
import { securityConfig, type SecurityConfig } from './security-config.js';

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface DatabaseConfig {
  /** Connection URL; undefined means "no database configured": start.ts runs an embedded Postgres. */
  url: string | undefined;
  poolMin: number;
  poolMax: number;
  /** TCP connect timeout for a new connection (pg `connectionTimeoutMillis`). */
  connectTimeoutMs: number;
  /** How long a query may wait for a free pool connection. */
  acquireTimeoutMs: number;
  /** Server-side `statement_timeout` per connection. */
  statementTimeoutMs: number;
  /** Client-side bound on a query; default statementTimeoutMs + 1000 (0 with no statement timeout). */
  queryTimeoutMs?: number;
  /** Server-side `lock_timeout` per connection (unset: Postgres's default, none). */
  lockTimeoutMs?: number;
  /**
   * TLS with full verification (libpq's sslmode=verify-full): the server's certificate must chain
   * to `ca` and name the host of DATABASE_URL. From DATABASE_CA_FILE or DATABASE_CA_CERT (e.g. the
   * RDS CA bundle); unset = what DATABASE_URL's own ssl parameters say.
   */
  tls?: { ca: string };
}

/** How migrations run: not under the serving statement timeout, and never queueing for long on a lock. */
export interface MigrationConfig {
  /** `statement_timeout` of migration connections; 0 = none (a big ALTER may take long). */
  statementTimeoutMs: number;
  /** `lock_timeout`: a migration waiting on a lock gives up (and retries) after this, so serving queries queued behind its lock request wait at most this long. */
  lockTimeoutMs: number;
  /** Attempts after a lock timeout before failing. */
  lockRetries: number;
  /** How long a second concurrent run waits for the first before exiting with an error. */
  waitMs: number;
}

export interface Config {
  port: number;
  host: string;
  logLevel: LogLevel;
  /** Bytes of log lines kept while stdout's reader is stalled; beyond them lines are dropped and counted. */
  logBufferBytes: number;
  /** Allowed CORS origins; empty disables CORS, ['*'] allows any. */
  corsOrigins: string[];
  db: DatabaseConfig;
  migration: MigrationConfig;
  /** Apply migrations at startup (always done for the embedded database). */
  migrateOnStart: boolean;
  /** Embedded Postgres (used only when no database is configured). */
  embedded: { dataDir: string; port: number };
  /** After SIGTERM, keep serving (while /readyz says 503) this long before closing the listener. */
  shutdownDelayMs: number;
  /** Bound on draining in-flight requests and closing the pool once the listener is closed. */
  shutdownTimeoutMs: number;
  /** /health and /readyz give up on the database after this long. */
  healthTimeoutMs: number;
  /** Worker threads scoring sentiment of long texts; 0 scores them on the event loop, in slices. */
  sentimentWorkers: number;
  /** Score rows without sentiment (adopted from the lab) in the background after startup (background.ts). */
  sentimentBackfill: { enabled: boolean; batchSize: number };
  /** Auth, rate limits, scoring bounds, metrics port (security-config.ts). */
  security: SecurityConfig;
}

export type Env = Record<string, string | undefined>;

export function str(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

export function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return def;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `must be an integer between ${min} and ${max} (got "${raw}")`);
  }
  return Number(raw);
}

function bool(env: Env, name: string, def: boolean): boolean {
  const raw = str(env, name)?.toLowerCase();
  if (raw === undefined) return def;
  if (['1', 'true', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'no'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

function databaseUrl(env: Env): string | undefined {
  const url = str(env, 'DATABASE_URL');
  if (url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError('DATABASE_URL', 'must be a URL like postgres://user:password@host:5432/db');
    }
    if (!['postgres:', 'postgresql:'].includes(parsed.protocol) || !parsed.hostname) {
      throw new ConfigError('DATABASE_URL', 'must be a URL like postgres://user:password@host:5432/db');
    }
    return url;
  }
  // The lab's variables, used when POSTGRES_HOST is set.
  const host = str(env, 'POSTGRES_HOST');
  if (host === undefined) return undefined;
  if (!/^[A-Za-z0-9._:-]+$/.test(host)) throw new ConfigError('POSTGRES_HOST', `is not a valid host name (got "${host}")`);
  const port = int(env, 'POSTGRES_PORT', 5432, 1, 65535);
  const user = str(env, 'POSTGRES_USER') ?? 'postgres';
  const password = env.POSTGRES_PASSWORD ?? '';
  const db = str(env, 'POSTGRES_DB') ?? 'postgres';
  const u = new URL('postgres://placeholder');
  u.hostname = host;
  u.port = String(port);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  u.pathname = `/${encodeURIComponent(db)}`;
  return u.toString();
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** DATABASE_CA_FILE (a path, read once here) or DATABASE_CA_CERT (the PEM itself): the CA the database's certificate must chain to. */
function databaseTls(env: Env, url: string | undefined): { ca: string } | undefined {
  const file = str(env, 'DATABASE_CA_FILE');
  const pem = str(env, 'DATABASE_CA_CERT');
  if (file === undefined && pem === undefined) return undefined;
  const name = file !== undefined ? 'DATABASE_CA_FILE' : 'DATABASE_CA_CERT';
  if (file !== undefined && pem !== undefined) throw new ConfigError('DATABASE_CA_CERT', 'set DATABASE_CA_FILE or DATABASE_CA_CERT, not both');
  if (url === undefined) throw new ConfigError(name, 'needs DATABASE_URL (or POSTGRES_HOST)');
  let ca = pem ?? '';
  if (file !== undefined) {
    try {
      ca = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(name, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): ${file}`);
    }
  }
  if (!PEM_CERT.test(ca)) throw new ConfigError(name, 'must hold PEM certificates (-----BEGIN CERTIFICATE-----)');
  // The CA means "verify fully": a URL asking for less (or for no TLS) contradicts it.
  const mode = new URL(url).searchParams.get('sslmode');
  if (mode !== null && mode !== 'verify-full') {
    throw new ConfigError('DATABASE_URL', `has sslmode=${mode}, but ${name} is set: use sslmode=verify-full or leave sslmode out`);
  }
  return { ca };
}

/** Reads and validates the configuration; throws ConfigError on the first invalid variable. */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Readonly<Config> {
  const logLevel = (str(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }
  const corsOrigins = (str(env, 'CORS_ORIGINS') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const origin of corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError('CORS_ORIGINS', `must be "*" or a comma-separated list of origins like https://example.com (got "${origin}")`);
    }
  }
  const poolMin = int(env, 'DB_POOL_MIN', 0, 0, 100);
  const poolMax = int(env, 'DB_POOL_MAX', 10, 1, 100);
  if (poolMin > poolMax) throw new ConfigError('DB_POOL_MIN', `must not exceed DB_POOL_MAX (${poolMax})`);
  const url = databaseUrl(env);
  const tls = databaseTls(env, url);
  const port = int(env, 'PORT', 8000, 0, 65535);
  const config: Config = {
    port,
    host: str(env, 'HOST') ?? '0.0.0.0',
    logLevel: logLevel as LogLevel,
    logBufferBytes: int(env, 'LOG_BUFFER_BYTES', 4 * 1024 * 1024, 64 * 1024, 256 * 1024 * 1024),
    corsOrigins,
    db: {
      url,
      poolMin,
      poolMax,
      connectTimeoutMs: int(env, 'DB_CONNECT_TIMEOUT_MS', 2000, 100, 60000),
      acquireTimeoutMs: int(env, 'DB_ACQUIRE_TIMEOUT_MS', 5000, 100, 60000),
      statementTimeoutMs: int(env, 'DB_STATEMENT_TIMEOUT_MS', 10000, 0, 600000),
      ...(tls ? { tls } : {}),
    },
    migration: {
      statementTimeoutMs: int(env, 'MIGRATION_STATEMENT_TIMEOUT_MS', 0, 0, 86_400_000),
      lockTimeoutMs: int(env, 'MIGRATION_LOCK_TIMEOUT_MS', 3000, 100, 600_000),
      lockRetries: int(env, 'MIGRATION_LOCK_RETRIES', 10, 0, 1000),
      waitMs: int(env, 'MIGRATION_WAIT_MS', 600_000, 0, 86_400_000),
    },
    migrateOnStart: bool(env, 'MIGRATE_ON_START', false),
    embedded: {
      dataDir: path.resolve(cwd, str(env, 'EMBEDDED_PG_DIR') ?? '.data/postgres'),
      port: int(env, 'EMBEDDED_PG_PORT', 54329, 1, 65535),
    },
    shutdownDelayMs: int(env, 'SHUTDOWN_DELAY_MS', 5000, 0, 300000),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10000, 0, 300000),
    healthTimeoutMs: int(env, 'HEALTH_TIMEOUT_MS', 1500, 100, 30000),
    sentimentWorkers: int(env, 'SENTIMENT_WORKERS', 1, 0, 32),
    sentimentBackfill: { enabled: bool(env, 'SENTIMENT_BACKFILL', true), batchSize: int(env, 'SENTIMENT_BACKFILL_BATCH', 100, 1, 1000) },
    security: securityConfig(env, port),
  };
  return Object.freeze(config);
}
