// Verifies bearer JWTs against the issuer's JWKS with jose. The JWKS URL comes from AUTH_JWKS_URI or
// from the issuer's OIDC discovery document (fetched once, retried while it fails). jose caches the
// key set, refetches it for an unknown `kid` (at most once per cooldown: key rotation without a
// restart) and bounds each fetch with a timeout. Algorithms are pinned to asymmetric ones, so
// `alg: none` and HS256 signed with the public key are refused before any key is used.
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Logger } from '../../observability/logger.js';
import type { AuthConfig } from '../../security-config.js';
import { AuthUnavailableError, InvalidTokenError } from './errors.js';

export const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Who called, from a verified token. */
export interface Principal {
  /** `sub`, else `client_id` (client-credentials tokens). */
  subject?: string;
  scopes: ReadonlySet<string>;
}

type KeySet = ReturnType<typeof createRemoteJWKSet>;

/** jose failures that say "this token is not acceptable" (everything else means we could not check it). */
const TOKEN_ERRORS: Record<string, string> = {
  [errors.JWTExpired.code]: 'Token expired',
  [errors.JWTClaimValidationFailed.code]: 'Token claims not accepted',
  [errors.JWSSignatureVerificationFailed.code]: 'Token signature invalid',
  [errors.JWSInvalid.code]: 'Token malformed',
  [errors.JWTInvalid.code]: 'Token malformed',
  [errors.JOSEAlgNotAllowed.code]: 'Token algorithm not allowed',
  [errors.JOSENotSupported.code]: 'Token algorithm not supported',
  [errors.JWKSNoMatchingKey.code]: 'Token signed with an unknown key',
  [errors.JWKSMultipleMatchingKeys.code]: 'Token key ambiguous',
  [errors.JWKInvalid.code]: 'Token key invalid',
};

function scopesOf(payload: JWTPayload): Set<string> {
  const raw = payload.scope ?? payload.scp; // `scope` (RFC 8693/9068), `scp` (some issuers: array or string)
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(' ') : [];
  return new Set(list.filter((s): s is string => typeof s === 'string' && s !== ''));
}

/**
 * AUTH_AUDIENCE_CLAIM=client_id (Cognito access tokens carry `client_id` and no `aud`): the token is
 * for this API only if `client_id` is the configured one, it has no `aud` (ID tokens carry
 * aud=client_id and must not pass as access tokens), and its `token_use`, if any, is `access`.
 */
function checkClientId(payload: JWTPayload, clientId: string): void {
  const refuse = () => new InvalidTokenError(TOKEN_ERRORS[errors.JWTClaimValidationFailed.code]!, errors.JWTClaimValidationFailed.code);
  if (payload.aud !== undefined) throw refuse();
  if (payload.client_id !== clientId) throw refuse();
  if (payload.token_use !== undefined && payload.token_use !== 'access') throw refuse();
}

export class TokenVerifier {
  #keys?: KeySet;
  #discovering?: Promise<KeySet>;
  #down = false;

  constructor(private readonly config: AuthConfig, private readonly log: Logger) {
    if (config.jwksUri) this.#keys = this.#keySet(config.jwksUri);
  }

  /** The principal of a valid token; InvalidTokenError (401) or AuthUnavailableError (503) otherwise. */
  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      const keys = this.#keys ?? (await this.#discover());
      const byClientId = this.config.audienceClaim === 'client_id';
      ({ payload } = await jwtVerify(token, keys, {
        issuer: this.config.issuer,
        ...(byClientId ? {} : { audience: this.config.audience }),
        algorithms: ALGORITHMS,
        requiredClaims: byClientId ? ['exp', 'client_id'] : ['exp'],
      }));
      if (byClientId) checkClientId(payload, this.config.audience);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (err instanceof InvalidTokenError) throw err;
      if (err instanceof errors.JOSEError && code !== undefined && TOKEN_ERRORS[code]) throw new InvalidTokenError(TOKEN_ERRORS[code], code);
      this.#unavailable(err);
    }
    this.#recovered();
    const subject = typeof payload.sub === 'string' ? payload.sub : typeof payload.client_id === 'string' ? payload.client_id : undefined;
    return { subject, scopes: scopesOf(payload) };
  }

  #keySet(uri: string): KeySet {
    return createRemoteJWKSet(new URL(uri), {
      timeoutDuration: this.config.fetchTimeoutMs,
      cooldownDuration: this.config.jwksCooldownMs,
      cacheMaxAge: this.config.jwksMaxAgeMs,
    });
  }

  /** OIDC discovery, one fetch at a time; a failure is retried by the next request. */
  #discover(): Promise<KeySet> {
    this.#discovering ??= this.#fetchDiscovery().then(
      (keys) => {
        this.#keys = keys;
        return keys;
      },
    ).finally(() => {
      this.#discovering = undefined;
    });
    return this.#discovering;
  }

  async #fetchDiscovery(): Promise<KeySet> {
    const url = `${this.config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const res = await fetch(url, { signal: AbortSignal.timeout(this.config.fetchTimeoutMs), redirect: 'error' });
    if (!res.ok) throw new Error(`OIDC discovery ${url} answered ${res.status}`);
    const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    // OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
    if (doc.issuer !== this.config.issuer) throw new Error(`OIDC discovery ${url} names issuer ${JSON.stringify(doc.issuer)}, not ${this.config.issuer}`);
    if (typeof doc.jwks_uri !== 'string') throw new Error(`OIDC discovery ${url} has no jwks_uri`);
    const jwks = new URL(doc.jwks_uri);
    if (jwks.protocol !== 'https:' && new URL(url).protocol === 'https:') throw new Error(`OIDC discovery ${url}: jwks_uri ${doc.jwks_uri} is not https`);
    this.log.info({ issuer: this.config.issuer, jwksUri: doc.jwks_uri }, 'auth: OIDC discovery found the JWKS');
    return this.#keySet(doc.jwks_uri);
  }

  #unavailable(err: unknown): never {
    if (!this.#down) this.log.error({ err, issuer: this.config.issuer }, 'auth: cannot fetch the issuer\'s keys; protected routes answer 503');
    this.#down = true;
    throw new AuthUnavailableError(err);
  }

  #recovered(): void {
    if (!this.#down) return;
    this.#down = false;
    this.log.info({ issuer: this.config.issuer }, 'auth: issuer keys reachable again');
  }
}
