// The infra program under Pulumi's mocks: the inputs that matter for cost, isolation and who may
// deploy. Each assertion would fail if the corresponding setting were dropped or loosened.
import * as pulumi from '@pulumi/pulumi';
import { ACCOUNT, installMocks, settle, valueOf, type Registered } from './mocks';

const REPO = 'acme/fastapiapp';
let registered: Registered[];
let stack: typeof import('../../infra/resources');

const ofType = (type: string) => registered.filter((r) => r.type === type);
const one = (type: string, name?: string): Registered => {
  const found = ofType(type).filter((r) => name === undefined || r.name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const policyJson = (r: Registered, key: string) => JSON.parse(r.inputs[key] as string);

beforeAll(async () => {
  registered = installMocks();
  pulumi.runtime.setAllConfig({ 'aws:region': 'eu-west-1', 'fastapiapp:githubRepo': REPO });
  // Loaded only now, after the mocks and config: importing it constructs the resources.
  stack = jest.requireActual<typeof import('../../infra/resources')>('../../infra/resources');
  // Read every output once so the resources behind them are registered, then let the mock settle.
  await Promise.all([stack.clusterName, stack.ciRoleArn, stack.infraRoleArn, stack.appRepositoryUrl].map(valueOf));
  await settle();
});

describe('network', () => {
  test('when the stack is created, then the VPC uses the default CIDR and spans two looked-up zones', () => {
    expect(one('aws:ec2/vpc:Vpc').inputs.cidrBlock).toBe('10.0.0.0/16');
    const subnets = ofType('aws:ec2/subnet:Subnet');
    expect(subnets).toHaveLength(4);
    const zones = new Set(subnets.map((s) => s.inputs.availabilityZone));
    expect([...zones].sort()).toEqual(['eu-west-1a', 'eu-west-1b']);
  });

  test('when private subnets route out, then it is through the NAT gateway and never the internet gateway', () => {
    const nat = one('aws:ec2/natGateway:NatGateway');
    const publicSubnetIds = ofType('aws:ec2/subnet:Subnet').filter((s) => s.name.includes('-public-')).map((s) => `${s.name}-id`);
    expect(publicSubnetIds).toContain(nat.inputs.subnetId);
    const privateRt = one('aws:ec2/routeTable:RouteTable', 'fastapiapp-dev-private');
    expect(privateRt.inputs.routes).toEqual([expect.objectContaining({ cidrBlock: '0.0.0.0/0', natGatewayId: `${nat.name}-id` })]);
    expect(JSON.stringify(privateRt.inputs.routes)).not.toContain('igw');
  });
});

describe('EKS', () => {
  test('when the cluster is declared, then control-plane logs api, audit and authenticator are on', () => {
    const cluster = one('eks:index:Cluster');
    expect([...(cluster.inputs.enabledClusterLogTypes as string[])].sort()).toEqual(['api', 'audit', 'authenticator']);
  });

  test('when the cluster is declared, then it has an IRSA OIDC provider and uses access entries only', () => {
    const cluster = one('eks:index:Cluster');
    expect(cluster.inputs.createOidcProvider).toBe(true);
    expect(cluster.inputs.authenticationMode).toBe('API');
    expect(cluster.inputs.name).toBe('fastapiapp-dev');
  });

  test('when the managed node group is declared, then it is t3.medium with desired 2, min 1, max 3', () => {
    const ng = one('aws:eks/nodeGroup:NodeGroup');
    expect(ng.inputs.instanceTypes).toEqual(['t3.medium']);
    expect(ng.inputs.scalingConfig).toEqual({ desiredSize: 2, minSize: 1, maxSize: 3 });
    expect(ng.inputs.clusterName).toBe('fastapiapp-dev');
  });

  test('when nodes are placed, then they use exactly the private subnets and get no public IPs', () => {
    const privateIds = ofType('aws:ec2/subnet:Subnet').filter((s) => s.name.includes('-private-')).map((s) => `${s.name}-id`);
    expect(privateIds).toHaveLength(2);
    const ng = one('aws:eks/nodeGroup:NodeGroup');
    expect([...(ng.inputs.subnetIds as string[])].sort()).toEqual(privateIds.sort());
    const cluster = one('eks:index:Cluster');
    expect([...(cluster.inputs.privateSubnetIds as string[])].sort()).toEqual(privateIds.sort());
    expect(cluster.inputs.nodeAssociatePublicIpAddress).toBe(false);
    for (const s of ofType('aws:ec2/subnet:Subnet').filter((x) => x.name.includes('-private-'))) {
      expect(s.inputs.mapPublicIpOnLaunch).toBe(false);
      expect(s.inputs.tags).toMatchObject({ 'kubernetes.io/role/internal-elb': '1' });
    }
  });

  test('when the CI roles are mapped into the cluster, then each gets one cluster-scoped access policy', () => {
    const entries = one('eks:index:Cluster').inputs.accessEntries as Record<string, { principalArn: string; accessPolicies: Record<string, unknown> }>;
    expect(Object.keys(entries).sort()).toEqual(['deployer', 'infra']);
    expect(entries.deployer!.principalArn).toBe(`arn:aws:iam::${ACCOUNT}:role/ci-deployer`);
    expect(Object.values(entries.deployer!.accessPolicies)).toEqual([
      { policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy', accessScope: { type: 'cluster' } },
    ]);
  });
});

describe('ECR', () => {
  test('when the repositories are declared, then both scan on push and have immutable tags', () => {
    const repos = ofType('aws:ecr/repository:Repository');
    expect(repos.map((r) => r.inputs.name).sort()).toEqual(['fastapiapp/app', 'fastapiapp/operator']);
    for (const r of repos) {
      expect(r.inputs.imageScanningConfiguration).toEqual({ scanOnPush: true });
      expect(r.inputs.imageTagMutability).toBe('IMMUTABLE');
    }
  });

  test('when the lifecycle policy is parsed, then each repository expires all but the newest 10 images', () => {
    const policies = ofType('aws:ecr/lifecyclePolicy:LifecyclePolicy');
    expect(policies.map((p) => p.inputs.repository).sort()).toEqual(['fastapiapp/app', 'fastapiapp/operator']);
    for (const p of policies) {
      const { rules } = policyJson(p, 'policy');
      expect(rules).toHaveLength(1);
      expect(rules[0].selection).toEqual({ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 10 });
      expect(rules[0].action).toEqual({ type: 'expire' });
    }
  });
});

describe('GitHub Actions OIDC roles', () => {
  test('when the provider is created, then it is GitHub\'s issuer with the STS audience', () => {
    const p = one('aws:iam/openIdConnectProvider:OpenIdConnectProvider');
    expect(p.inputs.url).toBe('https://token.actions.githubusercontent.com');
    expect(p.inputs.clientIdLists).toEqual(['sts.amazonaws.com']);
  });

  test.each(['ci-deployer', 'ci-infra'])('when %s\'s trust policy is parsed, then only this repository\'s main may assume it', (name) => {
    const trust = policyJson(one('aws:iam/role:Role', name), 'assumeRolePolicy');
    expect(trust.Statement).toHaveLength(1);
    const [s] = trust.Statement;
    expect(s.Effect).toBe('Allow');
    expect(s.Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(s.Principal).toEqual({ Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` });
    // Exact match (StringEquals, no wildcards): other repos, branches, tags and PRs cannot assume it.
    expect(s.Condition).toEqual({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': `repo:${REPO}:ref:refs/heads/main`,
      },
    });
  });

  test('when the deployer policy is parsed, then it can push to exactly the two repositories and describe the cluster', () => {
    const doc = policyJson(one('aws:iam/rolePolicy:RolePolicy', 'ci-deployer'), 'policy');
    const bySid = Object.fromEntries(doc.Statement.map((s: { Sid: string }) => [s.Sid, s]));
    expect(bySid.EcrLogin).toMatchObject({ Action: 'ecr:GetAuthorizationToken', Resource: '*' });
    expect([...bySid.EcrPush.Resource].sort()).toEqual([
      `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/fastapiapp/app`,
      `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/fastapiapp/operator`,
    ]);
    expect(bySid.EcrPush.Action).toContain('ecr:PutImage');
    expect(bySid.EksEndpoint).toMatchObject({ Action: 'eks:DescribeCluster', Resource: `arn:aws:eks:eu-west-1:${ACCOUNT}:cluster/fastapiapp-dev` });
    // Nothing else: no wildcard actions, no other resources.
    expect(doc.Statement).toHaveLength(3);
    expect(JSON.stringify(doc)).not.toMatch(/"(ecr|eks|\*):?\*"/);
  });
});

describe('stack outputs', () => {
  test('when the stack is exported, then every output the deploy workflow reads is present', async () => {
    expect(await valueOf(stack.clusterName)).toBe('fastapiapp-dev');
    expect(stack.region).toBe('eu-west-1');
    expect(await valueOf(stack.appRepositoryUrl)).toBe(`${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/fastapiapp/app`);
    expect(await valueOf(stack.operatorRepositoryUrl)).toBe(`${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/fastapiapp/operator`);
    expect(await valueOf(stack.ciRoleArn)).toBe(`arn:aws:iam::${ACCOUNT}:role/ci-deployer`);
    expect(await valueOf(stack.infraRoleArn)).toBe(`arn:aws:iam::${ACCOUNT}:role/ci-infra`);
  });

  test('when the kubeconfig is exported, then it is a secret (and the other outputs are not)', async () => {
    expect(await pulumi.isSecret(stack.kubeconfig)).toBe(true);
    expect(JSON.parse(await valueOf(stack.kubeconfig))).toMatchObject({ kind: 'Config' });
    expect(await pulumi.isSecret(stack.clusterName)).toBe(false);
    expect(await pulumi.isSecret(stack.ciRoleArn)).toBe(false);
  });
});
