// Pulumi's official unit-test mocks: records every resource the program registers (its inputs)
// and answers the provider calls it makes. No cloud, no Pulumi CLI.
import * as pulumi from '@pulumi/pulumi';

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

export const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
export const ACCOUNT = '123456789012';
export const CLUSTER_SECURITY_GROUP = 'sg-0eks0cluster';
export const OIDC_ISSUER = 'oidc.eks.eu-west-1.amazonaws.com/id/TEST';
/** What every stack test must state: the API endpoint's CIDRs and who approves infrastructure runs. */
export const REQUIRED_CONFIG = { 'fastapiapp:publicAccessCidrs': '["203.0.113.0/24"]', 'fastapiapp:infraReviewerIds': '["1234567"]' };
export const DATABASE_SECRET_ARN = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:rds!db-1234-AbCdEf`;
/** The app role's secret of the default stack's database. */
export const DATABASE_APP_SECRET_ARN = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:fastapiapp-dev-db-app-user-AbCdEf`;

/** Outputs the real providers would compute, for the properties the program reads. */
function computedState(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  const physical = (inputs.name as string | undefined) ?? args.name;
  const arn = `arn:aws:${args.type.split(':')[1]}:eu-west-1:${ACCOUNT}:${args.name}`;
  switch (args.type) {
    case 'aws:ecr/repository:Repository':
      return { arn: `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/${physical}`, repositoryUrl: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/${physical}` };
    case 'aws:iam/role:Role':
      return { arn: `arn:aws:iam::${ACCOUNT}:role/${args.name}`, name: args.name };
    case 'aws:iam/openIdConnectProvider:OpenIdConnectProvider':
      return { arn: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` };
    case 'eks:index:Cluster':
      // A remote component: the real outputs come from the eks provider; these stand in for them.
      return {
        eksCluster: {
          name: physical,
          arn: `arn:aws:eks:eu-west-1:${ACCOUNT}:cluster/${physical}`,
          endpoint: `https://${physical}.gr7.eu-west-1.eks.amazonaws.com`,
          certificateAuthority: { data: 'LS0tLS1CRUdJTi==' },
          vpcConfig: { clusterSecurityGroupId: CLUSTER_SECURITY_GROUP },
        },
        oidcIssuer: OIDC_ISSUER,
        kubeconfigJson: JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: physical }] }),
        oidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/TEST`,
      };
    case 'aws:rds/instance:Instance':
      // RDS generates the password and reports only where it keeps it.
      return { arn, address: `${physical}.abc123.eu-west-1.rds.amazonaws.com`, masterUserSecrets: [{ secretArn: DATABASE_SECRET_ARN, secretStatus: 'active' }] };
    case 'aws:rds/subnetGroup:SubnetGroup':
      return { arn, name: args.name };
    case 'aws:ec2/launchTemplate:LaunchTemplate':
      return { arn, latestVersion: 1 };
    case 'aws:iam/policy:Policy':
      return { arn: `arn:aws:iam::${ACCOUNT}:policy/${args.name}` };
    case 'aws:secretsmanager/secret:Secret':
      return { arn: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:${args.name}-AbCdEf` };
    case 'aws:cognito/resourceServer:ResourceServer':
      return { scopeIdentifiers: (inputs.scopes as Array<{ scopeName: string }>).map((sc) => `${inputs.identifier}/${sc.scopeName}`) };
    case 'aws:cognito/userPool:UserPool':
      return { arn };
    case 'aws:acm/certificate:Certificate':
      return { arn: `arn:aws:acm:eu-west-1:${ACCOUNT}:certificate/00000000-0000-4000-8000-000000000001`, domainValidationOptions: [
        { domainName: inputs.domainName, resourceRecordName: `_x1.${inputs.domainName}.`, resourceRecordType: 'CNAME', resourceRecordValue: '_y1.acm-validations.aws.' },
      ] };
    case 'aws:acm/certificateValidation:CertificateValidation':
      return { certificateArn: inputs.certificateArn };
    case 'aws:route53/record:Record':
      return { fqdn: String(inputs.name).replace(/\.$/, '') };
    case 'aws:ec2/securityGroup:SecurityGroup':
      return { arn, id: `${args.name}-id` };
    default:
      return { arn };
  }
}

export function installMocks(): Registered[] {
  const registered: Registered[] = [];
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        return { id: `${args.name}-id`, state: { ...args.inputs, ...computedState(args) } };
      },
      call(args) {
        if (args.token === 'aws:index/getAvailabilityZones:getAvailabilityZones') {
          return { names: ZONES, zoneIds: ZONES.map((_, i) => `euw1-az${i + 1}`), id: 'eu-west-1' };
        }
        throw new Error(`unexpected provider call in the infra program: ${args.token}`);
      },
    },
    'fastapiapp',
    'dev',
    false,
  );
  return registered;
}

/** Resolves an Output's value (what `pulumi up` would record) in a test. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => { resolve(v); return v; }));
}

/** Waits until every resource constructed so far has been registered with the mock monitor. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
}

/** Lookups over what the program registered (read when called): every resource of a type, or the only one. */
export function lookups(registered: () => Registered[]): { ofType: (type: string) => Registered[]; one: (type: string) => Registered } {
  const ofType = (type: string) => registered().filter((r) => r.type === type);
  const one = (type: string): Registered => {
    const found = ofType(type);
    expect(found).toHaveLength(1);
    return found[0]!;
  };
  return { ofType, one };
}
