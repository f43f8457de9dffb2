// Loads infra/index.ts the way `pulumi up` does (@pulumi/pulumi/cmd/run): Pulumi's ts-node
// (vendored 7.0.1 unless the project installs one) with the project's TypeScript and
// infra/tsconfig.json, type-checking included; resources go to Pulumi's mocks. Prints the
// stack's export names and the deployer role ARN as JSON. Usage: node load-like-pulumi.cjs
const path = require('node:path');
const { createRequire } = require('node:module');

const root = path.resolve(__dirname, '../..');
const pulumiDir = path.join(root, 'node_modules/@pulumi/pulumi');
const fromPulumi = createRequire(path.join(pulumiDir, 'tsutils.js'));
const names = require(path.join(pulumiDir, 'tsutils.js')).typeScriptRequireStrings();
const typescript = fromPulumi.resolve(names.typescriptRequire);

process.chdir(path.join(root, 'infra')); // Pulumi runs the program from the project directory
require(fromPulumi.resolve(names.tsnodeRequire)).register({ compiler: typescript, project: 'tsconfig.json', skipProject: false, compilerOptions: {} });

const pulumi = require(pulumiDir);
pulumi.runtime.setMocks(
  {
    newResource: (a) => ({
      id: `${a.name}-id`,
      state: { ...a.inputs, arn: `arn:aws:iam::123456789012:role/${a.name}`, repositoryUrl: `ecr/${a.name}`, eksCluster: { name: 'c', arn: 'arn:c', endpoint: 'https://c', certificateAuthority: { data: 'Y2E=' }, vpcConfig: { clusterSecurityGroupId: 'sg-c' } }, kubeconfigJson: '{}',
      oidcIssuer: 'https://oidc.eks.eu-west-1.amazonaws.com/id/C', oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/C' },
    }),
    call: () => ({ names: ['z1', 'z2'] }),
  },
  'fastapiapp',
  'dev',
);
pulumi.runtime.setAllConfig({
  'aws:region': 'eu-west-1', 'fastapiapp:githubRepo': 'acme/fastapiapp',
  'fastapiapp:publicAccessCidrs': '["203.0.113.0/24"]', 'fastapiapp:infraReviewerIds': '["1234567"]',
});
const stack = require(path.resolve('index.ts'));
stack.ciRoleArn.apply((ciRoleArn) => {
  process.stdout.write(JSON.stringify({ typescript: require(typescript).version, exports: Object.keys(stack).sort(), ciRoleArn }));
});
