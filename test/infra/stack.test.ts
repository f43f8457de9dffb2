// The infra program under Pulumi's mocks: the inputs that matter for cost, isolation and who may
// deploy. Each assertion would fail if the corresponding setting were dropped or loosened.
import * as pulumi from '@pulumi/pulumi';
import { ACCOUNT, installMocks, REQUIRED_CONFIG, settle, valueOf, type Registered } from './mocks';

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
  pulumi.runtime.setAllConfig({ ...REQUIRED_CONFIG, 'aws:region': 'eu-west-1', 'fastapiapp:githubRepo': REPO });
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

  test('when principals are mapped into the cluster, then only the admin role is cluster admin and the deployer gets a group', () => {
    type Entry = { principalArn: string; accessPolicies?: Record<string, unknown>; kubernetesGroups?: string[] };
    const entries = one('eks:index:Cluster').inputs.accessEntries as Record<string, Entry>;
    expect(Object.keys(entries).sort()).toEqual(['clusterAdmin', 'deployer']);
    expect(entries.clusterAdmin!.principalArn).toBe(`arn:aws:iam::${ACCOUNT}:role/cluster-admin`);
    expect(Object.values(entries.clusterAdmin!.accessPolicies!)).toEqual([
      { policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy', accessScope: { type: 'cluster' } },
    ]);
    expect(entries.deployer).toEqual({ principalArn: `arn:aws:iam::${ACCOUNT}:role/ci-deployer`, kubernetesGroups: ['fastapiapp:deployers'] });
    // The principal running `pulumi up` in CI gets the creator's entry from EKS when it (re)creates
    // the cluster: a second entry for it would fail with ResourceInUseException.
    expect(JSON.stringify(entries)).not.toContain('ci-infra');
  });

  test('when the cluster-admin role is read, then only the infra role may assume it, never a GitHub token', () => {
    const trust = policyJson(one('aws:iam/role:Role', 'cluster-admin'), 'assumeRolePolicy');
    expect(trust.Statement).toEqual([{ Effect: 'Allow', Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:role/ci-infra`] }, Action: 'sts:AssumeRole' }]);
  });

  test('when Pulumi manages Kubernetes objects, then it authenticates as the cluster-admin role', () => {
    const provider = one('pulumi:providers:kubernetes');
    const kubeconfig = JSON.parse(provider.inputs.kubeconfig as string);
    expect(kubeconfig.users[0].user.exec.args).toEqual(expect.arrayContaining(['--role-arn', `arn:aws:iam::${ACCOUNT}:role/cluster-admin`, '--cluster-name', 'fastapiapp-dev']));
    expect(kubeconfig.clusters[0].cluster.server).toBe('https://fastapiapp-dev.gr7.eu-west-1.eks.amazonaws.com');
    const bindings = ofType('kubernetes:rbac.authorization.k8s.io/v1:RoleBinding');
    const namespacesOf = (role: string) => bindings.filter((b) => (b.inputs.roleRef as { name: string }).name === role)
      .map((b) => (b.inputs.metadata as { namespace: string }).namespace).sort();
    // the deployer: bound in the app namespaces only; no ClusterRoleBinding, nothing in the operator's namespace
    expect(namespacesOf('fastapiapp:deployer:app-namespace')).toEqual(['default']);
    expect(ofType('kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding')).toHaveLength(0);
    // the operator reads marked Secrets in the app namespaces only (no cluster-wide Secret access)
    expect(namespacesOf('fastapiapp-operator-secret-reader')).toEqual(['default']);
    expect(bindings.find((b) => (b.inputs.roleRef as { name: string }).name === 'fastapiapp-operator-secret-reader')!.inputs.subjects)
      .toEqual([{ kind: 'ServiceAccount', name: 'fastapiapp-operator', namespace: 'fastapiapp-system' }]);
    expect(bindings).toHaveLength(2);
    expect(one('kubernetes:core/v1:Namespace').inputs.metadata).toEqual({ name: 'fastapiapp-system' });
  });

  test('when the API endpoint is declared, then public access is limited to the CIDRs the config had to state', () => {
    const cluster = one('eks:index:Cluster');
    expect(cluster.inputs.endpointPrivateAccess).toBe(true);
    expect(cluster.inputs.publicAccessCidrs).toEqual(['203.0.113.0/24']);
  });

  test('when the nodes are declared, then their launch template requires IMDSv2 with hop limit 1 (pods cannot reach the node role)', () => {
    const template = one('aws:ec2/launchTemplate:LaunchTemplate');
    expect(template.inputs.metadataOptions).toEqual({ httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 });
    expect(one('aws:eks/nodeGroup:NodeGroup').inputs.launchTemplate).toEqual({ id: `${template.name}-id`, version: '1' });
  });

  test('when the infra role is declared, then a permissions boundary denies new credentials and changes to itself or the boundary', () => {
    const boundary = one('aws:iam/policy:Policy', 'ci-infra-boundary');
    expect(one('aws:iam/role:Role', 'ci-infra').inputs.permissionsBoundary).toBe(`arn:aws:iam::${ACCOUNT}:policy/ci-infra-boundary`);
    const statements = policyJson(boundary, 'policy').Statement as Array<{ Sid: string; Effect: string; Action: string | string[]; Resource: string }>;
    const denied = (sid: string) => statements.find((x) => x.Sid === sid && x.Effect === 'Deny');
    expect(denied('NoLongLivedCredentials')!.Action).toEqual(expect.arrayContaining(['iam:CreateUser', 'iam:CreateAccessKey']));
    expect(denied('NoChangesToItself')).toMatchObject({ Resource: 'arn:aws:iam::*:role/ci-infra*' });
    expect(denied('NoChangesToItself')!.Action).toEqual(expect.arrayContaining(['iam:UpdateAssumeRolePolicy', 'iam:DeleteRolePermissionsBoundary', 'iam:AttachRolePolicy']));
    expect(denied('NoChangesToTheBoundary')!.Action).toContain('iam:CreatePolicyVersion');
  });

  test('when GitHub is managed, then both environments deploy from main only, infrastructure needs a reviewer, and the OIDC subject names the workflow', () => {
    const envs = ofType('github:index/repositoryEnvironment:RepositoryEnvironment');
    expect(envs.map((e) => e.inputs.environment).sort()).toEqual(['infrastructure', 'production']);
    for (const e of envs) {
      expect(e.inputs).toMatchObject({ repository: REPO.split('/')[1], canAdminsBypass: false, deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true } });
    }
    expect(envs.find((e) => e.inputs.environment === 'infrastructure')!.inputs).toMatchObject({ reviewers: [{ users: [1234567] }], preventSelfReview: true });
    const policies = ofType('github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy');
    expect(policies.map((p) => [p.inputs.environment, p.inputs.branchPattern]).sort()).toEqual([['infrastructure', 'main'], ['production', 'main']]);
    expect(one('github:index/actionsRepositoryOidcSubjectClaimCustomizationTemplate:ActionsRepositoryOidcSubjectClaimCustomizationTemplate').inputs)
      .toMatchObject({ useDefault: false, includeClaimKeys: ['repo', 'context', 'job_workflow_ref'] });
  });

  test('when control-plane logs are written, then their log group exists first with a 30-day retention', () => {
    const groups = ofType('aws:cloudwatch/logGroup:LogGroup').filter((g) => String(g.inputs.name).startsWith('/aws/eks/'));
    expect(groups.map((g) => g.inputs)).toEqual([expect.objectContaining({ name: '/aws/eks/fastapiapp-dev/cluster', retentionInDays: 30 })]);
  });
});

describe('ECR', () => {
  test('when the repositories are declared, then both scan on push, have immutable tags and refuse destroy while not empty', () => {
    const repos = ofType('aws:ecr/repository:Repository');
    expect(repos.map((r) => r.inputs.name).sort()).toEqual(['fastapiapp/app', 'fastapiapp/operator']);
    for (const r of repos) {
      expect(r.inputs.imageScanningConfiguration).toEqual({ scanOnPush: true });
      expect(r.inputs.imageTagMutability).toBe('IMMUTABLE');
      expect(r.inputs.forceDelete).toBe(false);
    }
  });

  test('when the lifecycle policy is parsed, then releases are counted apart, untagged go after a day, 10 other tagged stay', () => {
    const policies = ofType('aws:ecr/lifecyclePolicy:LifecyclePolicy');
    expect(policies.map((p) => p.inputs.repository).sort()).toEqual(['fastapiapp/app', 'fastapiapp/operator']);
    for (const p of policies) {
      const { rules } = policyJson(p, 'policy');
      expect(rules.map((r: { rulePriority: number }) => r.rulePriority)).toEqual([1, 2, 3]);
      expect(rules.every((r: { action: unknown }) => JSON.stringify(r.action) === '{"type":"expire"}')).toBe(true);
      expect(rules[0].selection).toEqual({ tagStatus: 'tagged', tagPrefixList: ['v'], countType: 'imageCountMoreThan', countNumber: 100 });
      expect(rules[1].selection).toEqual({ tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 });
      expect(rules[2].selection).toEqual({ tagStatus: 'tagged', tagPatternList: ['*'], countType: 'imageCountMoreThan', countNumber: 10 });
      // A rule over "any" image would count the protected releases too and could expire them.
      expect(JSON.stringify(rules)).not.toContain('"any"');
    }
  });
});

describe('GitHub Actions OIDC roles', () => {
  test('when the provider is created, then it is GitHub\'s issuer with the STS audience', () => {
    const p = one('aws:iam/openIdConnectProvider:OpenIdConnectProvider');
    expect(p.inputs.url).toBe('https://token.actions.githubusercontent.com');
    expect(p.inputs.clientIdLists).toEqual(['sts.amazonaws.com']);
  });

  test.each([
    ['ci-deployer', 'production'],
    ['ci-infra', 'infrastructure'],
  ])('when %s\'s trust policy is parsed, then only deploy.yml jobs on main in this repository\'s %s environment may assume it', (name, environment) => {
    const trust = policyJson(one('aws:iam/role:Role', name), 'assumeRolePolicy');
    expect(trust.Statement).toHaveLength(1);
    const [s] = trust.Statement;
    expect(s.Effect).toBe('Allow');
    expect(s.Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(s.Principal).toEqual({ Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` });
    // Exact match (StringEquals, no wildcards): other repos, environments, plain main jobs and PRs cannot.
    expect(s.Condition).toEqual({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': `repo:${REPO}:environment:${environment}:job_workflow_ref:${REPO}/.github/workflows/deploy.yml@refs/heads/main`,
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

describe('database', () => {
  test('when createDatabase is not set, then no database, security group or secret reader is created', async () => {
    expect(ofType('aws:rds/instance:Instance')).toHaveLength(0);
    expect(ofType('aws:ec2/securityGroup:SecurityGroup')).toHaveLength(0);
    // (the container-logs role belongs to the CloudWatch add-on: test/infra/container-logs.test.ts)
    expect(ofType('aws:iam/role:Role').map((r) => r.name).sort()).toEqual(['ci-deployer', 'ci-infra', 'cluster-admin', 'fastapiapp-dev-container-logs', 'fastapiapp-dev-nodes']);
    expect(await valueOf(stack.databaseExternalSecret)).toBe('');
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
