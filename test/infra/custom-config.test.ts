// The same program with every knob turned: config values reach the resources, and an existing
// GitHub OIDC provider is reused instead of created (an account may hold only one).
import * as pulumi from '@pulumi/pulumi';
import { installMocks, settle, valueOf, type Registered } from './mocks';

const EXISTING_PROVIDER = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';
let registered: Registered[];

const ofType = (type: string) => registered.filter((r) => r.type === type);

beforeAll(async () => {
  registered = installMocks();
  pulumi.runtime.setAllConfig({
    'aws:region': 'eu-west-1',
    'fastapiapp:githubRepo': 'other-org/platform',
    'fastapiapp:githubBranch': 'release',
    'fastapiapp:githubOidcProviderArn': EXISTING_PROVIDER,
    'fastapiapp:clusterName': 'prod-eks',
    'fastapiapp:vpcCidr': '10.20.0.0/16',
    'fastapiapp:azCount': '3',
    'fastapiapp:nodeInstanceType': 'm6i.large',
    'fastapiapp:nodeDesiredSize': '3',
    'fastapiapp:nodeMinSize': '2',
    'fastapiapp:nodeMaxSize': '6',
    'fastapiapp:imagesToKeep': '25',
  });
  // Loaded only now, after the mocks and config: importing it constructs the resources.
  const stack = jest.requireActual<typeof import('../../infra/resources')>('../../infra/resources');
  await Promise.all([stack.clusterName, stack.ciRoleArn].map(valueOf));
  await settle();
});

test('when an existing GitHub OIDC provider is configured, then none is created and the roles trust it', () => {
  expect(ofType('aws:iam/openIdConnectProvider:OpenIdConnectProvider')).toHaveLength(0);
  const trust = JSON.parse(ofType('aws:iam/role:Role').find((r) => r.name === 'ci-deployer')!.inputs.assumeRolePolicy as string);
  expect(trust.Statement[0].Principal.Federated).toBe(EXISTING_PROVIDER);
  expect(trust.Statement[0].Condition.StringEquals['token.actions.githubusercontent.com:sub']).toBe(
    'repo:other-org/platform:ref:refs/heads/release',
  );
});

test('when sizes, instance type and CIDR are configured, then the node group and subnets follow them', () => {
  const [ng] = ofType('aws:eks/nodeGroup:NodeGroup');
  expect(ng!.inputs.instanceTypes).toEqual(['m6i.large']);
  expect(ng!.inputs.scalingConfig).toEqual({ desiredSize: 3, minSize: 2, maxSize: 6 });
  expect(ng!.inputs.clusterName).toBe('prod-eks');
  const subnets = ofType('aws:ec2/subnet:Subnet');
  expect(subnets.map((s) => s.inputs.cidrBlock).sort()).toEqual(
    ['10.20.0.0/20', '10.20.16.0/20', '10.20.32.0/20', '10.20.64.0/18', '10.20.128.0/18', '10.20.192.0/18'].sort(),
  );
  expect(new Set(subnets.map((s) => s.inputs.availabilityZone)).size).toBe(3);
});

test('when imagesToKeep is configured, then the lifecycle policy keeps that many', () => {
  for (const p of ofType('aws:ecr/lifecyclePolicy:LifecyclePolicy')) {
    expect(JSON.parse(p.inputs.policy as string).rules[0].selection.countNumber).toBe(25);
  }
});
