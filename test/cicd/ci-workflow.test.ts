// ci.yml: what every push and pull request must pass before deploy.yml may run.
import { loadWorkflow, runScripts } from './workflows';

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

test('when images are built in CI, then both are built with buildx and none is pushed', () => {
  const job = ci.jobs.images!;
  expect(job.strategy?.matrix?.image).toEqual(['app', 'operator']);
  const build = job.steps.find((s) => s.run?.includes('docker buildx build'))!;
  expect(build.run).toContain('--file "Dockerfile.$IMAGE"');
  expect(build.run).not.toMatch(/--push|--output[= ]type=registry|docker push/);
  expect(job.steps.some((s) => s.uses?.startsWith('aws-actions/'))).toBe(false);
});
