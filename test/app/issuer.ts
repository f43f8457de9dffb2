// A token issuer on loopback for the auth tests: an OIDC discovery document and a JWKS of keys the
// test makes (it can rotate them), counting JWKS fetches.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from 'jose';

export interface Key { kid: string; privateKey: CryptoKey; publicJwk: JWK; spki: string }

export async function makeKey(kid: string, alg = 'RS256'): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, spki: await exportSPKI(publicKey) };
}

/** An issuer on loopback: discovery document + JWKS, counting JWKS fetches. */
export class FakeIssuer {
  keys: Key[] = [];
  jwksFetches = 0;
  readonly server = http.createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') return json(res, { issuer: this.url, jwks_uri: `${this.url}/jwks` });
    if (req.url === '/jwks') {
      this.jwksFetches += 1;
      return json(res, { keys: this.keys.map((k) => k.publicJwk) });
    }
    res.writeHead(404).end();
  });
  url = '';
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }
  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function json(res: http.ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

