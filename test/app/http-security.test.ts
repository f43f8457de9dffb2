// Per-client rate limits (issue 29 item 2), security headers, the /docs file list and CSP, and
// /metrics only on the metrics listener (item 4).
import { SignJWT } from 'jose';
import request from 'supertest';
import { DOCS_ASSETS } from '../../app/src/http/routes/docs';
import { FakeIssuer, makeKey, type Key } from './issuer';
import { startTestApp, type TestApp } from './support';

const AUDIENCE = 'limits-test';
let issuer: FakeIssuer;
let key: Key;
let t: TestApp;

const token = (sub: string) =>
  new SignJWT({ scope: 'items:write' }).setProtectedHeader({ alg: 'RS256', kid: key.kid })
    .setIssuer(issuer.url).setAudience(AUDIENCE).setSubject(sub).setExpirationTime('5m').sign(key.privateKey);

beforeAll(async () => {
  issuer = await new FakeIssuer().start();
  key = await makeKey('k1');
  issuer.keys = [key];
  t = await startTestApp('limits', {
    auth: { issuer: issuer.url, audience: AUDIENCE, jwksUri: `${issuer.url}/jwks`, reads: 'open', predict: 'open', scopePrefix: '', fetchTimeoutMs: 1000, jwksCooldownMs: 1000, jwksMaxAgeMs: 600_000 },
    rateLimit: { windowMs: 60_000, writes: 3, predict: 2 },
  });
});
afterAll(async () => {
  await t?.stop();
  await issuer?.stop();
});

describe('rate limits', () => {
  it('when a client (token subject) spends its write limit, then 429 with Retry-After and RateLimit headers; another subject and reads are unaffected', async () => {
    const alice = await token('alice');
    for (let i = 0; i < 3; i++) {
      const ok = await request(t.app).post('/items').set('Authorization', `Bearer ${alice}`).send({ name: `a${i}`, description: 'ok' }).expect(201);
      expect(ok.headers['ratelimit-policy']).toMatch(/^"writes"; q=3; w=60; pk=:[A-Za-z0-9+/=]+:$/); // pk: the client key, hashed
      expect(ok.headers.ratelimit).toMatch(new RegExp(`^"writes"; r=${2 - i}; t=\\d+`));
    }
    const limited = await request(t.app).post('/items').set('Authorization', `Bearer ${alice}`).send({ name: 'a3', description: 'ok' }).expect(429);
    expect(limited.body).toEqual({ detail: 'Too Many Requests' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.headers.ratelimit).toMatch(/^"writes"; r=0; t=\d+/);
    // Only three were stored.
    expect((await request(t.app).get('/items').expect(200)).body.map((i: { name: string }) => i.name).filter((n: string) => /^a\d$/.test(n))).toEqual(['a0', 'a1', 'a2']);

    await request(t.app).post('/items').set('Authorization', `Bearer ${await token('bob')}`).send({ name: 'b', description: 'ok' }).expect(201);
    for (let i = 0; i < 5; i++) await request(t.app).get('/items').expect(200);
  });

  it('when one address spends the predict limit, then the next predict is 429 and the counter names the right policy', async () => {
    await request(t.app).post('/predict').send({ text: 'good' }).expect(200);
    await request(t.app).post('/predict/batch').send({ texts: ['good'] }).expect(200);
    const limited = await request(t.app).post('/predict').send({ text: 'good' }).expect(429);
    expect(limited.headers['ratelimit-policy']).toMatch(/^"predict"; q=2; w=60; /);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    const m = (await request(t.metricsApp).get('/metrics').expect(200)).text;
    expect(m).toMatch(/^http_requests_total\{method="POST",route="\/predict",status_code="429"\} 1$/m);
  });
});

describe('headers, docs and metrics', () => {
  it.each([
    ['a JSON answer', () => request(t.app).get('/items')],
    ['a 404', () => request(t.app).get('/nope')],
    ['a 401', () => request(t.app).delete('/items/1')],
  ])('when the app answers %s, then it carries helmet\'s headers and a CSP that allows nothing', async (_what, send) => {
    const res = await send();
    expect(res.headers).toMatchObject({
      'content-security-policy': "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'strict-transport-security': expect.stringMatching(/^max-age=\d+/),
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
    });
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('when the docs page and its files are fetched, then they come with a strict CSP allowing only this origin\'s scripts', async () => {
    const page = await request(t.app).get('/docs').expect(200).expect('Content-Type', /html/);
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(page.text).not.toMatch(/<script>/); // no inline script: all are src='/docs/...'
    for (const src of page.text.matchAll(/(?:src|href)="([^"]+)"/g)) await request(t.app).get(src[1]!).expect(200);
    await request(t.app).get('/docs/swagger-ui-bundle.js').expect(200).expect('Content-Type', /javascript/);
    expect(DOCS_ASSETS).toEqual(['swagger-ui.css', 'swagger-ui-bundle.js']);
  });

  it.each(['/docs/package.json', '/docs/index.html', '/docs/swagger-initializer.js', '/docs/oauth2-redirect.html', '/docs/swagger-ui-bundle.js.map', '/docs/../package.json'])(
    'when %s (a file of the package the UI does not need) is asked for, then 404', async (path) => {
      await request(t.app).get(path).expect(404);
    });

  it('when /metrics is asked of the public port, then 404; the metrics listener serves it with the scoring queue series', async () => {
    await request(t.app).get('/metrics').expect(404);
    const m = (await request(t.metricsApp).get('/metrics').expect(200)).text;
    expect(m).toMatch(/^sentiment_scoring_queue_depth 0$/m);
    expect(m).toMatch(/^sentiment_scoring_rejections_total\{reason="queue_full"\} 0$/m);
    await request(t.metricsApp).get('/other').expect(404);
    await request(t.metricsApp).post('/metrics').expect(405);
  });
});
