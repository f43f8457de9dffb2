// Issue 31 item 10: container logs go to CloudWatch Logs through the EKS add-on
// amazon-cloudwatch-observability (Fluent Bit), into log groups created first with the configured
// retention, the add-on's agents holding their rights through IRSA only. Under Pulumi's mocks.
import * as pulumi from '@pulumi/pulumi';
import { InfraConfigError, parseConfig } from '../../infra/config';
import { ACCOUNT, OIDC_ISSUER, REQUIRED_CONFIG, installMocks, settle, valueOf, type Registered } from './mocks';

let registered: Registered[];
let stack: typeof import('../../infra/resources');
const ofType = (type: string) => registered.filter((r) => r.type === type);

beforeAll(async () => {
  registered = installMocks();
  pulumi.runtime.setAllConfig({ ...REQUIRED_CONFIG, 'aws:region': 'eu-west-1', 'fastapiapp:githubRepo': 'acme/fastapiapp', 'fastapiapp:containerLogRetentionDays': '90' });
  stack = jest.requireActual<typeof import('../../infra/resources')>('../../infra/resources');
  await valueOf(stack.containerLogGroup);
  await settle();
});

test('when the stack is built, then the CloudWatch observability add-on ships container logs, using its own IRSA role', () => {
  const addons = ofType('aws:eks/addon:Addon');
  expect(addons).toHaveLength(1);
  const addon = addons[0]!;
  expect(addon.inputs).toMatchObject({ clusterName: 'fastapiapp-dev', addonName: 'amazon-cloudwatch-observability', serviceAccountRoleArn: `arn:aws:iam::${ACCOUNT}:role/fastapiapp-dev-container-logs` });
  expect(JSON.parse(addon.inputs.configurationValues as string)).toEqual({ containerLogs: { enabled: true } });

  const role = ofType('aws:iam/role:Role').find((r) => r.name === 'fastapiapp-dev-container-logs')!;
  const trust = JSON.parse(role.inputs.assumeRolePolicy as string) as { Statement: { Principal: unknown; Condition: unknown }[] };
  expect(trust.Statement).toEqual([expect.objectContaining({
    Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${OIDC_ISSUER}` },
    Condition: { StringEquals: { [`${OIDC_ISSUER}:aud`]: 'sts.amazonaws.com', [`${OIDC_ISSUER}:sub`]: 'system:serviceaccount:amazon-cloudwatch:cloudwatch-agent' } },
  })]);
  const attached = ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment').filter((a) => a.inputs.policyArn === 'arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy');
  expect(attached.map((a) => a.inputs.role)).toEqual(['fastapiapp-dev-container-logs']); // the add-on's role only, not the nodes'
});

test('when the add-on would create its log groups, then they already exist with the configured retention', async () => {
  const groups = ofType('aws:cloudwatch/logGroup:LogGroup').filter((g) => String(g.inputs.name).startsWith('/aws/containerinsights/'));
  expect(groups.map((g) => [g.inputs.name, g.inputs.retentionInDays])).toEqual(
    ['application', 'dataplane', 'host', 'performance'].map((kind) => [`/aws/containerinsights/fastapiapp-dev/${kind}`, 90]),
  );
  expect(await valueOf(stack.containerLogGroup)).toBe('/aws/containerinsights/fastapiapp-dev/application');
});

describe('the container log settings', () => {
  const reader = (values: Record<string, string>) => (k: string) => values[k];
  const base = { githubRepo: 'acme/fastapiapp', publicAccessCidrs: '["203.0.113.0/24"]', infraReviewerIds: '["1234567"]' };

  test('when none are given, then container logs are on and kept 30 days', () => {
    expect(parseConfig(reader(base), 'eu-west-1', 'dev').containerLogs).toEqual({ enabled: true, retentionDays: 30 });
  });

  test('when they are turned off or set, then the values are taken', () => {
    expect(parseConfig(reader({ ...base, containerLogs: 'false', containerLogRetentionDays: '365' }), 'eu-west-1', 'dev').containerLogs).toEqual({ enabled: false, retentionDays: 365 });
  });

  test.each(['45', '0', 'forever', '4000'])('when the retention is %s (not one CloudWatch accepts), then the config is refused naming the key', (days) => {
    expect(() => parseConfig(reader({ ...base, containerLogRetentionDays: days }), 'eu-west-1', 'dev')).toThrow(InfraConfigError);
    expect(() => parseConfig(reader({ ...base, containerLogRetentionDays: days }), 'eu-west-1', 'dev')).toThrow(/containerLogRetentionDays/);
  });
});
