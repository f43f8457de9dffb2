// ci.yml: what every push and pull request must pass before deploy.yml may run.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, loadWorkflow, runScripts } from './workflows';

const { wf: ci } = loadWorkflow('ci.yml');
const scripts = runScripts(ci);
const has = (re: RegExp) => expect(scripts.some((s) => re.test(s))).toBe(true);

test('when code is pushed or a pull request opened, then CI runs', () => {
  expect(ci.name).toBe('CI');
  expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
});

test('when CI runs, then it installs, lints, type-checks and runs the whole suite', () => {
  has(/^npm ci$/);
  has(/^npm run lint$/);
  has(/^npm run typecheck$/);
  has(/npm test$/);
});

test('when the test job runs, then Go is set up and the envtest binaries are cached by their go.sum', () => {
  const steps = ci.jobs.test!.steps;
  expect(steps.some((s) => s.uses?.startsWith('actions/setup-go@'))).toBe(true);
  const cache = steps.find((s) => s.with?.path === '~/.cache/fastapiapp-envtest');
  expect(cache?.uses).toMatch(/^actions\/cache@/);
  expect(cache?.with?.key).toContain("hashFiles('test/envtest/**/go.sum'");
});

test('when generated manifests drift from `npm run synth`, then CI fails', () => {
  const drift = scripts.find((s) => s.includes('npm run synth'));
  expect(drift).toMatch(/npm run synth\s*\n\s*git diff --exit-code -- crds cdk8s\/dist/);
  expect(drift).toContain('git status --porcelain --untracked-files=all -- crds cdk8s/dist');
});

test('when the suite runs, then it runs on Node 20 (the minimum) and on Node 24 (the images\' Node)', () => {
  const job = ci.jobs.test!;
  expect(job.strategy?.matrix?.node).toEqual(['20', '24']);
  const setup = job.steps.find((s) => s.uses?.startsWith('actions/setup-node@'))!;
  expect(setup.with?.['node-version']).toBe('${{ matrix.node }}');
  const base = /^ARG NODE_IMAGE=node:(\d+)-/m.exec(fs.readFileSync(path.join(ROOT, 'Dockerfile.app'), 'utf8'))?.[1];
  expect(job.strategy?.matrix?.node).toContain(base);
});

test('when images are built in CI, then each is built once, smoke-tested, saved with its ID and never pushed', () => {
  const job = ci.jobs.images!;
  expect(job.strategy?.matrix?.image).toEqual(['app', 'operator']);
  const builds = job.steps.filter((s) => /docker (buildx )?build/.test(s.run ?? ''));
  expect(builds).toHaveLength(1);
  expect(builds[0]!.run).toContain('--file "Dockerfile.$IMAGE"');
  expect(builds[0]!.run).toContain('--load');
  for (const s of job.steps) expect(s.run ?? '').not.toMatch(/--push|--output[= ]type=registry|docker push/);
  expect(job.steps.some((s) => s.uses?.startsWith('aws-actions/'))).toBe(false);
  const order = (re: RegExp) => job.steps.findIndex((s) => re.test(s.run ?? ''));
  const build = order(/docker buildx build/);
  const smokeApp = order(/migrate\.js lint[\s\S]*migrate\.js pre[\s\S]*migrate\.js post[\s\S]*\/health/);
  const smokeOperator = order(/fastapiapp-operator:ci --version/);
  const save = order(/docker image inspect --format '\{\{\.Id\}\}'[\s\S]*docker save/);
  const upload = job.steps.findIndex((s) => s.uses?.startsWith('actions/upload-artifact@'));
  expect([build, smokeApp, smokeOperator, save, upload].every((i) => i >= 0)).toBe(true);
  expect(build).toBeLessThan(Math.min(smokeApp, smokeOperator));
  expect(Math.max(smokeApp, smokeOperator)).toBeLessThan(save);
  expect(save).toBeLessThan(upload);
  expect(job.steps[upload]!.with).toMatchObject({ name: 'image-${{ matrix.image }}', path: 'out/' });
  // The app is smoke-tested against a real PostgreSQL service.
  expect(JSON.stringify((ci.jobs.images as unknown as { services: unknown }).services)).toContain('postgres:16');
});
