// Security settings (issue 29): bearer-token auth, per-client rate limits, the scoring queue's
// bounds and the metrics port. Parsed with config.ts's helpers and part of its frozen Config.
import { ConfigError, int, str, type Env } from './config.js';
import type { ScoringLimits } from './domain/sentiment/service.js';

export type Requirement = 'open' | 'required';
export type AudienceClaim = 'aud' | 'client_id';

export interface AuthConfig {
  /** OIDC issuer (`iss` of accepted tokens); its discovery document names the JWKS unless jwksUri is set. */
  issuer: string;
  /** The accepted audience: the value `aud` must hold, or, with audienceClaim client_id, `client_id`. */
  audience: string;
  /**
   * Which claim names the API the token is for. `aud` (default, RFC 9068). `client_id`: for issuers
   * whose access tokens carry no `aud` (Amazon Cognito); then a token must have NO `aud` (an ID
   * token's `aud` is the client ID, so it is refused), `client_id` must equal `audience`, and a
   * `token_use` claim, when present, must be `access`.
   */
  audienceClaim?: AudienceClaim;
  jwksUri?: string;
  /** GET /items needs items:read. */
  reads: Requirement;
  /** /predict* needs predict. */
  predict: Requirement;
  /** Prepended to the scope names (a Cognito resource server's scopes read `<identifier>/items:write`). */
  scopePrefix: string;
  /** Bound on one JWKS or discovery fetch. */
  fetchTimeoutMs: number;
  /** An unknown `kid` refetches the JWKS at most this often (key rotation without restart). */
  jwksCooldownMs: number;
  /** A fetched JWKS is used at most this long before a refetch. */
  jwksMaxAgeMs: number;
}

export interface RateLimitConfig {
  windowMs: number;
  /** Writes (POST/PUT/PATCH/DELETE /items) per client per window; 0 = unlimited. */
  writes: number;
  /** POST /predict* per client per window; 0 = unlimited. */
  predict: number;
}

export interface SecurityConfig {
  auth: AuthConfig | undefined;
  rateLimit: RateLimitConfig;
  scoring: ScoringLimits;
  /** /metrics is served only here, never on PORT. */
  metricsPort: number;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

function url(env: Env, name: string): string | undefined {
  const raw = str(env, name);
  if (raw === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an https URL (got "${raw}")`);
  }
  // Keys and tokens are trusted only over TLS; plain http only to this host (tests, a local issuer).
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK.test(u.hostname))) {
    throw new ConfigError(name, `must be an https URL (http only for localhost) (got "${raw}")`);
  }
  return raw;
}

function requirement(env: Env, name: string): Requirement {
  const raw = (str(env, name) ?? 'open').toLowerCase();
  if (raw !== 'open' && raw !== 'required') throw new ConfigError(name, `must be "open" or "required" (got "${raw}")`);
  return raw;
}

function authConfig(env: Env): AuthConfig | undefined {
  const issuer = url(env, 'AUTH_ISSUER');
  const audience = str(env, 'AUTH_AUDIENCE');
  const jwksUri = url(env, 'AUTH_JWKS_URI');
  const reads = requirement(env, 'AUTH_READS');
  const predict = requirement(env, 'AUTH_PREDICT');
  if (issuer === undefined) {
    // Requiring tokens with nothing to verify them against would lock everyone out: say so at startup.
    for (const [name, set] of [['AUTH_AUDIENCE', audience], ['AUTH_JWKS_URI', jwksUri], ['AUTH_AUDIENCE_CLAIM', str(env, 'AUTH_AUDIENCE_CLAIM')]] as const) {
      if (set !== undefined) throw new ConfigError(name, 'needs AUTH_ISSUER');
    }
    if (reads === 'required') throw new ConfigError('AUTH_READS', 'needs AUTH_ISSUER');
    if (predict === 'required') throw new ConfigError('AUTH_PREDICT', 'needs AUTH_ISSUER');
    return undefined;
  }
  if (audience === undefined) throw new ConfigError('AUTH_AUDIENCE', 'is required with AUTH_ISSUER');
  const audienceClaim = str(env, 'AUTH_AUDIENCE_CLAIM') ?? 'aud';
  if (audienceClaim !== 'aud' && audienceClaim !== 'client_id') {
    throw new ConfigError('AUTH_AUDIENCE_CLAIM', `must be "aud" or "client_id" (got "${audienceClaim}")`);
  }
  return {
    issuer,
    audience,
    audienceClaim,
    ...(jwksUri ? { jwksUri } : {}),
    reads,
    predict,
    scopePrefix: str(env, 'AUTH_SCOPE_PREFIX') ?? '',
    fetchTimeoutMs: int(env, 'AUTH_FETCH_TIMEOUT_MS', 3000, 100, 60_000),
    jwksCooldownMs: int(env, 'AUTH_JWKS_COOLDOWN_MS', 30_000, 0, 3_600_000),
    jwksMaxAgeMs: int(env, 'AUTH_JWKS_MAX_AGE_MS', 600_000, 1000, 86_400_000),
  };
}

export function securityConfig(env: Env, port: number): SecurityConfig {
  const metricsPort = int(env, 'METRICS_PORT', 9464, 0, 65535);
  if (metricsPort !== 0 && metricsPort === port) throw new ConfigError('METRICS_PORT', `must differ from PORT (${port}): /metrics is not served on the public port`);
  return {
    auth: authConfig(env),
    rateLimit: {
      windowMs: int(env, 'RATE_LIMIT_WINDOW_MS', 60_000, 1000, 3_600_000),
      writes: int(env, 'RATE_LIMIT_WRITES', 300, 0, 1_000_000),
      predict: int(env, 'RATE_LIMIT_PREDICT', 300, 0, 1_000_000),
    },
    scoring: {
      maxPending: int(env, 'SCORING_QUEUE_MAX', 16, 1, 100_000),
      deadlineMs: int(env, 'SCORING_DEADLINE_MS', 5000, 10, 600_000),
    },
    metricsPort,
  };
}
