// Config of the ways in: the TLS entry point (an ALB Ingress with an ACM certificate) and the
// optional Cognito user pool that issues the app's bearer tokens. Parsed once by config.ts.
import { InfraConfigError, type ConfigReader } from './config';

export interface IngressConfig {
  /** The app's public host name (the certificate's name and the Ingress rule's host). */
  host: string;
  /** An existing ACM certificate for `host`; else one is requested here. */
  certificateArn: string | undefined;
  /** Route 53 hosted zone for DNS validation of the requested certificate; none = validate by hand. */
  route53ZoneId: string | undefined;
}

export interface CognitoConfig {
  /** Prefix of the hosted domain `<prefix>.auth.<region>.amazoncognito.com` (the token endpoint). */
  domainPrefix: string;
  /** Resource server identifier: the scopes read `<identifier>/items:write` (AUTH_SCOPE_PREFIX). */
  resourceServer: string;
  /** Lifetime of an access token, minutes. */
  accessTokenMinutes: number;
}

const HOST_RE = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const ACM_ARN_RE = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/;
const ZONE_RE = /^Z[A-Z0-9]{1,31}$/;
const DOMAIN_PREFIX_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function ingressConfig(get: ConfigReader): IngressConfig | undefined {
  const host = get('appHost');
  const certificateArn = get('appCertificateArn') || undefined;
  const route53ZoneId = get('appRoute53ZoneId') || undefined;
  if (!host) {
    for (const [key, v] of [['appCertificateArn', certificateArn], ['appRoute53ZoneId', route53ZoneId]] as const) {
      if (v) throw new InfraConfigError(key, 'needs appHost (the name the certificate is for)');
    }
    return undefined;
  }
  if (!HOST_RE.test(host)) throw new InfraConfigError('appHost', `must be a lower-case DNS name such as api.example.com, got "${host}"`);
  if (/(^|\.)example\.(com|org|net)$/.test(host)) throw new InfraConfigError('appHost', `"${host}" is a placeholder: set the real value`);
  if (certificateArn && !ACM_ARN_RE.test(certificateArn)) throw new InfraConfigError('appCertificateArn', `must be an ACM certificate ARN, got "${certificateArn}"`);
  if (certificateArn && route53ZoneId) throw new InfraConfigError('appRoute53ZoneId', 'is for validating a requested certificate: leave it out with appCertificateArn');
  if (route53ZoneId && !ZONE_RE.test(route53ZoneId)) throw new InfraConfigError('appRoute53ZoneId', `must be a Route 53 hosted zone ID (Z...), got "${route53ZoneId}"`);
  return { host, certificateArn, route53ZoneId };
}

export function cognitoConfig(get: ConfigReader, clusterName: string): CognitoConfig | undefined {
  const raw = get('createCognito');
  if (raw === undefined || raw === '' || raw === 'false') return undefined;
  if (raw !== 'true') throw new InfraConfigError('createCognito', `must be true or false, got "${raw}"`);
  const domainPrefix = get('cognitoDomainPrefix') || clusterName.toLowerCase();
  // Cognito refuses prefixes holding "aws", "amazon" or "cognito".
  if (!DOMAIN_PREFIX_RE.test(domainPrefix) || /aws|amazon|cognito/.test(domainPrefix)) {
    throw new InfraConfigError('cognitoDomainPrefix', `must be a DNS label without "aws", "amazon" or "cognito", got "${domainPrefix}"`);
  }
  const resourceServer = get('cognitoResourceServer') || 'fastapiapp';
  if (!/^[A-Za-z0-9._:-]{1,256}$/.test(resourceServer) || resourceServer.includes('/')) {
    throw new InfraConfigError('cognitoResourceServer', `must be an identifier without "/", got "${resourceServer}"`);
  }
  const minutesRaw = get('cognitoAccessTokenMinutes') || '60';
  const accessTokenMinutes = Number(minutesRaw);
  if (!Number.isInteger(accessTokenMinutes) || accessTokenMinutes < 5 || accessTokenMinutes > 1440) {
    throw new InfraConfigError('cognitoAccessTokenMinutes', `must be an integer in 5..1440, got "${minutesRaw}"`);
  }
  return { domainPrefix, resourceServer, accessTokenMinutes };
}
