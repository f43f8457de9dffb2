// docker-compose.yml: Debian's docker-compose accepts it, and what it wires agrees with the app's
// config (PORT, DATABASE_URL), the Postgres service, the Dockerfile and monitoring/.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { loadConfig } from '../../app/src/config';
import { requireTool } from '../harness/tools';
import { REPO_ROOT } from './support/buildah';

const exec = promisify(execFile);
const COMPOSE_FILE = path.join(REPO_ROOT, 'docker-compose.yml');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: { published: number | string; target: number }[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  read_only?: boolean;
  tmpfs?: string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** `docker-compose config`: the file as Compose itself resolves it (anchors, defaults, paths). */
async function resolved(env: Record<string, string> = {}): Promise<Compose> {
  requireTool('docker-compose');
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(POSTGRES_|GRAFANA_|LOG_LEVEL$|COMPOSE_)/.test(k)));
  const { stdout } = await exec('docker-compose', ['-f', COMPOSE_FILE, 'config'], { cwd: REPO_ROOT, env: { ...cleanEnv, ...env } });
  return parse(stdout) as Compose;
}

/** host path -> container path of a service's bind mounts (relative host paths resolved against the repo). */
function binds(svc: Service): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of svc.volumes ?? []) {
    const [src, dst] = v.split(':');
    if (src!.startsWith('/') || src!.startsWith('.')) out.set(path.relative(REPO_ROOT, path.resolve(REPO_ROOT, src!)), dst!);
  }
  return out;
}

