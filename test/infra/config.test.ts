// Pure pieces of the infra program: config validation and the subnet arithmetic.
import { InfraConfigError, parseConfig } from '../../infra/config';
import { cidrSubnet } from '../../infra/cidr';
import { subnetLayout } from '../../infra/network';

const reader = (values: Record<string, string>) => (k: string) => values[k];
const base = { githubRepo: 'acme/fastapiapp', publicAccessCidrs: '["203.0.113.0/24"]', infraReviewerIds: '["1234567"]' };

test('when only the repository, region, endpoint CIDRs and infrastructure reviewers are given, then the lab defaults apply', () => {
  const cfg = parseConfig(reader(base), 'us-east-1', 'dev');
  expect(cfg).toMatchObject({
    clusterName: 'fastapiapp-dev',
    nodeInstanceType: 't3.medium',
    nodeDesiredSize: 2,
    nodeMinSize: 1,
    nodeMaxSize: 3,
    vpcCidr: '10.0.0.0/16',
    azCount: 2,
    infraEnvironment: 'infrastructure',
    deployEnvironment: 'production',
    publicAccessCidrs: ['203.0.113.0/24'],
    deployBranch: 'main',
    manageGithub: true,
    infraReviewerIds: [1234567],
    deployReviewerIds: [],
    logRetentionDays: 30,
    imagesToKeep: 10,
    protectedTagPrefixes: ['v'],
    ecrForceDelete: false,
    githubOidcProviderArn: undefined,
    database: undefined,
  });
});

test('when createDatabase is true, then the database defaults are a small single-AZ instance with deletion protection', () => {
  const cfg = parseConfig(reader({ ...base, createDatabase: 'true' }), 'us-east-1', 'dev');
  expect(cfg.database).toEqual({
    instanceClass: 'db.t4g.micro',
    allocatedStorageGb: 20,
    engineVersion: '16',
    multiAz: false,
    deletionProtection: true,
    backupRetentionDays: 7,
    externalSecretsServiceAccount: 'external-secrets/external-secrets',
  });
});

test.each([
  ['your-org/fastapiapp'],
  ['<owner>/<repo>'],
  ['OWNER/repo'],
  ['example/fastapiapp'],
])('when githubRepo is the placeholder %s, then the program refuses it with a message saying so', (repo) => {
  const run = () => parseConfig(reader({ githubRepo: repo }), 'eu-west-1', 'dev');
  expect(run).toThrow(InfraConfigError);
  expect(run).toThrow(/"githubRepo": .* is a placeholder: set the repository whose workflows deploy/);
});

test.each([
  ['no region', {}, undefined, 'aws:region'],
  ['no repository', { githubRepo: '' }, 'eu-west-1', 'githubRepo'],
  ['a repository without owner', { githubRepo: 'fastapiapp' }, 'eu-west-1', 'githubRepo'],
  ['desired above max', { nodeDesiredSize: '5' }, 'eu-west-1', 'nodeDesiredSize'],
  ['min above desired', { nodeMinSize: '3' }, 'eu-west-1', 'nodeDesiredSize'],
  ['a non-integer size', { nodeMaxSize: 'three' }, 'eu-west-1', 'nodeMaxSize'],
  ['a /8 VPC', { vpcCidr: '10.0.0.0/8' }, 'eu-west-1', 'vpcCidr'],
  ['four zones', { azCount: '4' }, 'eu-west-1', 'azCount'],
  ['a provider that is not an ARN', { githubOidcProviderArn: 'github' }, 'eu-west-1', 'githubOidcProviderArn'],
  ['one environment for both roles', { infraEnvironment: 'prod', deployEnvironment: 'prod' }, 'eu-west-1', 'deployEnvironment'],
  ['an endpoint CIDR that is not one', { publicAccessCidrs: '["10.0.0.300/8"]' }, 'eu-west-1', 'publicAccessCidrs'],
  ['no endpoint CIDR at all', { publicAccessCidrs: '[]' }, 'eu-west-1', 'publicAccessCidrs'],
  ['no endpoint CIDRs stated (there is no 0.0.0.0/0 default)', { publicAccessCidrs: '' }, 'eu-west-1', 'publicAccessCidrs'],
  ['no infrastructure reviewer while GitHub is managed', { infraReviewerIds: '' }, 'eu-west-1', 'infraReviewerIds'],
  ['a reviewer that is a login, not an ID', { infraReviewerIds: '["octocat"]' }, 'eu-west-1', 'infraReviewerIds'],
  ['endpoint CIDRs that are not JSON', { publicAccessCidrs: '0.0.0.0/0' }, 'eu-west-1', 'publicAccessCidrs'],
  ['a placeholder admin ARN', { clusterAdminPrincipalArns: '["arn:aws:iam::<account>:role/admin"]' }, 'eu-west-1', 'clusterAdminPrincipalArns'],
  ['a yes/no flag that is neither', { createDatabase: 'yes' }, 'eu-west-1', 'createDatabase'],
  ['a database below RDS\'s minimum storage', { createDatabase: 'true', databaseStorageGb: '5' }, 'eu-west-1', 'databaseStorageGb'],
  ['an app namespace that is no DNS label', { appNamespaces: '["Team_A"]' }, 'eu-west-1', 'appNamespaces'],
])('when the config has %s, then it is rejected naming the key', (_what, values, region, key) => {
  const run = () => parseConfig(reader({ ...base, ...values }), region, 'dev');
  expect(run).toThrow(InfraConfigError);
  expect(run).toThrow(`"${key}"`);
});

test('when subnets are carved, then they match Terraform cidrsubnet and never overlap', () => {
  expect(cidrSubnet('10.0.0.0/16', 4, 1)).toBe('10.0.16.0/20');
  expect(cidrSubnet('10.0.0.0/16', 2, 3)).toBe('10.0.192.0/18');
  expect(cidrSubnet('172.16.5.0/20', 4, 0)).toBe('172.16.0.0/24');
  const layout = subnetLayout('10.0.0.0/16', 3);
  const ranges = [...layout.public, ...layout.private].map((c) => {
    const [ip, bits] = c.split('/');
    const start = ip!.split('.').reduce((a, o) => a * 256 + Number(o), 0);
    return [start, start + 2 ** (32 - Number(bits))] as const;
  });
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBeGreaterThanOrEqual(ranges[i - 1]![1]);
  expect(() => cidrSubnet('10.0.0.0/16', 2, 4)).toThrow();
});
