// Debian's buildah driven from tests: build the repo's Dockerfiles on the local base image, inspect
// images, and run commands in containers made from them. chroot isolation (no engine, no runc
// needed); overlay storage where the machine can mount it, vfs otherwise (../buildah-flags.sh).
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { descendants } from '../../harness/processes.cjs';
import { requireTool } from '../../harness/tools';

const exec = promisify(execFile);

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const BASE_IMAGE = process.env.NODE_BASE_IMAGE ?? 'localhost/node-base';
/** Global flags naming the image store (overlay if mountable, else vfs): see ../buildah-flags.sh. */
const BUILDAH = execFileSync('bash', [path.join(REPO_ROOT, 'test/images/buildah-flags.sh')], { encoding: 'utf8' }).trim().split('\n');
/** Serializes image builds across jest workers: both Dockerfiles share their (big) deps stage. */
const BUILD_LOCK = '/tmp/fastapiapp-images.build.lock';

export async function buildah(args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  const { stdout } = await exec('buildah', [...BUILDAH, ...args], { maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 120_000 });
  return stdout;
}

/** buildah's chroot isolation, vfs storage and the read-only remount all need root. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('test/images needs root: buildah (vfs storage, chroot isolation) and mount');
}

/** Builds or reuses localhost/node-base (debootstrap + this machine's node; cached outside the repo). */
export async function ensureBaseImage(): Promise<void> {
  requireRoot();
  requireTool('buildah');
  requireTool('debootstrap');
  await exec('bash', [path.join(REPO_ROOT, 'test/images/make-base-image.sh')], { timeout: 15 * 60_000, maxBuffer: 16 * 1024 * 1024 });
}

export interface BuildResult {
  tag: string;
  seconds: number;
  log: string;
}

/**
 * buildah's chroot isolation gives RUN steps a 1024 open-file limit, and `npm ci` with a cold cache
 * fails with EMFILE under it. Raise it to this process's hard limit (a container may not exceed it).
 */
function nofileUlimit(): string {
  const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const hard = line?.trim().split(/\s+/)[4];
  const n = hard && /^\d+$/.test(hard) ? Math.min(Number(hard), 65536) : 4096;
  return `nofile=${n}:${n}`;
}

/** `buildah bud` of one of the repo's Dockerfiles on the local base image, with layer caching. */
export async function buildImage(dockerfile: string, tag: string): Promise<BuildResult> {
  await ensureBaseImage();
  const args = ['flock', BUILD_LOCK, 'buildah', ...BUILDAH, 'bud', '--isolation', 'chroot', '--pull=never', '--layers',
    '--format', 'docker', '--network', 'host', '--ulimit', nofileUlimit(), '--build-arg', `NODE_IMAGE=${BASE_IMAGE}`,
    '-f', dockerfile, '-t', tag, '.'];
  // The log goes to a file as it happens (`tail -f` it), since a cold build takes minutes.
  const logFile = path.join(os.tmpdir(), `fastapiapp-build-${dockerfile.toLowerCase()}.log`);
  const started = Date.now();
  const child = spawn(args[0]!, args.slice(1), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = fs.createWriteStream(logFile);
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const r = await collect(child, 30 * 60_000);
  const log = fs.readFileSync(logFile, 'utf8');
  if (r.code !== 0) throw new Error(`buildah bud -f ${dockerfile} failed (exit ${r.code}); log ${logFile}:\n${log.slice(-6000)}`);
  return { tag, seconds: (Date.now() - started) / 1000, log };
}

export interface ImageConfig {
  User?: string;
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  Labels?: Record<string, string>;
  ExposedPorts?: Record<string, unknown>;
  Healthcheck?: { Test?: string[] };
  StopSignal?: string;
}

export async function inspectImage(tag: string): Promise<{ config: ImageConfig; sizeBytes: number }> {
  const info = JSON.parse(await buildah(['inspect', '--type', 'image', tag])) as {
    Docker?: { config?: ImageConfig };
    OCIv1?: { config?: ImageConfig };
  };
  const config = info.Docker?.config ?? info.OCIv1?.config ?? {};
  // buildah 1.28 prints the size only humanized ("213 MB").
  const images = JSON.parse(await buildah(['images', '--json', tag])) as { size?: string }[];
  const m = /^([\d.]+)\s*(B|kB|MB|GB)$/.exec(images[0]?.size ?? '');
  const unit = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9 }[(m?.[2] ?? 'B') as 'B'];
  return { config, sizeBytes: m ? Number(m[1]) * unit : NaN };
}

