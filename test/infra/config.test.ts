// Pure pieces of the infra program: config validation and the subnet arithmetic.
import { InfraConfigError, parseConfig } from '../../infra/config';
import { cidrSubnet } from '../../infra/cidr';
import { subnetLayout } from '../../infra/network';

const reader = (values: Record<string, string>) => (k: string) => values[k];
const base = { githubRepo: 'acme/fastapiapp' };

test('when only the repository and region are given, then the lab defaults apply', () => {
  const cfg = parseConfig(reader(base), 'us-east-1', 'dev');
  expect(cfg).toMatchObject({
    clusterName: 'fastapiapp-dev',
    nodeInstanceType: 't3.medium',
    nodeDesiredSize: 2,
    nodeMinSize: 1,
    nodeMaxSize: 3,
    vpcCidr: '10.0.0.0/16',
    azCount: 2,
    githubBranch: 'main',
    imagesToKeep: 10,
    githubOidcProviderArn: undefined,
  });
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
