// Actions pinned to current releases (the cache service behind older setup-node/setup-go/cache
// releases is gone; Node 20 action runtimes are retired) and a Dependabot config that keeps npm,
// the actions and the Dockerfiles' base image moving.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ROOT, loadWorkflow, workflowFiles } from './workflows';

// Lowest release of each action that is on the current cache service and the node24 runtime.
const MINIMUM: Record<string, [number, number]> = {
  'actions/checkout': [5, 0],
  'actions/setup-node': [5, 0],
  'actions/setup-go': [6, 0],
  'actions/cache': [4, 2],
  'actions/upload-artifact': [6, 0],
  'actions/download-artifact': [7, 0],
  'docker/setup-buildx-action': [3, 11],
  'aws-actions/configure-aws-credentials': [5, 0],
  'aws-actions/amazon-ecr-login': [2, 0],
  'pulumi/actions': [6, 0],
  'pulumi/auth-actions': [1, 0],
};

const uses = workflowFiles().flatMap((f) =>
  [...loadWorkflow(path.basename(f)).raw.matchAll(/uses: ([\w.-]+\/[\w.-]+)@([0-9a-f]{40}) # v(\d+)\.(\d+)\.(\d+)/g)].map((m) => ({
    action: m[1]!,
    sha: m[2]!,
    version: [Number(m[3]), Number(m[4])] as const,
  })),
);

test('when actions are used, then each is a known action at or above its current minimum release', () => {
  expect(uses.length).toBeGreaterThan(10);
  for (const u of uses) {
    const min = MINIMUM[u.action];
    expect([u.action, min]).toEqual([u.action, expect.any(Array)]);
    const [major, minor] = u.version;
    expect([u.action, major > min![0] || (major === min![0] && minor >= min![1])]).toEqual([u.action, true]);
  }
});

test('when one action is used in several places, then every place pins the same commit', () => {
  const byAction = new Map<string, Set<string>>();
  for (const u of uses) byAction.set(u.action, (byAction.get(u.action) ?? new Set()).add(u.sha));
  for (const [action, shas] of byAction) expect([action, shas.size]).toEqual([action, 1]);
});

test('when Dependabot reads its config, then npm, GitHub Actions and Docker base images are updated weekly', () => {
  const cfg = YAML.parse(fs.readFileSync(path.join(ROOT, '.github/dependabot.yml'), 'utf8'));
  expect(cfg.version).toBe(2);
  const ecosystems = cfg.updates.map((u: { 'package-ecosystem': string }) => u['package-ecosystem']).sort();
  expect(ecosystems).toEqual(['docker', 'github-actions', 'npm']);
  for (const u of cfg.updates) expect(u.schedule.interval).toBe('weekly');
  // The pins stack.md explains (Node 20 support) are kept.
  const npm = cfg.updates.find((u: { 'package-ecosystem': string }) => u['package-ecosystem'] === 'npm');
  expect(npm.ignore.map((i: { 'dependency-name': string }) => i['dependency-name'])).toEqual(
    expect.arrayContaining(['@pulumi/pulumi', '@kubernetes/client-node', 'typescript']),
  );
});

test('when the committed FastApiApp is read, then it is the one the deploy applies, with only image and tag left to the run', () => {
  const app = YAML.parse(fs.readFileSync(path.join(ROOT, 'deploy/fastapiapp.yaml'), 'utf8'));
  expect(app).toMatchObject({ apiVersion: 'platform.fastapiapp.io/v1alpha1', kind: 'FastApiApp', metadata: { name: 'items-app', namespace: 'default' } });
  expect(app.spec.databaseSecretRef).toEqual({ name: 'items-app-database' });
  expect(Object.keys(app.spec)).toEqual(expect.arrayContaining(['image', 'tag', 'replicas']));
});