describe('docker-compose.yml', () => {
  let compose: Compose;
  let raw: string;

  beforeAll(async () => {
    compose = await resolved();
    raw = fs.readFileSync(COMPOSE_FILE, 'utf8');
  }, 60_000);

  it('when docker-compose resolves it, then it has postgres, a one-shot migrate, app, prometheus and grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['app', 'grafana', 'migrate', 'postgres', 'prometheus']);
  });

  it('when postgres is inspected, then it is Postgres 16 on a named volume with a pg_isready healthcheck', () => {
    const pg = compose.services.postgres!;
    expect(pg.image).toBe('postgres:16');
    expect(pg.volumes).toEqual(['postgres-data:/var/lib/postgresql/data:rw']);
    expect(compose.volumes).toHaveProperty('postgres-data');
    expect(pg.healthcheck?.test.join(' ')).toContain('pg_isready');
  });

  it('when the app and migrate services are inspected, then both run the Dockerfile.app image, migrate first', () => {
    const { app, migrate } = compose.services;
    for (const svc of [app!, migrate!]) {
      expect(svc.build?.dockerfile).toBe('Dockerfile.app');
      expect(path.resolve(svc.build!.context)).toBe(REPO_ROOT);
      expect(svc.image).toBe(app!.image);
      expect(svc.read_only).toBe(true);
      expect(svc.tmpfs).toEqual(['/tmp']);
    }
    expect(migrate!.command).toEqual(['node', 'dist/app/src/migrate.js', 'latest']);
    expect(fs.readFileSync(path.join(REPO_ROOT, 'app/src/migrate.ts'), 'utf8')).toContain("'latest'");
    expect(app!.command).toBeUndefined(); // the image's CMD: the server
    expect(app!.depends_on).toEqual({
      migrate: { condition: 'service_completed_successfully' },
      postgres: { condition: 'service_healthy' },
    });
    expect(migrate!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(app!.healthcheck?.test.join(' ')).toMatch(/node -e fetch\('http:\/\/127\.0\.0\.1:8000\/livez'\)/);
  });

  it("when the app's environment is loaded by the app's own config, then it listens on 8000 (published) and reaches the postgres service", () => {
    const { app, migrate, postgres } = compose.services;
    for (const svc of [app!, migrate!]) {
      const config = loadConfig(svc.environment!);
      const url = new URL(config.db.url!);
      const pgEnv = postgres!.environment!;
      expect(url.hostname).toBe('postgres');
      expect(url.port).toBe('5432');
      expect(decodeURIComponent(url.username)).toBe(pgEnv.POSTGRES_USER);
      expect(decodeURIComponent(url.password)).toBe(pgEnv.POSTGRES_PASSWORD);
      expect(url.pathname).toBe(`/${pgEnv.POSTGRES_DB}`);
    }
    expect(loadConfig(app!.environment!).port).toBe(8000);
    expect(app!.ports).toEqual([expect.objectContaining({ published: 8000, target: 8000 })]);
    const dockerfile = fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile.app'), 'utf8');
    expect(dockerfile).toMatch(/^EXPOSE 8000$/m);
  });

  it('when credentials are overridden through the environment, then postgres and the DATABASE_URL follow', async () => {
    const custom = await resolved({ POSTGRES_USER: 'u1', POSTGRES_PASSWORD: 'p1', POSTGRES_DB: 'd1', GRAFANA_ADMIN_PASSWORD: 'g1' });
    expect(custom.services.postgres!.environment).toMatchObject({ POSTGRES_USER: 'u1', POSTGRES_PASSWORD: 'p1', POSTGRES_DB: 'd1' });
    expect(loadConfig(custom.services.app!.environment!).db.url).toBe('postgres://u1:p1@postgres:5432/d1');
    expect(custom.services.grafana!.environment!.GF_SECURITY_ADMIN_PASSWORD).toBe('g1');
    expect(compose.services.grafana!.environment!.GF_SECURITY_ADMIN_PASSWORD).toBe('admin');
  }, 60_000);

  it('when prometheus is inspected, then it serves 9090 from monitoring/prometheus, whose config scrapes the app service on its metrics port', () => {
    const prom = compose.services.prometheus!;
    expect(prom.ports).toEqual([expect.objectContaining({ published: 9090, target: 9090 })]);
    const mounts = binds(prom);
    expect(mounts.get('monitoring/prometheus')).toBe('/etc/prometheus');
    const configFlag = prom.command!.find((a) => a.startsWith('--config.file='))!.split('=')[1]!;
    const hostConfig = path.join(REPO_ROOT, 'monitoring/prometheus', path.relative('/etc/prometheus', configFlag));
    expect(fs.existsSync(hostConfig)).toBe(true);
    const promConfig = parse(fs.readFileSync(hostConfig, 'utf8')) as {
      scrape_configs: { static_configs?: { targets: string[] }[] }[];
    };
    const targets = promConfig.scrape_configs.flatMap((s) => s.static_configs ?? []).flatMap((s) => s.targets);
    expect(targets).toContain('app:9464'); // the app's METRICS_PORT listener, not its public port
  });

  it('when grafana is inspected, then it publishes 3001 and mounts provisioning and dashboards where the provisioning files expect them', () => {
    const grafana = compose.services.grafana!;
    expect(grafana.ports).toEqual([expect.objectContaining({ published: 3001, target: 3000 })]);
    const mounts = binds(grafana);
    expect(mounts.get('monitoring/grafana/provisioning')).toBe('/etc/grafana/provisioning');
    const dashboardsAt = mounts.get('monitoring/grafana/dashboards')!;
    expect(dashboardsAt).toBeDefined();
    const provisioning = path.join(REPO_ROOT, 'monitoring/grafana/provisioning');
    const providers = fs.readdirSync(path.join(provisioning, 'dashboards'))
      .flatMap((f) => (parse(fs.readFileSync(path.join(provisioning, 'dashboards', f), 'utf8')) as { providers: { options: { path: string } }[] }).providers);
    expect(providers.map((p) => p.options.path)).toEqual([dashboardsAt]);
    expect(fs.readdirSync(path.join(REPO_ROOT, 'monitoring/grafana/dashboards')).filter((f) => f.endsWith('.json')).length).toBeGreaterThan(0);
    const datasources = fs.readdirSync(path.join(provisioning, 'datasources'))
      .flatMap((f) => (parse(fs.readFileSync(path.join(provisioning, 'datasources', f), 'utf8')) as { datasources: { url: string }[] }).datasources);
    expect(datasources.map((d) => d.url)).toContain('http://prometheus:9090');
  });

  it('when every bind mount is checked, then its host path exists in the repo', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const host of binds(svc).keys()) {
        expect({ name, host, exists: fs.existsSync(path.join(REPO_ROOT, host)) }).toEqual({ name, host, exists: true });
      }
    }
  });

  it('when the file is read, then it holds no IP addresses and its only credentials are overridable local defaults', () => {
    // The one address is the container's own loopback, inside the app healthcheck.
    expect(raw.match(/\b\d{1,3}(\.\d{1,3}){3}\b/g) ?? []).toEqual(['127.0.0.1']);
    const secrets = [...raw.matchAll(/^\s+[A-Z_]*PASSWORD[A-Z_]*:\s*(.+)$/gm)].map((m) => m[1]);
    expect(secrets.length).toBeGreaterThan(0);
    for (const value of secrets) expect(value).toMatch(/^\$\{[A-Z_]+:-[a-z]+\}$/);
  });
});
