// Who may do what, ahead of the routes: bearer-token scopes (when AUTH_ISSUER is set) and per-client
// rate limits. Writes to /items need items:write (reads items:read when AUTH_READS=required);
// /predict* needs predict when AUTH_PREDICT=required. Limits count after auth, so a verified
// client is limited by its subject. The guards are routes on the same paths as the handlers
// (so a 401/429 is labelled with its route template) and only for the methods they guard:
// nothing is mounted when there is nothing to enforce, and open reads pass no guard at all.
import type { IRouter, RequestHandler } from 'express';
import type { AuthConfig, RateLimitConfig } from '../../security-config.js';
import { requireScope } from '../auth/guard.js';
import type { TokenVerifier } from '../auth/verifier.js';
import { perClientLimit } from './rate-limit.js';

export interface AccessDeps {
  auth?: { config: AuthConfig; verifier: TokenVerifier };
  rateLimit?: RateLimitConfig;
}

/** The scopes, as the token carries them (AUTH_SCOPE_PREFIX first). */
export function scopeNames(prefix = ''): { write: string; read: string; predict: string } {
  return { write: `${prefix}items:write`, read: `${prefix}items:read`, predict: `${prefix}predict` };
}

const present = (handlers: (RequestHandler | undefined)[]): RequestHandler[] => handlers.filter((h) => h !== undefined);

export function accessControl(r: IRouter, deps: AccessDeps): void {
  const { auth, rateLimit: limits } = deps;
  const scopes = scopeNames(auth?.config.scopePrefix);
  const guard = (scope: string, required = true) => (auth && required ? requireScope(auth.verifier, scope) : undefined);
  const write = present([guard(scopes.write), limits && perClientLimit('writes', limits.writes, limits.windowMs)]);
  const read = present([guard(scopes.read, auth?.config.reads === 'required')]);
  const predict = present([guard(scopes.predict, auth?.config.predict === 'required'), limits && perClientLimit('predict', limits.predict, limits.windowMs)]);
  if (write.length > 0 || read.length > 0) {
    const list = r.route('/items');
    const one = r.route('/items/:id');
    if (write.length > 0) {
      list.post(...write);
      one.put(...write).patch(...write).delete(...write);
    }
    if (read.length > 0) {
      list.get(...read);
      one.get(...read);
    }
  }
  if (predict.length > 0) {
    r.route('/predict').post(...predict);
    r.route('/predict/batch').post(...predict);
  }
}