/**
 * A working container made from an image. `readOnlyRoot()` makes its root filesystem read-only the
 * way `docker run --read-only` does, and `run()` then mounts a fresh tmpfs on /tmp: the only
 * writable place. buildah 1.28's `run` has no --read-only flag, so this remounts the container's
 * rootfs read-only on the host (buildah's chroot isolation bind-mounts that very directory).
 */
export class Container {
  private constructor(readonly id: string, readonly image: string) {}
  private roMount?: string;

  static async from(image: string): Promise<Container> {
    const id = (await buildah(['from', '--pull=never', image])).trim().split('\n').pop()!;
    return new Container(id, image);
  }

  /** `fileMounts`: container paths of files that `run(..., volumes)` will bind-mount later. */
  async readOnlyRoot(fileMounts: string[] = []): Promise<void> {
    const mnt = (await buildah(['mount', this.id])).trim();
    // Mount points buildah binds files onto must exist before the rootfs turns read-only.
    for (const f of ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/run/.containerenv', ...fileMounts]) {
      const p = path.join(mnt, f);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      if (!fs.existsSync(p)) fs.writeFileSync(p, '');
    }
    await exec('mount', ['--bind', mnt, mnt]);
    await exec('mount', ['-o', 'remount,bind,ro', mnt]);
    this.roMount = mnt;
  }

  get isReadOnly(): boolean {
    return this.roMount !== undefined;
  }

  private runArgs(command: string[], env: Record<string, string>, volumes: string[]): string[] {
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
    const volumeArgs = volumes.flatMap((v) => ['--volume', v]);
    return [...BUILDAH, 'run', '--isolation', 'chroot', '--network', 'host', '--mount', 'type=tmpfs,destination=/tmp',
      ...envArgs, ...volumeArgs, this.id, '--', ...command];
  }

  /** Starts a command in the container; the caller owns the returned process. `volumes`: host:container[:ro]. */
  spawn(command: string[], env: Record<string, string> = {}, volumes: string[] = []): ChildProcess {
    return spawn('buildah', this.runArgs(command, env, volumes), { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Runs a command to completion. See `exitStatus` for how its exit code is known. */
  async run(command: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<RunResult> {
    return collect(this.spawn(command, env), timeoutMs);
  }

  async remove(): Promise<void> {
    if (this.roMount) {
      await exec('umount', [this.roMount]).catch(() => undefined);
      this.roMount = undefined;
    }
    await buildah(['rm', this.id]).catch(() => undefined);
  }
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** buildah's own exit code (see exitStatus). */
  code: number | null;
}

export function collect(child: ChildProcess, timeoutMs: number): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
  });
}

/**
 * The command's exit status. buildah 1.28 reports a non-zero status as "subprocess exited with
 * status N" (or "... on <signal>") on stderr. Its own exit code is the command's one on a writable
 * root, but on a read-only root its cleanup then panics and it always exits 2, so there the
 * message (or its absence, meaning 0) is what tells.
 */
export function exitStatus(r: RunResult, readOnly: boolean): number | string {
  const m = /subprocess exited (?:with status (\d+)|on (\w+))/.exec(r.stderr);
  if (m) return m[1] !== undefined ? Number(m[1]) : m[2]!;
  return readOnly ? 0 : (r.code ?? 'unknown');
}

/** The host PID of the process running `exe` (basename of /proc/PID/exe) under `pid`, if any (chroot isolation shares the host PID namespace). */
export function findDescendant(pid: number, exe: string): number | undefined {
  return descendants(pid).find((p) => {
    try {
      return path.basename(fs.readlinkSync(`/proc/${p}/exe`)) === exe;
    } catch {
      return false;
    }
  });
}

/** Real and effective uid of a host process (from /proc/PID/status: "Uid: real effective saved fs"). */
export function processUids(pid: number): number[] {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'));
  return (line ?? '').split(/\s+/).slice(1).filter(Boolean).map(Number);
}

/** Mount options of `/` and `/tmp` as the process sees them (/proc/PID/mountinfo). */
export function mountOptions(pid: number): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f.length > 5) out[f[4]!] = f[5]!.split(',');
  }
  return out;
}


