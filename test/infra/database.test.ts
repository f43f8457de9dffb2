// createDatabase=true under Pulumi's mocks: RDS in the private subnets, reachable only from the
// nodes' security group, the password generated and kept by RDS in Secrets Manager, and an
// External Secrets setup that reads exactly that secret. No password anywhere in config, inputs
// or outputs.
import * as pulumi from '@pulumi/pulumi';
import YAML from 'yaml';
import { ACCOUNT, CLUSTER_SECURITY_GROUP, DATABASE_APP_SECRET_ARN, DATABASE_SECRET_ARN, OIDC_ISSUER, REQUIRED_CONFIG, installMocks, lookups, settle, valueOf, type Registered } from './mocks';

let registered: Registered[];
let stack: typeof import('../../infra/resources');
const { ofType, one } = lookups(() => registered);

beforeAll(async () => {
  registered = installMocks();
  pulumi.runtime.setAllConfig({ ...REQUIRED_CONFIG, 'aws:region': 'eu-west-1', 'fastapiapp:githubRepo': 'acme/fastapiapp', 'fastapiapp:createDatabase': 'true' });
  stack = jest.requireActual<typeof import('../../infra/resources')>('../../infra/resources');
  await Promise.all([stack.databaseExternalSecret, stack.externalSecretsRoleArn, stack.clusterName].map(valueOf));
  await settle();
});

test('when the database is created, then it sits in exactly the private subnets and is not publicly accessible', () => {
  const privateIds = ofType('aws:ec2/subnet:Subnet').filter((s) => s.name.includes('-private-')).map((s) => `${s.name}-id`);
  expect([...(one('aws:rds/subnetGroup:SubnetGroup').inputs.subnetIds as string[])].sort()).toEqual(privateIds.sort());
  const db = one('aws:rds/instance:Instance');
  expect(db.inputs).toMatchObject({
    engine: 'postgres',
    instanceClass: 'db.t4g.micro',
    publiclyAccessible: false,
    storageEncrypted: true,
    deletionProtection: true,
    skipFinalSnapshot: false,
    dbSubnetGroupName: 'fastapiapp-dev-db',
    vpcSecurityGroupIds: ['fastapiapp-dev-db-id'],
  });
});

test('when the network rules are read, then PostgreSQL is open only to the nodes\' security group, on 5432 only', () => {
  const sg = one('aws:ec2/securityGroup:SecurityGroup');
  expect(sg.inputs.vpcId).toBe('fastapiapp-dev-vpc-id');
  expect(sg.inputs.ingress ?? []).toEqual([]);
  expect(sg.inputs.egress ?? []).toEqual([]);
  const rules = ofType('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule');
  expect(rules.map((r) => r.inputs)).toEqual([
    expect.objectContaining({ securityGroupId: 'fastapiapp-dev-db-id', referencedSecurityGroupId: CLUSTER_SECURITY_GROUP, ipProtocol: 'tcp', fromPort: 5432, toPort: 5432 }),
  ]);
  expect(rules[0]!.inputs).not.toHaveProperty('cidrIpv4');
  expect(ofType('aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule')).toHaveLength(0);
});

test('when the master password is set up, then RDS manages it and no password is in any input or output', async () => {
  const db = one('aws:rds/instance:Instance');
  expect(db.inputs.manageMasterUserPassword).toBe(true);
  expect(db.inputs).not.toHaveProperty('password');
  for (const r of registered) expect([r.name, JSON.stringify(r.inputs)]).not.toEqual([r.name, expect.stringMatching(/"password"\s*:/i)]);
  const outputs = await Promise.all(
    (['databaseHost', 'databaseSecretArn', 'externalSecretsRoleArn', 'databaseExternalSecret'] as const).map((k) => valueOf(stack[k] as pulumi.Output<string>)),
  );
  expect(outputs[0]).toBe('fastapiapp-dev-db.abc123.eu-west-1.rds.amazonaws.com');
  expect(outputs[1]).toBe(DATABASE_SECRET_ARN);
  for (const o of outputs) expect(o).not.toMatch(/password\s*[:=]\s*[^{\s]/i);
});

test('when External Secrets reads the password, then its role trusts one ServiceAccount and reads exactly the app role\'s secret, never the master\'s', () => {
  const role = ofType('aws:iam/role:Role').find((r) => r.name === 'fastapiapp-dev-db-external-secrets')!;
  const trust = JSON.parse(role.inputs.assumeRolePolicy as string);
  expect(trust.Statement[0].Principal).toEqual({ Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${OIDC_ISSUER}` });
  expect(trust.Statement[0].Condition.StringEquals).toEqual({
    [`${OIDC_ISSUER}:aud`]: 'sts.amazonaws.com',
    [`${OIDC_ISSUER}:sub`]: 'system:serviceaccount:external-secrets:external-secrets',
  });
  const policy = JSON.parse(ofType('aws:iam/rolePolicy:RolePolicy').find((r) => r.name === 'fastapiapp-dev-db-external-secrets')!.inputs.policy as string);
  expect(policy.Statement).toEqual([
    { Sid: 'ReadDatabaseSecret', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: DATABASE_APP_SECRET_ARN },
  ]);
  // the app role's secret is created empty: its value (the password) never passes through Pulumi
  const secret = one('aws:secretsmanager/secret:Secret');
  expect(secret.name).toBe('fastapiapp-dev-db-app-user');
  expect(ofType('aws:secretsmanager/secretVersion:SecretVersion')).toHaveLength(0);
});

test('when the ExternalSecret output is applied, then it builds the Secret the FastApiApp references from the app role\'s secret (verify-full)', async () => {
  const docs = YAML.parseAllDocuments(await valueOf(stack.databaseExternalSecret)).map((d) => d.toJSON());
  expect(docs.map((d) => d.kind)).toEqual(['SecretStore', 'ExternalSecret']);
  const [store, es] = docs;
  expect(store.spec.provider.aws).toEqual({ service: 'SecretsManager', region: 'eu-west-1' });
  expect(es.metadata).toEqual({ name: 'items-app-database', namespace: 'default' });
  expect(es.spec.dataFrom).toEqual([{ extract: { key: DATABASE_APP_SECRET_ARN } }]);
  expect(await valueOf(stack.databaseAppSecretArn)).toBe(DATABASE_APP_SECRET_ARN);
  expect(es.spec.target.name).toBe('items-app-database');
  expect(es.spec.target.template.data.DATABASE_URL).toBe(
    'postgres://{{ .username | urlquery }}:{{ .password | urlquery }}@fastapiapp-dev-db.abc123.eu-west-1.rds.amazonaws.com:5432/fastapiapp?sslmode=verify-full',
  );
  // a new password in the app role's secret reaches the pods within 5 minutes
  expect(es.spec.refreshInterval).toBe('5m');
  expect(es.spec.target.template.metadata.labels).toEqual({ 'platform.fastapiapp.io/secret': 'true' });
  expect(await valueOf(stack.databaseCaBundleUrl)).toBe('https://truststore.pki.rds.amazonaws.com/eu-west-1/eu-west-1-bundle.pem');
});
