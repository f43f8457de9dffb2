// Item 14 (part): KUBECONFIG with several files is merged as kubectl merges it (first file to name a
// cluster, user or context wins; the first current-context wins; file references are relative to
// the file naming them), and the merged view authenticates to the real API server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../operator/src/config';
import { loadClusterAuth, mergeKubeconfigs } from '../../operator/src/kube/auth';
import { KubeClient } from '../../operator/src/kube/client';

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeconfig-merge-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (rel: string, doc: unknown): string => {
  const file = path.join(dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof doc === 'string' ? doc : stringify(doc));
  return file;
};

test('when KUBECONFIG lists several files, then the first to define a name or the current context wins and relative files resolve against their own file', () => {
  const a = write('a/config', {
    'current-context': 'ctx-a',
    clusters: [{ name: 'one', cluster: { server: 'https://one.example', 'certificate-authority': 'ca.crt' } }],
    contexts: [{ name: 'ctx-a', context: { cluster: 'one', user: 'me' } }],
  });
  const b = write('b/config', {
    'current-context': 'ctx-b',
    clusters: [{ name: 'one', cluster: { server: 'https://shadowed.example' } }, { name: 'two', cluster: { server: 'https://two.example' } }],
    users: [{ name: 'me', user: { 'client-certificate': 'me.crt', 'client-key': '/abs/me.key', tokenFile: 'token' } }],
    contexts: [{ name: 'ctx-a', context: { cluster: 'two', user: 'nobody' } }, { name: 'ctx-b', context: { cluster: 'two', user: 'me' } }],
  });
  const merged = mergeKubeconfigs([a, b]);
  expect(merged['current-context']).toBe('ctx-a');
  expect(merged.clusters).toEqual([
    { name: 'one', cluster: { server: 'https://one.example', 'certificate-authority': path.join(dir, 'a/ca.crt') } },
    { name: 'two', cluster: { server: 'https://two.example' } },
  ]);
  expect(merged.users).toEqual([{ name: 'me', user: { 'client-certificate': path.join(dir, 'b/me.crt'), 'client-key': '/abs/me.key', tokenFile: path.join(dir, 'b/token') } }]);
  expect(merged.contexts?.find((c) => c.name === 'ctx-a')?.context).toEqual({ cluster: 'one', user: 'me' });
});

test('when KUBECONFIG names files that do not exist, then they are skipped as kubectl does, and only none readable is an error', () => {
  const real = write('c/config', { 'current-context': '' });
  expect(loadConfig({ POD_NAMESPACE: 'ops', KUBECONFIG: `${path.join(dir, 'missing')}:${real}` }).kubeconfigPaths).toEqual([real]);
  expect(() => loadConfig({ POD_NAMESPACE: 'ops', KUBECONFIG: `${path.join(dir, 'missing')}:${path.join(dir, 'gone')}` })).toThrow(/KUBECONFIG/);
});

test('when the cluster and the user come from different files, then the merged view reaches the real API server with the user\'s credentials', async () => {
  const admin = JSON.parse(fs.readFileSync(process.env.KUBECONFIG_ENVTEST!, 'utf8')) as {
    clusters: Array<{ name: string; cluster: Record<string, string> }>; users: Array<{ name: string; user: Record<string, string> }>;
  };
  // the CA as a file next to the cluster's kubeconfig, referenced relatively
  write('split/cluster/ca.crt', Buffer.from(admin.clusters[0]!.cluster['certificate-authority-data']!, 'base64').toString());
  const clusterFile = write('split/cluster/config', {
    'current-context': 'split',
    clusters: [{ name: 'envtest', cluster: { server: admin.clusters[0]!.cluster.server, 'certificate-authority': 'ca.crt' } }],
    contexts: [{ name: 'split', context: { cluster: 'envtest', user: 'admin' } }],
  });
  const userFile = write('split/user/config', { users: [{ name: 'admin', user: admin.users[0]!.user }] });
  const client = new KubeClient(await loadClusterAuth([clusterFile, userFile]));
  try {
    const namespaces = await client.list({ group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false }, undefined);
    expect(namespaces.items.map((n) => n.metadata.name)).toContain('kube-system');
  } finally {
    client.close();
  }
});
