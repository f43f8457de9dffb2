// A real Prometheus (Debian's binary) on a free loopback port with its own config and storage.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { requireTool } from '../../harness/tools';
import { freePort } from '../../harness/free-port.cjs';
import { waitFor } from '../../harness/wait';

export interface ScrapeJob {
  job: string;
  targets: string[];
  labels?: Record<string, string>;
}

export interface PrometheusOptions {
  jobs: ScrapeJob[];
  ruleFiles: string[];
  /** Scrape and rule evaluation interval. Default 1s. */
  interval?: string;
  /** Also scrape Prometheus itself as job "prometheus" (as the compose config does). */
  scrapeSelf?: boolean;
}

export interface QueryResult {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value?: [number, string] }[] };
}

export interface RunningPrometheus {
  url: string;
  query(promql: string): Promise<QueryResult>;
  get<T>(apiPath: string): Promise<T>;
  /** Prometheus' own log, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}


function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

export async function startPrometheus(opts: PrometheusOptions): Promise<RunningPrometheus> {
  const binary = requireTool('prometheus');
  const interval = opts.interval ?? '1s';
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'prometheus-test-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const jobs = opts.scrapeSelf ? [...opts.jobs, { job: 'prometheus', targets: [`127.0.0.1:${port}`] }] : opts.jobs;
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: opts.ruleFiles,
    scrape_configs: jobs.map((j) => ({
      job_name: j.job,
      static_configs: [{ targets: j.targets, ...(j.labels ? { labels: j.labels } : {}) }],
    })),
  };
  const configFile = path.join(dir, 'prometheus.yml');
  await fs.writeFile(configFile, stringify(config));
  const child = spawn(binary, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--storage.tsdb.retention.time=1h',
    '--log.level=warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (b: Buffer) => {
    output = (output + b.toString()).slice(-20000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const stop = async () => {
    if (!(await exited(child, 0))) {
      child.kill('SIGTERM');
      if (!(await exited(child, 5000))) {
        child.kill('SIGKILL');
        await exited(child, 2000);
      }
    }
    await fs.rm(dir, { recursive: true, force: true });
  };

  const get = async <T>(apiPath: string): Promise<T> => {
    const res = await fetch(`${url}${apiPath}`);
    return (await res.json()) as T;
  };
  try {
    await waitFor('Prometheus to be ready', async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${output}`);
      const res = await fetch(`${url}/-/ready`).catch(() => undefined);
      return res?.ok ? true : undefined;
    }, 30000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    get,
    query: (promql) => get<QueryResult>(`/api/v1/query?query=${encodeURIComponent(promql)}`),
    log: () => output,
    stop,
  };
}
