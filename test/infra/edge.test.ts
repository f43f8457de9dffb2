// The ways in under Pulumi's mocks (config appHost, appRoute53ZoneId, createCognito): an ACM
// certificate validated through Route 53 and an HTTPS-only ALB Ingress using it; a Cognito user
// pool with a resource server holding the app's three scopes and a client-credentials app client,
// and the app's AUTH_* settings for its tokens (client_id as the audience claim).
import * as pulumi from '@pulumi/pulumi';
import YAML from 'yaml';
import { InfraConfigError, parseConfig } from '../../infra/config';
import { REQUIRED_CONFIG, installMocks, lookups, settle, valueOf, type Registered } from './mocks';

const HOST = 'items.shop.acme.dev';
const ZONE = 'Z0123456789ABCDEFGHIJ';
let registered: Registered[];
let stack: typeof import('../../infra/resources');
const { one } = lookups(() => registered);

beforeAll(async () => {
  registered = installMocks();
  pulumi.runtime.setAllConfig({
    ...REQUIRED_CONFIG, 'aws:region': 'eu-west-1', 'fastapiapp:githubRepo': 'acme/fastapiapp',
    'fastapiapp:appHost': HOST, 'fastapiapp:appRoute53ZoneId': ZONE, 'fastapiapp:createCognito': 'true',
  });
  stack = jest.requireActual<typeof import('../../infra/resources')>('../../infra/resources');
  await Promise.all([stack.appIngress, stack.appAuthSettings, stack.cognitoTokenEndpoint, stack.clusterName].map((o) => valueOf(o as pulumi.Output<unknown>)));
  await settle();
});

describe('TLS entry point', () => {
  test('when appHost and a zone are set, then ACM issues a DNS-validated certificate for that host through the zone', () => {
    expect(one('aws:acm/certificate:Certificate').inputs).toMatchObject({ domainName: HOST, validationMethod: 'DNS' });
    const record = one('aws:route53/record:Record').inputs;
    expect(record).toMatchObject({ zoneId: ZONE, name: `_x1.${HOST}.`, type: 'CNAME', records: ['_y1.acm-validations.aws.'] });
    expect(one('aws:acm/certificateValidation:CertificateValidation').inputs.validationRecordFqdns).toEqual([`_x1.${HOST}`]);
  });

  test('when the Ingress output is applied, then the ALB listens HTTPS with the certificate and a TLS 1.2+ policy, redirects HTTP, and targets the app Service', async () => {
    const ing = YAML.parse(await valueOf(stack.appIngress));
    expect(ing).toMatchObject({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'items-app', namespace: 'default' } });
    const a = ing.metadata.annotations;
    expect(a['alb.ingress.kubernetes.io/certificate-arn']).toBe(await valueOf(stack.appCertificateArn));
    expect(a['alb.ingress.kubernetes.io/certificate-arn']).toMatch(/^arn:aws:acm:eu-west-1:\d{12}:certificate\//);
    expect(JSON.parse(a['alb.ingress.kubernetes.io/listen-ports'])).toEqual([{ HTTP: 80 }, { HTTPS: 443 }]);
    expect(a['alb.ingress.kubernetes.io/ssl-redirect']).toBe('443');
    expect(a['alb.ingress.kubernetes.io/ssl-policy']).toBe('ELBSecurityPolicy-TLS13-1-2-2021-06');
    expect(a['alb.ingress.kubernetes.io/scheme']).toBe('internet-facing');
    expect(ing.spec.ingressClassName).toBe('alb');
    expect(ing.spec.tls).toEqual([{ hosts: [HOST] }]);
    expect(ing.spec.rules).toEqual([{ host: HOST, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'items-app', port: { name: 'http' } } } }] } }]);
    // the NetworkPolicy must admit the ALB: its subnets are an output
    expect(await valueOf(pulumi.output(stack.loadBalancerSubnetCidrs))).toEqual(['10.0.0.0/20', '10.0.16.0/20']);
  });
});

