// The security settings (issue 29) as configuration: defaults, and every invalid combination a
// clear startup error naming the variable (never an app that silently runs open or locks everyone out).
import { ConfigError, loadConfig } from '../../app/src/config';

const load = (env: Record<string, string>) => loadConfig(env, '/srv');

describe('security settings', () => {
  it('when nothing is set, then auth is off, limits are on per client, scoring is bounded and /metrics has its own port', () => {
    const { security } = load({});
    expect(security).toEqual({
      auth: undefined,
      rateLimit: { windowMs: 60_000, writes: 300, predict: 300 },
      scoring: { maxPending: 16, deadlineMs: 5000 },
      metricsPort: 9464,
    });
  });

  it('when AUTH_ISSUER and AUTH_AUDIENCE are set, then auth is on with reads and predict open and a bounded JWKS fetch', () => {
    expect(load({ AUTH_ISSUER: 'https://id.example/realms/shop', AUTH_AUDIENCE: 'items', AUTH_PREDICT: 'required' }).security.auth).toEqual({
      issuer: 'https://id.example/realms/shop', audience: 'items', audienceClaim: 'aud', reads: 'open', predict: 'required', scopePrefix: '',
      fetchTimeoutMs: 3000, jwksCooldownMs: 30_000, jwksMaxAgeMs: 600_000,
    });
  });

  it('when AUTH_AUDIENCE_CLAIM is client_id (Cognito), then the audience is matched against client_id', () => {
    expect(load({ AUTH_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab', AUTH_AUDIENCE: '4abc', AUTH_AUDIENCE_CLAIM: 'client_id', AUTH_SCOPE_PREFIX: 'fastapiapp/' })
      .security.auth).toMatchObject({ audience: '4abc', audienceClaim: 'client_id', scopePrefix: 'fastapiapp/' });
  });

  it.each([
    [{ AUTH_ISSUER: 'https://id.example' }, 'AUTH_AUDIENCE', 'is required with AUTH_ISSUER'],
    [{ AUTH_AUDIENCE: 'items' }, 'AUTH_AUDIENCE', 'needs AUTH_ISSUER'],
    [{ AUTH_READS: 'required' }, 'AUTH_READS', 'needs AUTH_ISSUER'],
    [{ AUTH_PREDICT: 'required' }, 'AUTH_PREDICT', 'needs AUTH_ISSUER'],
    [{ AUTH_ISSUER: 'http://id.example', AUTH_AUDIENCE: 'a' }, 'AUTH_ISSUER', 'https'],
    [{ AUTH_ISSUER: 'not a url', AUTH_AUDIENCE: 'a' }, 'AUTH_ISSUER', 'https'],
    [{ AUTH_ISSUER: 'https://id.example', AUTH_AUDIENCE: 'a', AUTH_JWKS_URI: 'http://keys.example/jwks' }, 'AUTH_JWKS_URI', 'https'],
    [{ AUTH_ISSUER: 'https://id.example', AUTH_AUDIENCE: 'a', AUTH_READS: 'maybe' }, 'AUTH_READS', '"open" or "required"'],
    [{ AUTH_ISSUER: 'https://id.example', AUTH_AUDIENCE: 'a', AUTH_AUDIENCE_CLAIM: 'azp' }, 'AUTH_AUDIENCE_CLAIM', '"aud" or "client_id"'],
    [{ AUTH_AUDIENCE_CLAIM: 'client_id' }, 'AUTH_AUDIENCE_CLAIM', 'needs AUTH_ISSUER'],
    [{ RATE_LIMIT_WRITES: '-1' }, 'RATE_LIMIT_WRITES', 'integer'],
    [{ SCORING_QUEUE_MAX: '0' }, 'SCORING_QUEUE_MAX', 'integer between 1'],
    [{ PORT: '9000', METRICS_PORT: '9000' }, 'METRICS_PORT', 'must differ from PORT'],
  ])('when %j, then a ConfigError names %s', (env, variable, text) => {
    let err: unknown;
    try {
      load(env as Record<string, string>);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(variable);
    expect((err as ConfigError).message).toContain(text);
  });

  it('when the issuer is on this host over http (a local issuer, tests), then it is accepted', () => {
    expect(load({ AUTH_ISSUER: 'http://127.0.0.1:8080/realms/dev', AUTH_AUDIENCE: 'a' }).security.auth?.issuer).toBe('http://127.0.0.1:8080/realms/dev');
  });
});
