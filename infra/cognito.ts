// Optional (config createCognito): an Amazon Cognito user pool that issues the app's bearer tokens
// to machine clients by the OAuth2 client-credentials grant. A resource server holds the scopes
// the app checks (items:write, items:read, predict); Cognito writes them as
// `<resourceServer>/items:write`, hence AUTH_SCOPE_PREFIX. Cognito access tokens carry the app
// client's ID in `client_id` and no `aud`, so the app is told AUTH_AUDIENCE_CLAIM=client_id and
// AUTH_AUDIENCE=<client ID> (docs/platform/security.md, "Tokens from Cognito"). The client secret
// stays in Cognito (and, marked secret, in the stack state): no output names it.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { InfraConfig } from './config';
import type { CognitoConfig } from './edge-config';

export const APP_SCOPES = [
  { scopeName: 'items:write', scopeDescription: 'Create, change and delete items' },
  { scopeName: 'items:read', scopeDescription: 'Read items (when the app requires it: AUTH_READS=required)' },
  { scopeName: 'predict', scopeDescription: 'Sentiment predictions (when the app requires it: AUTH_PREDICT=required)' },
];

export interface Cognito {
  userPool: aws.cognito.UserPool;
  client: aws.cognito.UserPoolClient;
  /** `iss` of its tokens: AUTH_ISSUER. */
  issuer: pulumi.Output<string>;
  /** Where a client trades its ID and secret for an access token. */
  tokenEndpoint: pulumi.Output<string>;
}

/** Pure: the app's AUTH_* settings for tokens from this pool (spec.auth + spec.env of a FastApiApp). */
export function appAuthEnv(issuer: string, clientId: string, resourceServer: string): Record<string, string> {
  return { AUTH_ISSUER: issuer, AUTH_AUDIENCE: clientId, AUTH_AUDIENCE_CLAIM: 'client_id', AUTH_SCOPE_PREFIX: `${resourceServer}/` };
}

export function createCognito(cfg: InfraConfig, c: CognitoConfig): Cognito {
  const name = `${cfg.clusterName}-api`;
  const userPool = new aws.cognito.UserPool(name, {
    name,
    // Machine clients only: nobody signs up; people, if ever added, are created by an admin.
    adminCreateUserConfig: { allowAdminCreateUserOnly: true },
    deletionProtection: 'ACTIVE',
    passwordPolicy: { minimumLength: 14, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: true, temporaryPasswordValidityDays: 1 },
    mfaConfiguration: 'OFF',
  });
  const domain = new aws.cognito.UserPoolDomain(name, { domain: c.domainPrefix, userPoolId: userPool.id });
  const resourceServer = new aws.cognito.ResourceServer(name, {
    identifier: c.resourceServer,
    name: `${cfg.clusterName} items API`,
    userPoolId: userPool.id,
    scopes: APP_SCOPES,
  });
  const client = new aws.cognito.UserPoolClient(`${name}-client`, {
    name: `${name}-client-credentials`,
    userPoolId: userPool.id,
    generateSecret: true,
    allowedOauthFlowsUserPoolClient: true,
    allowedOauthFlows: ['client_credentials'],
    allowedOauthScopes: resourceServer.scopeIdentifiers,
    // No user sign-in flows at all: this client only ever gets client-credentials tokens.
    explicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
    supportedIdentityProviders: [],
    preventUserExistenceErrors: 'ENABLED',
    enableTokenRevocation: true,
    accessTokenValidity: c.accessTokenMinutes,
    tokenValidityUnits: { accessToken: 'minutes' },
  });
  const issuer = pulumi.interpolate`https://cognito-idp.${cfg.region}.amazonaws.com/${userPool.id}`;
  const tokenEndpoint = pulumi.interpolate`https://${domain.domain}.auth.${cfg.region}.amazoncognito.com/oauth2/token`;
  return { userPool, client, issuer, tokenEndpoint };
}