describe('Cognito', () => {
  test('when createCognito is set, then a user pool nobody can sign up to holds a resource server with exactly the app\'s three scopes', () => {
    expect(one('aws:cognito/userPool:UserPool').inputs).toMatchObject({ adminCreateUserConfig: { allowAdminCreateUserOnly: true }, deletionProtection: 'ACTIVE' });
    const rs = one('aws:cognito/resourceServer:ResourceServer').inputs;
    expect(rs.identifier).toBe('fastapiapp');
    expect((rs.scopes as Array<{ scopeName: string }>).map((s) => s.scopeName).sort()).toEqual(['items:read', 'items:write', 'predict']);
    expect(one('aws:cognito/userPoolDomain:UserPoolDomain').inputs.domain).toBe('fastapiapp-dev');
  });

  test('when the app client is read, then it has a secret and can only do client-credentials for those scopes', () => {
    const client = one('aws:cognito/userPoolClient:UserPoolClient').inputs;
    expect(client).toMatchObject({ generateSecret: true, allowedOauthFlowsUserPoolClient: true, allowedOauthFlows: ['client_credentials'], accessTokenValidity: 60 });
    expect([...(client.allowedOauthScopes as string[])].sort()).toEqual(['fastapiapp/items:read', 'fastapiapp/items:write', 'fastapiapp/predict']);
    expect(client.explicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH']);
  });

  test('when the app\'s settings are output, then the audience is the client ID matched against client_id, with the resource server as scope prefix, and no secret', async () => {
    const settings = JSON.parse(await valueOf(stack.appAuthSettings));
    expect(settings).toEqual({
      AUTH_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/fastapiapp-dev-api-id',
      AUTH_AUDIENCE: 'fastapiapp-dev-api-client-id',
      AUTH_AUDIENCE_CLAIM: 'client_id',
      AUTH_SCOPE_PREFIX: 'fastapiapp/',
    });
    expect(await valueOf(stack.cognitoTokenEndpoint)).toBe('https://fastapiapp-dev.auth.eu-west-1.amazoncognito.com/oauth2/token');
    for (const out of [stack.appAuthSettings, stack.cognitoTokenEndpoint, stack.cognitoUserPoolId]) expect(await valueOf(out)).not.toMatch(/secret/i);
  });
});

describe('config', () => {
  const base: Record<string, string> = { githubRepo: 'acme/x', publicAccessCidrs: '["203.0.113.0/24"]', infraReviewerIds: '["1"]' };
  const parse = (over: Record<string, string>) => parseConfig((k) => ({ ...base, ...over })[k], 'eu-west-1', 'dev');

  test('when nothing is set, then there is no public host and no Cognito', () => {
    expect(parse({})).toMatchObject({ ingress: undefined, cognito: undefined });
  });

  test.each([
    ['a host that is no DNS name', { appHost: 'Items_App' }, 'appHost'],
    ['a placeholder host', { appHost: 'api.example.com' }, 'appHost'],
    ['a certificate without a host', { appCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-4000-8000-000000000001' }, 'appCertificateArn'],
    ['a certificate ARN that is none', { appHost: HOST, appCertificateArn: 'arn:aws:iam::123456789012:role/x' }, 'appCertificateArn'],
    ['both a certificate and a zone to validate one', { appHost: HOST, appRoute53ZoneId: ZONE, appCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-4000-8000-000000000001' }, 'appRoute53ZoneId'],
    ['a Cognito flag that is neither', { createCognito: 'yes' }, 'createCognito'],
    ['a Cognito domain prefix Cognito refuses', { createCognito: 'true', cognitoDomainPrefix: 'my-cognito' }, 'cognitoDomainPrefix'],
    ['a resource server with a slash', { createCognito: 'true', cognitoResourceServer: 'a/b' }, 'cognitoResourceServer'],
    ['an access token lifetime of a week', { createCognito: 'true', cognitoAccessTokenMinutes: '10080' }, 'cognitoAccessTokenMinutes'],
  ])('when the config has %s, then it is rejected naming the key', (_what, over, key) => {
    expect(() => parse(over)).toThrow(InfraConfigError);
    expect(() => parse(over)).toThrow(`"${key}"`);
  });

  test('when an existing certificate is given, then it is used as is', () => {
    const arn = 'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-4000-8000-000000000001';
    expect(parse({ appHost: HOST, appCertificateArn: arn }).ingress).toEqual({ host: HOST, certificateArn: arn, route53ZoneId: undefined });
  });
});
