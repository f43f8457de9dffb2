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
    'fastapiapp:deployEnvironment': 'prod-eu',
    'fastapiapp:infraEnvironment': 'prod-eu-infra',
    'fastapiapp:publicAccessCidrs': '["203.0.113.0/24"]',
    'fastapiapp:manageGithub': 'false',
    'fastapiapp:logRetentionDays': '90',
    'fastapiapp:clusterAdminPrincipalArns': '["arn:aws:iam::123456789012:role/sso-admin"]',
    'fastapiapp:appNamespaces': '["team-a","team-b"]',
    'fastapiapp:protectedTagPrefixes': '["release-","v"]',
    'fastapiapp:ecrForceDelete': 'true',
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
    'repo:other-org/platform:environment:prod-eu:job_workflow_ref:other-org/platform/.github/workflows/deploy.yml@refs/heads/main',
  );
  const infraTrust = JSON.parse(ofType('aws:iam/role:Role').find((r) => r.name === 'ci-infra')!.inputs.assumeRolePolicy as string);
  expect(infraTrust.Statement[0].Condition.StringEquals['token.actions.githubusercontent.com:sub']).toBe('repo:other-org/platform:environment:prod-eu-infra:job_workflow_ref:other-org/platform/.github/workflows/deploy.yml@refs/heads/main');
  // manageGithub false: the environments are protected by hand
  expect(ofType('github:index/repositoryEnvironment:RepositoryEnvironment')).toEqual([]);
});

test('when endpoint CIDRs, log retention, admins and app namespaces are configured, then the cluster and its RBAC follow them', () => {
  const [cluster] = ofType('eks:index:Cluster');
  expect(cluster!.inputs.publicAccessCidrs).toEqual(['203.0.113.0/24']);
  expect(ofType('aws:cloudwatch/logGroup:LogGroup')[0]!.inputs).toMatchObject({ name: '/aws/eks/prod-eks/cluster', retentionInDays: 90 });
  const admin = JSON.parse(ofType('aws:iam/role:Role').find((r) => r.name === 'cluster-admin')!.inputs.assumeRolePolicy as string);
  expect(admin.Statement[0].Principal.AWS).toEqual(['arn:aws:iam::123456789012:role/ci-infra', 'arn:aws:iam::123456789012:role/sso-admin']);
  const bindings = ofType('kubernetes:rbac.authorization.k8s.io/v1:RoleBinding');
  const namespaces = (deployer: boolean) => bindings.filter((b) => (b.inputs.roleRef as { name: string }).name.startsWith('fastapiapp:deployer') === deployer)
    .map((b) => (b.inputs.metadata as { namespace: string }).namespace).sort();
  expect(namespaces(true)).toEqual(['team-a', 'team-b']); // the deployer: app namespaces only
  expect(namespaces(false)).toEqual(['team-a', 'team-b']); // the operator's secret reader, per app namespace
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

test('when imagesToKeep, protected prefixes and forceDelete are configured, then ECR follows them', () => {
  for (const p of ofType('aws:ecr/lifecyclePolicy:LifecyclePolicy')) {
    const { rules } = JSON.parse(p.inputs.policy as string);
    expect(rules[0].selection.tagPrefixList).toEqual(['release-', 'v']);
    expect(rules[2].selection.countNumber).toBe(25);
  }
  for (const r of ofType('aws:ecr/repository:Repository')) expect(r.inputs.forceDelete).toBe(true);
});
