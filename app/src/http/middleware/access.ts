// Who may do what, ahead of the routes: bearer-token scopes (when AUTH_ISSUER is set) and per-client
// rate limits. Writes to /items need items:write (reads items:read when AUTH_READS=required);
// /predict* needs predict when AUTH_PREDICT=required. Limits count after auth, so a verified
// client is limited by its subject. Nothing is mounted when there is nothing to enforce.
import type { IRouter, RequestHandler } from 'express';
import type { AuthConfig, RateLimitConfig } from '../../security-config.js';
import { requireScope } from '../auth/guard.js';
import type { TokenVerifier } from '../auth/verifier.js';
import { perClientLimit, SAFE_METHODS } from './rate-limit.js';

export interface AccessDeps {
  auth?: { config: AuthConfig; verifier: TokenVerifier };
  rateLimit?: RateLimitConfig;
}

/** The scopes, as the token carries them (AUTH_SCOPE_PREFIX first). */
export function scopeNames(prefix = ''): { write: string; read: string; predict: string } {
  return { write: `${prefix}items:write`, read: `${prefix}items:read`, predict: `${prefix}predict` };
}

function itemsAuth(auth: NonNullable<AccessDeps['auth']>): RequestHandler {
  const scopes = scopeNames(auth.config.scopePrefix);
  const write = requireScope(auth.verifier, scopes.write);
  const read = auth.config.reads === 'required' ? requireScope(auth.verifier, scopes.read) : undefined;
  return (req, res, next) => {
    if (!SAFE_METHODS.has(req.method)) return write(req, res, next);
    if (read && req.method !== 'OPTIONS') return read(req, res, next);
    next();
  };
}

function predictAuth(auth: NonNullable<AccessDeps['auth']>): RequestHandler {
  const guard = requireScope(auth.verifier, scopeNames(auth.config.scopePrefix).predict);
  return (req, res, next) => (req.method === 'OPTIONS' ? next() : guard(req, res, next));
}

export function accessControl(r: IRouter, deps: AccessDeps): void {
  const { auth, rateLimit: limits } = deps;
  const items = [
    auth ? itemsAuth(auth) : undefined,
    limits ? perClientLimit('writes', limits.writes, limits.windowMs, true) : undefined,
  ].filter((h) => h !== undefined);
  const predict = [
    auth?.config.predict === 'required' ? predictAuth(auth) : undefined,
    limits ? perClientLimit('predict', limits.predict, limits.windowMs, true) : undefined,
  ].filter((h) => h !== undefined);
  if (items.length > 0) r.use('/items', ...items);
  if (predict.length > 0) r.use('/predict', ...predict);
}
