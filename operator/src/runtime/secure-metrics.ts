// /metrics over HTTPS for whoever the API server says may read it (kubebuilder v4's
// WithAuthenticationAndAuthorization filter): no bearer token or one the TokenReview rejects ->
// 401, a user without `get` on the non-resource URL /metrics -> 403. The certificate comes from
// METRICS_CERT_DIR (tls.crt/tls.key, e.g. a cert-manager Secret) or is self-signed at start;
// scrapers inside the cluster skip verification of the self-signed one, as kubebuilder's do.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { generate } from 'selfsigned';
import type { AccessDecision } from '../kube/access-review';
import { listen, type ProbeServer } from './server';

export const METRICS_PATH = '/metrics';
/** How long a review's answer is reused for the same token (each scrape would otherwise cost two API calls). */
const DECISION_TTL_MS = 60_000;
const MAX_CACHED = 1_000;

export interface TlsPair { cert: string; key: string }

/** tls.crt/tls.key from certDir, or a fresh self-signed pair (EC P-256, one year) naming the host. */
export async function loadOrGenerateTls(certDir: string | undefined): Promise<TlsPair> {
  if (certDir) return { cert: fs.readFileSync(path.join(certDir, 'tls.crt'), 'utf8'), key: fs.readFileSync(path.join(certDir, 'tls.key'), 'utf8') };
  const host = os.hostname();
  const pems = await generate([{ name: 'commonName', value: host }], {
    keyType: 'ec', curve: 'P-256', algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: host }, { type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

export interface SecureMetricsOptions {
  addr: string;
  registry: Registry;
  tls: TlsPair;
  /** asks the API server about a bearer token (kube/access-review.ts) */
  review(token: string): Promise<AccessDecision>;
  log: Logger;
}

const bearer = (header: string | undefined): string | undefined => /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];

export async function startSecureMetricsServer(opts: SecureMetricsOptions): Promise<ProbeServer> {
  const decisions = new Map<string, { decision: AccessDecision; until: number }>();
  const decide = async (token: string): Promise<AccessDecision> => {
    const key = createHash('sha256').update(token).digest('hex');
    const hit = decisions.get(key);
    if (hit && hit.until > Date.now()) return hit.decision;
    const decision = await opts.review(token);
    if (decisions.size >= MAX_CACHED) decisions.clear();
    decisions.set(key, { decision, until: Date.now() + DECISION_TTL_MS });
    return decision;
  };
  const text = (res: import('node:http').ServerResponse, status: number, body: string, headers: Record<string, string> = {}) =>
    res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(body);

  const server = https.createServer({ cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' }, (req, res) => {
    const p = (req.url ?? '/').split('?')[0];
    if (p !== METRICS_PATH) return text(res, 404, 'not found');
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'method not allowed');
    const token = bearer(req.headers.authorization);
    if (!token) return text(res, 401, 'Unauthorized', { 'www-authenticate': 'Bearer' });
    decide(token).then(async (decision) => {
      if (decision === 'unauthenticated') return text(res, 401, 'Unauthorized', { 'www-authenticate': 'Bearer error="invalid_token"' });
      if (decision === 'forbidden') return text(res, 403, `Forbidden: get on ${METRICS_PATH} is not allowed`);
      const body = await opts.registry.metrics();
      res.writeHead(200, { 'content-type': opts.registry.contentType }).end(body);
    }).catch((err: unknown) => {
      opts.log.warn({ err }, 'metrics access review failed');
      text(res, 503, 'cannot review the request with the API server', { 'retry-after': '5' });
    });
  });
  return listen(server, opts.addr);
}
