// The built server (start.js) as a child process whose JSON log lines are collected; resolves once
// it logs `listening` (with the port it got), rejects if it exits first. Shared by the suites that
// run it as a process (process, sentiment-backfill).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

export interface StartedServer {
  child: ChildProcess;
  port: number;
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
}

/** `children` collects the process (for an afterAll that kills what is left), even when it fails to start. */
export function spawnServer(startJs: string, env: Record<string, string>, children: ChildProcess[]): Promise<StartedServer> {
  const child = spawn(process.execPath, [startJs], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', ...env },
  });
  children.push(child);
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
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
    child.on('exit', (code) => reject(new Error(`server exited early with ${code}: ${stderr}`)));
  });
}
