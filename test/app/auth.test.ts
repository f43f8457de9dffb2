// Contract of the bearer-token auth (issue 29 item 1) against a real JWKS and OIDC discovery
// document served on loopback, with keys this test makes: every way a token can be wrong, key
// rotation without a restart, scopes, and an issuer that cannot be reached.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import request from 'supertest';
import { FakeIssuer, makeKey, type Key } from './issuer';
import type { AuthConfig } from '../../app/src/security-config';
import { startTestApp, type TestApp } from './support';

const AUDIENCE = 'fastapiapp-test';
let issuer: FakeIssuer;
let key: Key;
let t: TestApp;

function authConfig(over: Partial<AuthConfig> = {}): AuthConfig {
  return { issuer: issuer.url, audience: AUDIENCE, reads: 'open', predict: 'open', scopePrefix: '', fetchTimeoutMs: 1000, jwksCooldownMs: 0, jwksMaxAgeMs: 600_000, ...over };
}

async function token(opts: { key?: Key; scope?: string; aud?: string; iss?: string; exp?: string | number; sub?: string } = {}): Promise<string> {
  const k = opts.key ?? key;
  return new SignJWT({ scope: opts.scope ?? 'items:write items:read predict' })
    .setProtectedHeader({ alg: 'RS256', kid: k.kid, typ: 'at+jwt' })
    .setIssuer(opts.iss ?? issuer.url)
    .setAudience(opts.aud ?? AUDIENCE)
    .setSubject(opts.sub ?? 'user-1')
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m')
    .sign(k.privateKey);
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const claims = () => ({ iss: issuer.url, aud: AUDIENCE, sub: 'attacker', scope: 'items:write', exp: Math.floor(Date.now() / 1000) + 300 });

const newItem = { name: 'n', description: 'I love it' };
const post = (app: TestApp, bearer?: string) => {
  const r = request(app.app).post('/items').send(newItem);
  return bearer === undefined ? r : r.set('Authorization', `Bearer ${bearer}`);
};

function expectChallenge(res: request.Response, status: 401 | 403, error: string, scope = 'items:write'): void {
  expect(res.status).toBe(status);
  expect(res.headers['www-authenticate']).toMatch(new RegExp(`^Bearer realm="fastapiapp", error="${error}", .*scope="${scope}"$`));
  expect(res.body).toEqual({ detail: expect.any(String) });
}

beforeAll(async () => {
  issuer = await new FakeIssuer().start();
  key = await makeKey('key-1');
  issuer.keys = [key];
  t = await startTestApp('auth', { auth: authConfig() }); // no jwksUri: OIDC discovery
});
afterAll(async () => {
  await t?.stop();
  await issuer?.stop();
});

describe('when AUTH_ISSUER is set (writes need items:write)', () => {
  it('when a write carries a valid token with the scope, then it is done (keys found by OIDC discovery)', async () => {
    const res = await post(t, await token()).expect(201);
    expect(res.body.name).toBe('n');
    expect(t.logs.some((l) => l.msg === 'auth: OIDC discovery found the JWKS' && l.jwksUri === `${issuer.url}/jwks`)).toBe(true);
  });

  it('when reads carry no token, then they stay open', async () => {
    await request(t.app).get('/items').expect(200);
    await request(t.app).post('/predict').send({ text: 'fine' }).expect(200);
  });

  it('when a write carries no token, then 401 invalid_token and nothing is stored', async () => {
    const before = (await request(t.app).get('/items').expect(200)).body.length;
    const res = await post(t);
    expectChallenge(res, 401, 'invalid_token');
    expect(res.body.detail).toBe('Not authenticated');
    for (const method of ['put', 'patch', 'delete'] as const) expectChallenge(await request(t.app)[method]('/items/1').send(newItem), 401, 'invalid_token');
    expect((await request(t.app).get('/items').expect(200)).body.length).toBe(before);
  });

  it.each([
    ['expired', () => token({ exp: Math.floor(Date.now() / 1000) - 60 }), 'Token expired'],
    ['for another audience', () => token({ aud: 'someone-else' }), 'Token claims not accepted'],
    ['from another issuer', () => token({ iss: 'https://evil.example' }), 'Token claims not accepted'],
    ['signed by a key the issuer does not publish (unknown kid)', async () => token({ key: await makeKey('stranger') }), 'Token signed with an unknown key'],
    ['signed by another key under the issuer\'s kid', async () => token({ key: { ...(await makeKey('key-1')) } }), 'Token signature invalid'],
    ['unsigned (alg none)', async () => `${b64({ alg: 'none', kid: 'key-1' })}.${b64(claims())}.`, 'Token algorithm not allowed'],
    ['HS256 with the public key as the HMAC secret', async () => {
      const input = `${b64({ alg: 'HS256', kid: 'key-1' })}.${b64(claims())}`;
      return `${input}.${createHmac('sha256', key.spki).update(input).digest('base64url')}`;
    }, 'Token algorithm not allowed'],
    ['garbage', async () => 'not.a.jwt', 'Token malformed'],
  ])('when the token is %s, then 401 invalid_token', async (_what, make, detail) => {
    const res = await post(t, await make());
    expectChallenge(res, 401, 'invalid_token');
    expect(res.body.detail).toBe(detail);
  });

  it('when the Authorization header is not a bearer token, then 401 invalid_token', async () => {
    expectChallenge(await request(t.app).post('/items').set('Authorization', 'Basic dXNlcjpwYXNz').send(newItem), 401, 'invalid_token');
  });

  it('when a valid token lacks items:write, then 403 insufficient_scope', async () => {
    const res = await post(t, await token({ scope: 'items:read predict' }));
    expectChallenge(res, 403, 'insufficient_scope');
    expect(res.body.detail).toMatch(/items:write/);
  });

  it('when the issuer rotates to a new key (new kid), then its tokens are accepted without a restart', async () => {
    const fetchesBefore = issuer.jwksFetches;
    const next = await makeKey('key-2', 'ES256');
    issuer.keys = [next];
    const signed = await new SignJWT({ scope: 'items:write' }).setProtectedHeader({ alg: 'ES256', kid: 'key-2' })
      .setIssuer(issuer.url).setAudience(AUDIENCE).setSubject('user-2').setExpirationTime('5m').sign(next.privateKey);
    await post(t, signed).expect(201);
    expect(issuer.jwksFetches).toBe(fetchesBefore + 1); // the unknown kid made it refetch the set
    issuer.keys = [key, next];
  });
});

describe('when AUTH_AUDIENCE_CLAIM is client_id (Amazon Cognito access tokens: client_id, no aud, scopes under the resource server)', () => {
  const CLIENT_ID = '4d2c0ffee0app0client0id';
  const PREFIX = 'fastapiapp/';
  let cognito: TestApp;
  beforeAll(async () => {
    cognito = await startTestApp('authcognito', { auth: authConfig({ audience: CLIENT_ID, audienceClaim: 'client_id', scopePrefix: PREFIX, jwksUri: `${issuer.url}/jwks` }) });
  });
  afterAll(() => cognito?.stop());

  /** A token shaped as Cognito issues it; `claims` overrides (undefined drops a claim). */
  const cognitoToken = (claims: Record<string, unknown> = {}) => {
    const body: Record<string, unknown> = { client_id: CLIENT_ID, token_use: 'access', scope: `${PREFIX}items:write ${PREFIX}items:read`, ...claims };
    for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
    return new SignJWT(body).setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setIssuer(issuer.url).setSubject(CLIENT_ID).setIssuedAt().setExpirationTime('5m').sign(key.privateKey);
  };

  it('when a client-credentials access token of the configured client carries the prefixed scope, then the write is done', async () => {
    await post(cognito, await cognitoToken()).expect(201);
  });

  it.each([
    ['of another app client', { client_id: 'other-client' }],
    ['without client_id', { client_id: undefined }],
    ['an ID token (aud = the client ID, token_use id)', { aud: CLIENT_ID, token_use: 'id' }],
    ['carrying any aud at all', { aud: 'fastapiapp' }],
    ['with token_use id', { token_use: 'id' }],
  ])('when the token is %s, then 401 invalid_token', async (_what, claims) => {
    const res = await post(cognito, await cognitoToken(claims));
    expectChallenge(res, 401, 'invalid_token', `${PREFIX}items:write`);
    expect(res.body.detail).toBe('Token claims not accepted');
  });

  it('when the scope lacks the resource server prefix, then 403 insufficient_scope', async () => {
    expectChallenge(await post(cognito, await cognitoToken({ scope: 'items:write' })), 403, 'insufficient_scope', `${PREFIX}items:write`);
  });

  it('when the app is configured for aud (the default), then a Cognito-shaped token without aud is refused', async () => {
    const res = await post(t, await cognitoToken({ client_id: AUDIENCE, scope: 'items:write' }));
    expectChallenge(res, 401, 'invalid_token');
    expect(res.body.detail).toBe('Token claims not accepted');
  });
});

describe('when the issuer cannot be reached', () => {
  it('when its discovery document cannot be fetched, then protected routes answer 503 (never open), reads stay open, and it recovers once the issuer is back', async () => {
    const down = await new FakeIssuer().start();
    const url = down.url;
    await down.stop(); // nothing listens on its port now
    const down2 = Object.assign(new FakeIssuer(), { url });
    const app = await startTestApp('authdown', { auth: { ...authConfig(), issuer: url } });
    try {
      const signed = await token({ iss: url });
      const res = await post(app, signed).expect(503);
      expect(res.body).toEqual({ detail: 'Authorization server unavailable; retry later' });
      expect(res.headers['retry-after']).toBe('5');
      await post(app).expect(401); // no token is still a 401, whatever the issuer's state
      await request(app.app).get('/items').expect(200);
      expect(app.logs.some((l) => l.level === 'error' && /protected routes answer 503/.test(String(l.msg)))).toBe(true);

      down2.keys = [key];
      await new Promise<void>((resolve) => down2.server.listen(Number(new URL(url).port), '127.0.0.1', resolve));
      await post(app, signed).expect(201);
    } finally {
      await app.stop();
      if (down2.server.listening) await down2.stop();
    }
  });

  it('when AUTH_JWKS_URI does not answer within the timeout, then 503', async () => {
    const silent = http.createServer(() => {}); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const app = await startTestApp('authslow', { auth: authConfig({ jwksUri: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/jwks`, fetchTimeoutMs: 300 }) });
    try {
      const t0 = Date.now();
      await post(app, await token()).expect(503);
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      await app.stop();
      silent.closeAllConnections();
      silent.close();
    }
  });
});

describe('when reads and predict are required too', () => {
  let strict: TestApp;
  beforeAll(async () => {
    strict = await startTestApp('authstrict', { auth: authConfig({ reads: 'required', predict: 'required', jwksUri: `${issuer.url}/jwks` }) });
  });
  afterAll(() => strict?.stop());

  it('then GET /items needs items:read and /predict needs predict; health and docs stay open', async () => {
    expectChallenge(await request(strict.app).get('/items'), 401, 'invalid_token', 'items:read');
    expectChallenge(await request(strict.app).get('/items').set('Authorization', `Bearer ${await token({ scope: 'items:write' })}`), 403, 'insufficient_scope', 'items:read');
    await request(strict.app).get('/items').set('Authorization', `Bearer ${await token({ scope: 'items:read' })}`).expect(200);
    expectChallenge(await request(strict.app).post('/predict/batch').send({ texts: ['a'] }), 401, 'invalid_token', 'predict');
    await request(strict.app).post('/predict').set('Authorization', `Bearer ${await token({ scope: 'predict' })}`).send({ text: 'great' }).expect(200);
    await request(strict.app).get('/livez').expect(200);
    await request(strict.app).get('/docs').expect(200);
  });

  it('then /openapi.json declares the bearer scheme (the Authorize button) and the scope of each protected operation', async () => {
    const doc = (await request(strict.app).get('/openapi.json').expect(200)).body;
    expect(doc.components.securitySchemes.HTTPBearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(doc.paths['/items'].post.security).toEqual([{ HTTPBearer: ['items:write'] }]);
    expect(doc.paths['/items'].get.security).toEqual([{ HTTPBearer: ['items:read'] }]);
    expect(doc.paths['/predict/batch'].post.security).toEqual([{ HTTPBearer: ['predict'] }]);
    expect(doc.paths['/items'].post.responses['401']).toBeDefined();
    expect(doc.paths['/health'].get.security).toBeUndefined();
  });
});

it('when AUTH_ISSUER is not set, then the API is open, the log says so loudly, and the document declares no scheme', async () => {
  const open = await startTestApp('authopen');
  try {
    await post(open).expect(201);
    expect(open.logs.some((l) => l.level === 'warn' && /API is OPEN/.test(String(l.msg)))).toBe(true);
    expect((await request(open.app).get('/openapi.json')).body.components.securitySchemes).toBeUndefined();
  } finally {
    await open.stop();
  }
});
