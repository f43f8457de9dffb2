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

test('when the repository is cloned, then it holds no stack file `pulumi up` would apply', () => {
  // Pulumi reads Pulumi.<stack>.yaml; a committed one with example values would point both CI
  // roles' trust at somebody else's repository. Any stack file present must be real config.
  const stackFiles = fs.readdirSync(infra).filter((f) => /^Pulumi\.[^.]+\.ya?ml$/.test(f));
  for (const f of stackFiles) {
    const { config } = readYaml(f) as { config: Record<string, string> };
    const own = (k: string) => (config[`fastapiapp:${k}`] === undefined ? undefined : String(config[`fastapiapp:${k}`]));
    expect(() => parseConfig(own, config['aws:region'], f.split('.')[1]!)).not.toThrow();
  }
  expect(stackFiles).toEqual([]);
});

const example = () => (readYaml('stack-config.example.yaml') as { config: Record<string, string> }).config;
const ownKeys = (config: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(config)
      .filter(([k]) => k.startsWith('fastapiapp:'))
      .map(([k, v]) => [k.slice('fastapiapp:'.length), String(v)]),
  );

test('when the example settings are used unedited, then the program refuses their placeholder repository', () => {
  const config = example();
  const own = ownKeys(config);
  expect(() => parseConfig((k) => own[k], config['aws:region'], 'dev')).toThrow(/"githubRepo": "<owner>\/<repo>" is a placeholder/);
});

test('when the example settings get a real repository and region, then they validate and equal the defaults', () => {
  const config = example();
  const required = { githubRepo: 'acme/fastapiapp', publicAccessCidrs: '["203.0.113.0/24"]', infraReviewerIds: '["1234567"]' };
  const own: Record<string, string> = { ...ownKeys(config), ...required };
  expect(Object.keys(config).filter((k) => !k.startsWith('fastapiapp:'))).toEqual(['aws:region']);
  const fromFile = parseConfig((k) => own[k], 'eu-west-1', 'dev');
  const defaults = parseConfig((k) => required[k as keyof typeof required], 'eu-west-1', 'dev');
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
    [
      'appAuthSettings', 'appCertificateArn', 'appCertificateValidation', 'appIngress', 'appRepositoryUrl', 'ciRoleArn', 'clusterAdminRoleArn',
      'clusterName', 'clusterOidcProviderArn', 'cognitoTokenEndpoint', 'cognitoUserPoolId', 'containerLogGroup', 'databaseAppSecretArn', 'databaseCaBundleUrl',
      'databaseExternalSecret', 'databaseHost', 'databaseSecretArn', 'externalSecretsRoleArn', 'infraRoleArn', 'kubeconfig',
      'loadBalancerSubnetCidrs', 'operatorRepositoryUrl', 'region', 'vpcId',
    ],
  );
  expect(result.ciRoleArn).toBe('arn:aws:iam::123456789012:role/ci-deployer');
}, 240_000);
