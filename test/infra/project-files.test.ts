// The Pulumi project files: Pulumi.yaml runs index.ts as TypeScript, the example stack file is a
// valid config, and `pulumi up`'s own loader (ts-node + infra/tsconfig.json) accepts the program.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { parseConfig } from '../../infra/config';

const infra = path.resolve(__dirname, '../../infra');
const readYaml = (f: string) => YAML.parse(fs.readFileSync(path.join(infra, f), 'utf8'));

test('when Pulumi reads Pulumi.yaml, then it runs index.ts with the TypeScript runtime', () => {
  const project = readYaml('Pulumi.yaml');
  expect(project.name).toBe('fastapiapp');
  expect(project.runtime).toMatchObject({ name: 'nodejs', options: { typescript: true } });
  expect(fs.existsSync(path.join(infra, project.main))).toBe(true);
});

test('when the example stack file is used, then its config validates and equals the defaults', () => {
  const { config } = readYaml('Pulumi.dev.yaml') as { config: Record<string, string> };
  const own = Object.fromEntries(
    Object.entries(config)
      .filter(([k]) => k.startsWith('fastapiapp:'))
      .map(([k, v]) => [k.slice('fastapiapp:'.length), String(v)]),
  );
  expect(Object.keys(config).filter((k) => !k.startsWith('fastapiapp:'))).toEqual(['aws:region']);
  const fromFile = parseConfig((k) => own[k], config['aws:region'], 'dev');
  const defaults = parseConfig((k) => (k === 'githubRepo' ? own.githubRepo : undefined), config['aws:region'], 'dev');
  expect(fromFile).toEqual(defaults);
});

test('when the program is loaded like `pulumi up` loads it, then it compiles and exports the stack outputs', async () => {
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [path.join(__dirname, 'load-like-pulumi.cjs')], { timeout: 180_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
  const result = JSON.parse(out);
  expect(result.exports).toEqual(
    ['appRepositoryUrl', 'ciRoleArn', 'clusterName', 'clusterOidcProviderArn', 'infraRoleArn', 'kubeconfig', 'operatorRepositoryUrl', 'region', 'vpcId'],
  );
  expect(result.ciRoleArn).toBe('arn:aws:iam::123456789012:role/ci-deployer');
}, 240_000);
